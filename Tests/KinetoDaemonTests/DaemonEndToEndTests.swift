import Foundation
import Glibc
import KinetoDaemon
import KinetoMedia
import KinetoTestSupport
import Logging
import Testing

/// The daemon as a whole, with the real interpolation pipeline, real files and loopback HTTP.
@Suite(.serialized) struct DaemonEndToEndTests {
    /// Runs a daemon over `fixture` until `body` returns, then shuts it down gracefully.
    static func withDaemon(
        _ fixture: DaemonFixture, configText: String, notifier: SystemdNotifier = SystemdNotifier(environment: [:]),
        availableBytes: @escaping @Sendable (String) -> Int64? = DiskSpace.available(at:),
        _ body: (Daemon, HTTPClient) async throws -> Void
    ) async throws {
        let config = try DaemonConfig.parse(configText)
        var logger = Logger(label: "kineto-test")
        logger.logLevel = ProcessInfo.processInfo.environment["KINETO_TEST_LOG"] != nil ? .debug : .critical
        let daemon = try Daemon(
            config: config, logger: logger, notifier: notifier, watchTick: 0.1, schedulerPoll: 0.05,
            availableBytes: availableBytes)
        let task = Task { try await daemon.run() }
        guard try await eventually(20, { daemon.boundPort != nil }), let port = daemon.boundPort else {
            await daemon.shutdown()
            throw TestError("the daemon did not start listening")
        }
        do {
            try await body(daemon, HTTPClient(port: port, token: config.token))
        } catch {
            await daemon.shutdown()
            _ = try? await task.value
            throw error
        }
        await daemon.shutdown()
        try await task.value
    }

    static func checksum(_ path: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var hash: UInt64 = 1_469_598_103_934_665_603
        for byte in data { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return withUnsafeBytes(of: hash) { Array($0) } + [UInt8(data.count & 0xff)]
    }

    /// Deterministic bytes that are no media format.
    static func garbage(_ count: Int) -> Data {
        var state: UInt32 = 12345
        return Data(
            (0..<count).map { _ in
                state = state &* 1_103_515_245 &+ 12345
                return UInt8(truncatingIfNeeded: state >> 16)
            })
    }

    @Test func dropsBecomeOutputsAndBadFilesEndInQuarantine() async throws {
        let fixture = try DaemonFixture()
        let socket = try NotifySocket(name: fixture.root + "/notify.sock")
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": "400000"])
        // Made outside, moved in whole (as a careful uploader does).
        let staging = fixture.root + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try DaemonFixture.makeClip(staging + "/good.mp4", frames: 12)
        try Tool.run(
            "/usr/bin/ffmpeg",
            [
                "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1",
                "-c:a", "aac", "-f", "mp4", staging + "/audio-only.mp4",
            ])
        FileManager.default.createFile(atPath: staging + "/corrupt.mp4", contents: Self.garbage(50_000))
        FileManager.default.createFile(atPath: staging + "/empty.mp4", contents: Data())
        try DaemonFixture.makeClip(fixture.root + "/submitted.mkv", frames: 8)

        try await Self.withDaemon(fixture, configText: fixture.config(), notifier: notifier) { daemon, http in
            // The watchdog service may speak first; READY=1 comes once the API listens.
            var early: [String] = []
            while early.count < 10, let message = socket.receive() {
                early.append(message)
                if message.hasPrefix("READY=1") { break }
            }
            #expect(early.contains { $0.hasPrefix("READY=1") }, "\(early)")
            var sums: [String: [UInt8]] = [:]
            for name in ["good.mp4", "audio-only.mp4", "corrupt.mp4", "empty.mp4"] {
                #expect(rename(staging + "/" + name, fixture.input + "/" + name) == 0)
                sums[name] = Self.checksum(fixture.input + "/" + name)
            }
            let finished = try await eventually(60) {
                let counts = try daemon.store.countsByState()
                return counts[.done] == 1 && counts[.failed] == 3
            }
            let summary = try daemon.store.jobs().map { "\($0.source): \($0.state) \($0.error ?? "")" }
            #expect(finished, "\(summary)")

            // The one good file came out, complete, and nothing else is in the output folder.
            #expect(fixture.names(fixture.output) == ["good.mp4"])
            let reader = try MediaReader(fixture.output + "/good.mp4", options: ReaderOptions(passthrough: false))
            var frames = 0
            while try reader.nextVideoFrame() != nil { frames += 1 }
            #expect(frames >= 22 && frames <= 24, "12 frames at 2x: \(frames)")
            // Each bad file has a report saying why; the sources are all unchanged and in place.
            for (name, reason) in [("audio-only.mp4", "video"), ("corrupt.mp4", ""), ("empty.mp4", "empty")] {
                let data = try Data(contentsOf: URL(fileURLWithPath: fixture.quarantine + "/\(name).error.json"))
                let report = try JSONDecoder().decode(QuarantineReport.self, from: data)
                #expect(report.kind == "input", "\(name): \(report.error)")
                #expect(reason.isEmpty || report.error.lowercased().contains(reason), "\(name): \(report.error)")
            }
            for (name, sum) in sums { #expect(Self.checksum(fixture.input + "/" + name) == sum, "\(name) changed") }

            // The API.
            let list = try JSONDecoder().decode([JobView].self, from: try await http.request("GET", "/api/jobs").body)
            #expect(list.count == 4)
            let good = try #require(list.first { $0.source.hasSuffix("good.mp4") })
            #expect(good.state == .done && good.output == fixture.output + "/good.mp4" && good.progress == 1)
            #expect(good.thumbnails["before"] != nil && good.thumbnails["after"] != nil)
            let thumbnail = try await http.request("GET", "/api/jobs/\(good.id)/thumbnail/after")
            #expect(
                thumbnail.status == 200 && thumbnail.type == "image/png"
                    && thumbnail.body.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            let one = try JSONDecoder().decode(
                JobView.self, from: try await http.request("GET", "/api/jobs/\(good.id)").body)
            #expect(one == good)
            #expect(try await http.request("GET", "/api/jobs/999").status == 404)
            #expect(try await http.request("POST", "/api/jobs/\(good.id)/cancel").status == 409)
            #expect(try await http.request("GET", "/healthz").status == 200)
            let metrics = try await http.text("/metrics")
            #expect(metrics.contains("kineto_jobs{state=\"done\"} 1"), "\(metrics)")
            #expect(metrics.contains("kineto_jobs{state=\"failed\"} 3"))
            #expect(metrics.contains("kineto_frames_processed_total"))
            #expect(metrics.contains("kineto_queue_depth 0"))
            #expect(try await http.text("/").contains("<title>Kineto</title>"))

            // Submitting a file through the API; retrying a quarantined job.
            let submitted = try await http.request(
                "POST", "/api/jobs", json: "{\"source\": \"\(fixture.root)/submitted.mkv\"}")
            #expect(submitted.status == 201)
            let submittedJob = try JSONDecoder().decode(JobView.self, from: submitted.body)
            #expect(try await eventually(30) { try daemon.store.job(id: submittedJob.id)?.state == .done })
            #expect(FileManager.default.fileExists(atPath: fixture.output + "/submitted.mp4"))
            let again = try await http.request(
                "POST", "/api/jobs", json: "{\"source\": \"\(fixture.root)/submitted.mkv\"}")
            #expect(again.status == 200, "the same file is one job")
            #expect(try await http.request("POST", "/api/jobs", json: "{\"source\": \"relative.mp4\"}").status == 400)
            let empty = try #require(list.first { $0.source.hasSuffix("empty.mp4") })
            let retried = try await http.request("POST", "/api/jobs/\(empty.id)/retry")
            #expect(retried.status == 200)
            #expect(try await eventually(10) { try daemon.store.job(id: empty.id)?.state == .failed })

            let messages = await socket.collect(seconds: 1)
            #expect(messages.contains("WATCHDOG=1"))
            #expect(messages.contains { $0.hasPrefix("STATUS=") })
        }
        #expect(await socket.receives(within: 10) { $0.hasPrefix("STOPPING=1") })
        #expect(fixture.names(fixture.output).allSatisfy { !$0.hasPrefix(".") })
    }

    @Test func shutdownMidJobLeavesNoPartialAndTheJobFinishesAfterRestart() async throws {
        let fixture = try DaemonFixture()
        try DaemonFixture.makeClip(fixture.root + "/long.mp4", frames: 600, size: "320x240", rate: 24)
        let sum = Self.checksum(fixture.root + "/long.mp4")
        #expect(rename(fixture.root + "/long.mp4", fixture.input + "/long.mp4") == 0)
        var stoppedIn = 0.0
        try await Self.withDaemon(fixture, configText: fixture.config()) { daemon, _ in
            let running = try await eventually(30) { (try daemon.store.jobs().first?.framesOut ?? 0) > 0 }
            #expect(running)
            let started = Date()
            await daemon.shutdown()
            stoppedIn = Date().timeIntervalSince(started)
        }
        #expect(stoppedIn < 10, "graceful stop took \(stoppedIn) s")
        #expect(fixture.names(fixture.output).isEmpty, "\(fixture.names(fixture.output))")
        let store = try SQLiteJobStore(directory: fixture.state)
        let job = try #require(try store.jobs().first)
        #expect(job.state == .queued && job.attempts == 0)

        try await Self.withDaemon(fixture, configText: fixture.config()) { daemon, _ in
            let done = try await eventually(120) { try daemon.store.jobs().first?.state == .done }
            #expect(done)
        }
        #expect(fixture.names(fixture.output) == ["long.mp4"])
        #expect(Self.checksum(fixture.input + "/long.mp4") == sum)
    }

    /// A real full disk: a 200 KiB tmpfs over the output folder. Mounting needs root (and a container
    /// that allows mounts); elsewhere FaultHandlingTests' injected ENOSPC covers the same path.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFullDiskFailsTheJobCleanly() async throws {
        let fixture = try DaemonFixture()
        guard
            (try? Tool.run("/bin/mount", ["-t", "tmpfs", "-o", "size=200k", "tmpfs", fixture.output])) != nil
        else { return }
        defer { _ = try? Tool.run("/bin/umount", [fixture.output]) }
        try DaemonFixture.makeClip(fixture.root + "/big.mp4", frames: 120, size: "320x240", rate: 24)
        #expect(rename(fixture.root + "/big.mp4", fixture.input + "/big.mp4") == 0)
        // First with the free-space check bypassed, so the encoder itself hits ENOSPC.
        try await Self.withDaemon(
            fixture, configText: fixture.config(maxAttempts: 1), availableBytes: { _ in 1 << 40 },
            { daemon, http in
                #expect(try await eventually(60) { try daemon.store.jobs().first?.state == .failed })
                let job = try #require(try daemon.store.jobs().first)
                #expect(job.error?.lowercased().contains("space") == true, "\(job.error ?? "")")
                #expect(try await http.request("GET", "/healthz").status == 200)
            })
        #expect(fixture.names(fixture.output).isEmpty, "temporary files left: \(fixture.names(fixture.output))")
        // Then with the real check: refused before any work, with the numbers.
        let store = try SQLiteJobStore(directory: fixture.state)
        let id = try #require(try store.jobs().first?.id)
        try store.retry(id: id)
        try await Self.withDaemon(fixture, configText: fixture.config(maxAttempts: 1)) { daemon, _ in
            #expect(try await eventually(30) { try daemon.store.job(id: id)?.state == .failed })
            let message = try daemon.store.job(id: id)?.error ?? ""
            #expect(message.contains("not enough free space"), "\(message)")
        }
        #expect(fixture.names(fixture.output).isEmpty)
    }
}
