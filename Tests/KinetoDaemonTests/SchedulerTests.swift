import Foundation
import KinetoDaemon
import KinetoMedia
import KinetoPipeline
import Logging
import Testing

/// A stand-in for the pipeline in tests of scheduling logic only: its behaviour follows the input's
/// name, and a successful run copies a real clip (so verification and placement are real).
struct ScriptedExecutor: JobExecutor {
    let clip: String
    let clipFrames: Int64
    let tracker = ConcurrencyTracker()

    func run(
        _ request: ExecutionRequest, progress: @escaping @Sendable (JobProgress) -> Void,
        cancellation: CancellationToken
    ) throws -> ExecutionResult {
        tracker.enter()
        defer { tracker.leave() }
        tracker.ran(request.input)
        let name = (request.input as NSString).lastPathComponent
        if name.hasPrefix("fail") { throw PipelineError(.internal, "scripted failure of \(name)") }
        if name.hasPrefix("nospace") {
            // An injected ENOSPC: half of the output written, then the error the media writer reports
            // when a write fails with ENOSPC (wrapped by the pipeline as it wraps every media error).
            let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
            FileManager.default.createFile(atPath: request.output, contents: bytes.prefix(bytes.count / 2))
            throw PipelineError(
                wrapping: MediaError(
                    .diskFull, path: request.output,
                    "writing a packet failed: no space left on the device; free some space and run again"),
                stage: .encode)
        }
        if name.hasPrefix("bad") { throw PipelineError(.input, "\(request.input): not a video") }
        if name.hasPrefix("slow") || name.hasPrefix("hang") {
            let steps = name.hasPrefix("hang") ? 1000 : 10
            for step in 0..<steps {
                if cancellation.isCancelled { throw PipelineError.cancelled }
                if name.hasPrefix("slow") {
                    progress(
                        JobProgress(framesIn: Int64(step), framesOut: Int64(step), totalFrames: 10, elapsedSeconds: 0.1)
                    )
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        try FileManager.default.copyItem(atPath: clip, toPath: request.output)
        return ExecutionResult(framesIn: clipFrames, framesOut: clipFrames, elapsedSeconds: 0.01)
    }
}

final class ConcurrencyTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0
    private(set) var maximum = 0
    private var runsByInput: [String: Int] = [:]
    func enter() {
        lock.withLock {
            now += 1
            maximum = max(maximum, now)
        }
    }
    func leave() { lock.withLock { now -= 1 } }
    var peak: Int { lock.withLock { maximum } }
    /// Counts a run of `input`.
    func ran(_ input: String) { lock.withLock { runsByInput[input, default: 0] += 1 } }
    /// How many times each input was run.
    var runs: [String: Int] { lock.withLock { runsByInput } }
}

/// Store, processor and scheduler over a fixture, with the scripted executor.
final class SchedulerHarness: @unchecked Sendable {
    let fixture: DaemonFixture
    let config: DaemonConfig
    let store: any JobStore
    let executor: ScriptedExecutor
    let scheduler: JobScheduler
    let processor: JobProcessor
    private var task: Task<Void, Error>?

    init(
        concurrency: Int = 1, maxAttempts: Int = 2, daemonExtra: String = "", watchExtra: String = "",
        availableBytes: @escaping @Sendable (String) -> Int64? = { _ in 1 << 40 }
    ) throws {
        fixture = try DaemonFixture()
        let text = fixture.config(
            maxAttempts: maxAttempts, backoff: 0.1, concurrency: concurrency, extraWatch: watchExtra
        )
        .replacingOccurrences(of: "\n[[watch]]", with: "\(daemonExtra)\n\n[[watch]]")
        config = try DaemonConfig.parse(text)
        store = try SQLiteJobStore(directory: fixture.state)
        let clip = fixture.root + "/clip.mp4"
        try DaemonFixture.makeClip(clip, frames: 12)
        executor = ScriptedExecutor(clip: clip, clipFrames: 12)
        let activity = ActivityMonitor()
        processor = JobProcessor(
            store: store, executor: executor, metrics: DaemonMetrics(), activity: activity,
            logger: Logger(label: "test"), thumbnailDirectory: fixture.state + "/thumbnails",
            maxAttempts: config.maxAttempts, retryBackoffSeconds: config.retryBackoffSeconds,
            availableBytes: availableBytes)
        scheduler = JobScheduler(
            config: ConfigBox(config), store: store, processor: processor, activity: activity,
            logger: Logger(label: "test"), pollInterval: 0.02)
    }

    /// Drops a file with some content into in/ and queues it as the watcher would.
    @discardableResult
    func submit(_ name: String, bytes: Int = 1000) throws -> Int64 {
        let path = fixture.input + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(repeating: 42, count: bytes))
        return try store.enqueue(watch: "test", source: path, identity: FileIdentity(path: path)).job.id!
    }

    func start() { task = Task { [scheduler] in try await scheduler.run() } }

    func stop() async throws {
        scheduler.beginShutdown()
        try await task?.value
    }

    func state(_ id: Int64) throws -> JobState? { try store.job(id: id)?.state }
}

@Suite struct SchedulerTests {
    @Test func successPlacesTheVerifiedOutputUnderItsFinalName() async throws {
        let harness = try SchedulerHarness()
        let id = try harness.submit("movie.avi")
        harness.start()
        #expect(try await eventually(10) { try harness.state(id) == .done })
        try await harness.stop()
        let job = try #require(try harness.store.job(id: id))
        #expect(job.output == harness.fixture.output + "/movie.mp4")
        #expect(harness.fixture.names(harness.fixture.output) == ["movie.mp4"])
        // The source is untouched and stays (after_success = keep).
        #expect(
            FileManager.default.contents(atPath: harness.fixture.input + "/movie.avi")
                == Data(repeating: 42, count: 1000))
        #expect(FileManager.default.fileExists(atPath: harness.fixture.state + "/thumbnails/\(id)-after.png"))
    }

    @Test func anExistingOutputIsNeverReplaced() async throws {
        let harness = try SchedulerHarness()
        let existing = harness.fixture.output + "/movie.mp4"
        FileManager.default.createFile(atPath: existing, contents: Data("mine".utf8))
        let id = try harness.submit("movie.mkv")
        harness.start()
        #expect(try await eventually(10) { try harness.state(id) == .done })
        try await harness.stop()
        #expect(try harness.store.job(id: id)?.output == harness.fixture.output + "/movie (1).mp4")
        #expect(FileManager.default.contents(atPath: existing) == Data("mine".utf8))
        #expect(harness.fixture.names(harness.fixture.output) == ["movie (1).mp4", "movie.mp4"])
    }

    @Test func failuresAreRetriedThenQuarantinedWithAReport() async throws {
        let harness = try SchedulerHarness(maxAttempts: 3)
        let id = try harness.submit("fail.mp4")
        harness.start()
        #expect(try await eventually(10) { try harness.state(id) == .failed })
        try await harness.stop()
        let job = try #require(try harness.store.job(id: id))
        #expect(job.attempts == 3)
        #expect(job.error?.contains("scripted failure") == true)
        let report = try JSONDecoder().decode(
            QuarantineReport.self,
            from: Data(contentsOf: URL(fileURLWithPath: harness.fixture.quarantine + "/fail.mp4.error.json")))
        #expect(report.jobID == id && report.attempts == 3 && report.kind == "internal")
        #expect(report.error.contains("scripted failure"))
        #expect(FileManager.default.fileExists(atPath: harness.fixture.input + "/fail.mp4"))
        #expect(harness.fixture.names(harness.fixture.output).isEmpty)
    }

    @Test func anUnusableInputIsQuarantinedWithoutRetries() async throws {
        let harness = try SchedulerHarness(maxAttempts: 5)
        let id = try harness.submit("bad.mp4")
        harness.start()
        #expect(try await eventually(10) { try harness.state(id) == .failed })
        try await harness.stop()
        #expect(try harness.store.job(id: id)?.attempts == 1)
        #expect(FileManager.default.fileExists(atPath: harness.fixture.quarantine + "/bad.mp4.error.json"))
    }

    @Test func shutdownStopsTheRunningJobAndLeavesItQueued() async throws {
        let harness = try SchedulerHarness()
        let id = try harness.submit("hang.mp4")
        harness.start()
        #expect(try await eventually(10) { try harness.state(id) == .running })
        let started = Date()
        try await harness.stop()
        #expect(Date().timeIntervalSince(started) < 2)
        let job = try #require(try harness.store.job(id: id))
        #expect(job.state == .queued && job.attempts == 0)
        #expect(harness.fixture.names(harness.fixture.output).isEmpty)
    }

    @Test func aUserCancelStopsTheJob() async throws {
        let harness = try SchedulerHarness()
        let id = try harness.submit("hang.mp4")
        let queuedID = try harness.submit("slow-later.mp4")
        harness.start()
        #expect(try await eventually(10) { try harness.state(id) == .running })
        try harness.scheduler.cancel(id: queuedID)
        try harness.scheduler.cancel(id: id)
        #expect(try await eventually(5) { try harness.state(id) == .cancelled })
        try await harness.stop()
        #expect(try harness.state(queuedID) == .cancelled)
        #expect(harness.fixture.names(harness.fixture.output).isEmpty)
    }

    @Test func concurrencyIsRespected() async throws {
        let harness = try SchedulerHarness(concurrency: 2)
        let ids = try (0..<5).map { try harness.submit("slow\($0).mp4") }
        harness.start()
        #expect(try await eventually(20) { try ids.allSatisfy { try harness.state($0) == .done } })
        try await harness.stop()
        #expect(harness.executor.tracker.peak == 2)
        #expect(harness.fixture.names(harness.fixture.output).count == 5)
    }

    @Test func notEnoughSpaceFailsBeforeStarting() async throws {
        let harness = try SchedulerHarness(maxAttempts: 1, availableBytes: { _ in 1000 })
        let id = try harness.submit("movie.mp4")
        harness.start()
        #expect(try await eventually(10) { try harness.state(id) == .failed })
        try await harness.stop()
        #expect(try harness.store.job(id: id)?.error?.contains("not enough free space") == true)
        #expect(harness.executor.tracker.peak == 0)
        #expect(harness.fixture.names(harness.fixture.output).isEmpty)
    }
}
