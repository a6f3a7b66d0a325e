/// The dashboard at `/`: one self-contained page (no external assets; the service may have no
/// network) that polls `/api/jobs` every two seconds and shows each job's state, progress, speed,
/// error and, for finished jobs, the first frame before and after; above them, every worker that
/// shares the queue (host, version, jobs, last heartbeat, speed).
enum Dashboard {
    static let page = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Kineto</title>
        <style>
          body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
          header { background: #1d2330; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; }
          header h1 { font-size: 18px; margin: 0; }
          .counts span { margin-right: 16px; opacity: .9; }
          main { padding: 16px 24px; }
          table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px #0002; }
          th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
          th { background: #eef0f4; font-weight: 600; }
          .state { font-weight: 600; text-transform: uppercase; font-size: 12px; padding: 2px 6px; border-radius: 3px; }
          .queued { background: #e7ecf5; color: #2a4a80; } .running { background: #fff1d6; color: #8a5a00; }
          .done { background: #dcf3e3; color: #17693a; } .failed { background: #fbe0e0; color: #9b1c1c; }
          .cancelled { background: #ececec; color: #555; }
          .bar { width: 160px; height: 10px; background: #e3e6eb; border-radius: 5px; overflow: hidden; }
          .bar div { height: 100%; background: #3b82f6; }
          .error { color: #9b1c1c; max-width: 420px; white-space: pre-wrap; }
          .thumbs { white-space: nowrap; }
          .thumbs img { height: 72px; border: 1px solid #ccd; display: block; }
          .thumbs figure { display: inline-block; margin: 0 6px 0 0; font-size: 11px; color: #667; vertical-align: top; }
          .path { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
          button { font-size: 12px; }
        </style>
        </head>
        <body>
        <header><h1>Kineto</h1><div class="counts" id="counts">loading…</div></header>
        <main>
        <table id="workers-table" style="margin-bottom:16px">
          <thead><tr><th>worker</th><th>host</th><th>version</th><th>state</th><th>jobs</th><th>done</th><th>fps</th><th>last seen</th></tr></thead>
          <tbody id="workers"></tbody>
        </table>
        <table>
          <thead><tr><th>#</th><th>state</th><th>source → output</th><th>progress</th><th>details</th><th>before / after</th><th></th></tr></thead>
          <tbody id="jobs"></tbody>
        </table>
        </main>
        <script>
        const token = new URLSearchParams(location.search).get('token');
        const withToken = url => token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url;
        const headers = token ? { 'Authorization': 'Bearer ' + token } : {};
        const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
        const base = p => String(p ?? '').split('/').pop();
        async function act(id, what) {
          await fetch(`/api/jobs/${id}/${what}`, { method: 'POST', headers });
          refresh();
        }
        function row(j) {
          const pct = Math.round((j.state === 'done' ? 1 : j.progress) * 100);
          const waiting = j.state === 'queued' && j.chunks;
          const progress = j.state === 'running' || j.state === 'done' || waiting
            ? `<div class="bar"><div style="width:${pct}%"></div></div>${pct}% · ${j.framesOut} frames · ${j.framesPerSecond.toFixed(1)} fps`
              + (waiting ? ` · chunks ${j.chunksDone ?? 0}/${j.chunks} done` : '')
            : (j.retryInSeconds ? `retry in ${Math.ceil(j.retryInSeconds)} s` : '');
          const part = j.chunk ? `<div>chunk ${esc(j.chunk)} of #${j.parent}</div>` : '';
          const thumbs = ['before', 'after'].filter(w => j.thumbnails[w])
            .map(w => `<figure><img alt="${w}" src="${withToken(j.thumbnails[w])}"><figcaption>${w}</figcaption></figure>`).join('');
          const details = [j.attempts ? `attempts: ${j.attempts}` : '', j.error ? `<div class="error">${esc(j.error)}</div>` : ''].join(' ');
          const button = (j.state === 'queued' || j.state === 'running') ? `<button onclick="act(${j.id},'cancel')">cancel</button>`
            : (j.state === 'failed' || j.state === 'cancelled') ? `<button onclick="act(${j.id},'retry')">retry</button>` : '';
          return `<tr><td>${j.id}</td><td><span class="state ${j.state}">${j.state}</span><div>${esc(j.watch)}</div>${part}</td>
            <td class="path" title="${esc(j.source)}">${esc(base(j.source))}${j.output ? ' → ' + esc(base(j.output)) : ''}</td>
            <td>${progress}</td><td>${details}</td><td class="thumbs">${thumbs}</td><td>${button}</td></tr>`;
        }
        async function refresh() {
          try {
            const r = await fetch('/api/jobs?limit=200', { headers });
            if (!r.ok) throw new Error(r.status + ' ' + (await r.text()));
            const jobs = await r.json();
            const counts = {};
            for (const j of jobs) counts[j.state] = (counts[j.state] || 0) + 1;
            document.getElementById('counts').innerHTML = ['running', 'queued', 'done', 'failed', 'cancelled']
              .map(s => `<span>${s}: ${counts[s] || 0}</span>`).join('');
            document.getElementById('jobs').innerHTML = jobs.map(row).join('') || '<tr><td colspan="7">no jobs yet: drop a video into a watched folder</td></tr>';
          } catch (e) {
            document.getElementById('counts').textContent = 'cannot reach the daemon: ' + e.message;
          }
        }
        async function refreshWorkers() {
          try {
            const r = await fetch('/api/workers', { headers });
            if (!r.ok) return;
            const now = Date.now() / 1000;
            document.getElementById('workers').innerHTML = (await r.json()).map(w => `<tr><td>${esc(w.id)}</td><td>${esc(w.host)}</td>
              <td>${esc(w.version)}</td><td>${w.draining ? 'draining' : (w.runningJobs.length ? 'busy' : 'idle')}${w.labels.length ? ' · ' + esc(w.labels.join(', ')) : ''}</td>
              <td>${w.runningJobs.join(', ') || '–'}</td><td>${w.jobsDone}</td><td>${w.framesPerSecond.toFixed(1)}</td>
              <td>${Math.max(0, Math.round(now - w.lastSeen))} s ago</td></tr>`).join('');
          } catch (e) {}
        }
        refresh();
        refreshWorkers();
        setInterval(refresh, 2000);
        setInterval(refreshWorkers, 5000);
        </script>
        </body>
        </html>
        """#
}
