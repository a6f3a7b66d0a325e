import Foundation
import Logging
import ServiceLifecycle

/// Turns files dropped into watched folders into queued jobs.
///
/// Every `tick` seconds it re-checks the files waiting for their stable window, scans folders that
/// inotify hinted at, and rescans each folder every `rescan_seconds` regardless (events get lost). A
/// file is queued once it matches the watch's patterns, is not a hidden/partial/temporary file, has
/// kept its size and modification time for `stable_seconds`, is not open for writing (when that can
/// be told), and is not already known to the store under the same identity.
public final class FolderWatcher: Service, @unchecked Sendable {
    private let config: ConfigBox
    private let store: any JobStore
    private let logger: Logger
    private let tick: Double
    private let lock = NSLock()
    private var tracker = StabilityTracker()
    private var lastScan: [String: Double] = [:]
    private var inotify: InotifyWatcher?
    private var warnedFolders: Set<String> = []

    public init(config: ConfigBox, store: any JobStore, logger: Logger, tick: Double = 0.5) {
        self.config = config
        self.store = store
        self.logger = logger
        self.tick = tick
    }

    public func run() async throws {
        do {
            inotify = try InotifyWatcher()
        } catch {
            logger.warning("\(error); relying on periodic rescans")
        }
        defer { inotify?.stop() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.poll(now: ActivityMonitor.now())
                try? await Task.sleep(nanoseconds: UInt64(self.tick * 1e9))
            }
        }
    }

    /// One round: scans what is due, queues what is stable. Returns the jobs queued (tests call it directly).
    @discardableResult
    public func poll(now: Double) -> [JobRecord] {
        // A worker-only host runs jobs and leaves the folders to the hosts that watch them.
        guard config.current.watchFolders else { return [] }
        let watches = config.current.watches
        let inputs = Set(watches.map(\.input))
        inotify?.unwatchAll(except: inputs)
        for watch in watches {
            do {
                try inotify?.watch(watch.input)
            } catch {
                warnOnce(watch.input, "\(error)")
            }
        }
        let hints = inotify?.takeHints() ?? (folders: [], overflow: false)
        var queued: [JobRecord] = []
        lock.withLock {
            for watch in watches {
                let due =
                    hints.overflow || hints.folders.contains(watch.input)
                    || now - (lastScan[watch.input] ?? -Double.infinity) >= watch.rescanSeconds
                if due { scan(watch, now: now) } else { recheckPending(in: watch, now: now) }
            }
            for (path, identity) in tracker.stableFiles(
                now: now,
                stableSeconds: { path in
                    watches.first { $0.input == (path as NSString).deletingLastPathComponent }?.stableSeconds ?? 10
                })
            {
                guard let watch = watches.first(where: { $0.input == (path as NSString).deletingLastPathComponent })
                else { continue }
                if WriterDetector.isOpenForWriting(path) == true {
                    tracker.restart(path, now: now)
                    continue
                }
                do {
                    // Named relative to the watch folder, so hosts that mount the share elsewhere find the same job.
                    let (job, inserted) = try store.enqueue(
                        watch: watch.name, source: path,
                        relativePath: (path as NSString).lastPathComponent, identity: identity)
                    tracker.settle(path)
                    if inserted {
                        queued.append(job)
                        logger.info(
                            "job queued",
                            metadata: ["job": "\(job.id ?? 0)", "source": "\(path)", "watch": "\(watch.name)"])
                    }
                } catch {
                    logger.error("cannot queue \(path): \(error)")
                }
            }
        }
        return queued
    }

    private func scan(_ watch: WatchConfig, now: Double) {
        lastScan[watch.input] = now
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: watch.input)
        } catch {
            warnOnce(watch.input, "cannot list \(watch.input): \(error)")
            return
        }
        var present = Set<String>()
        for name in names where watch.accepts(fileName: name) {
            let path = (watch.input as NSString).appendingPathComponent(name)
            guard let identity = FileIdentity(path: path) else { continue }
            present.insert(path)
            tracker.observe(path, identity: identity, now: now)
        }
        tracker.forget(in: watch.input, except: present)
    }

    private func recheckPending(in watch: WatchConfig, now: Double) {
        let prefix = watch.input + "/"
        for path in tracker.pendingPaths where path.hasPrefix(prefix) {
            if let identity = FileIdentity(path: path) { tracker.observe(path, identity: identity, now: now) }
        }
    }

    private func warnOnce(_ folder: String, _ message: String) {
        if warnedFolders.insert(folder).inserted { logger.warning("\(message)") }
    }
}
