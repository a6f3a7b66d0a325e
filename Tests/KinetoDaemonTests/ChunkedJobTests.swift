import Foundation
import Glibc
import KinetoDaemon
import KinetoMedia
import KinetoPipeline
import KinetoTestSupport
import Logging
import Testing

/// Long videos split into chunks that any worker takes, then joined: the queue's rules (a split job
/// waits for its chunks, cancel and retry reach them) on both stores, and real daemons whose joined
/// output has the frames, timestamps and audio of a single run.
@Suite(.serialized) struct ChunkedJobTests {
    /// Three chunks of job `parent` (their plan's content does not matter to the store).
    private static func chunks(_ count: Int) -> [JobChunk] {
        (0..<count).map {
            JobChunk(
                index: $0, count: count,
                range: ChunkRange(
                    index: $0, readFromPTS: $0 == 0 ? nil : Int64($0) * 100,
                    window: OutputWindow(
                        originPTS: 0, first: Int64($0) * 10, end: $0 + 1 < count ? Int64($0 + 1) * 10 : nil)))
        }
    }

    /// The queue rules every store follows for a split job.
    private static func checkSplitRules(_ store: any JobStore, other: any JobStore) throws {
        let identity = FileIdentity(size: 5000, mtimeNanoseconds: 7, inode: 42, device: 1)
        let (job, _) = try store.enqueue(
            watch: "w", source: "/in/long.mp4", relativePath: "long.mp4", identity: identity)
        let (later, _) = try store.enqueue(
            watch: "w", source: "/in/other.mp4", relativePath: "other.mp4",
            identity: FileIdentity(size: 10, mtimeNanoseconds: 1, inode: 43, device: 1))
        let id = try #require(job.id)
        let claimed = try #require(try store.claimNext(watches: ["w"]))
        #expect(claimed.id == id)
        // Only the run holding the job may split it.
        #expect(try !other.split(id: id, run: claimed.run + 1, chunks: chunks(3), now: 1))
        #expect(try store.split(id: id, run: claimed.run, chunks: chunks(3), now: 1))
        let parts = try store.chunks(of: id)
        #expect(parts.map { $0.chunk?.index } == [0, 1, 2])
        #expect(parts.allSatisfy { $0.parentID == id && $0.state == .queued && $0.size == 5000 })
        #expect(try store.job(id: id)?.state == .queued && store.job(id: id)?.chunkCount == 3)
        // Chunks keep their parent's place (before the later file); the parent waits for all of them.
        let first = try #require(try other.claimNext(watches: ["w"]))
        #expect(first.id == parts[0].id)
        let second = try #require(try store.claimNext(watches: ["w"]))
        #expect(second.id == parts[1].id)
        let third = try #require(try other.claimNext(watches: ["w"]))
        #expect(third.id == parts[2].id)
        #expect(try store.claimNext(watches: ["w"])?.id == later.id)
        #expect(try store.claimNext(watches: ["w"]) == nil)
        // A failed chunk is retried alone.
        try other.markDone(id: first.id!, run: first.run, output: "/out/c0", framesOut: 10, framesPerSecond: 1)
        _ = try store.markFailed(id: second.id!, run: second.run, error: "boom", retryAt: 0)
        try other.markDone(id: third.id!, run: third.run, output: "/out/c2", framesOut: 10, framesPerSecond: 1)
        #expect(try store.claimNext(watches: ["w"])?.id == second.id)
        #expect(try store.claimNext(watches: ["w"]) == nil)
        try store.markDone(id: second.id!, run: second.run + 1, output: "/out/c1", framesOut: 10, framesPerSecond: 1)
        // All done: the parent comes back, to join them.
        let join = try #require(try other.claimNext(watches: ["w"]))
        #expect(join.id == id && join.chunkCount == 3)
        #expect(try store.chunks(of: id).compactMap(\.output) == ["/out/c0", "/out/c1", "/out/c2"])
        // Cancel reaches the chunks still to do; retry brings them back, done ones stay done.
        _ = try store.markFailed(id: id, run: join.run, error: "join failed", retryAt: nil)
        let (next, _) = try store.enqueue(
            watch: "w", source: "/in/next.mp4", relativePath: "next.mp4",
            identity: FileIdentity(size: 11, mtimeNanoseconds: 1, inode: 44, device: 1))
        let nextClaim = try #require(try store.claimNext(watches: ["w"]))
        #expect(nextClaim.id == next.id)
        #expect(try store.split(id: next.id!, run: nextClaim.run, chunks: chunks(2), now: 2))
        let nextParts = try store.chunks(of: next.id!)
        let running = try #require(try other.claimNext(watches: ["w"]))
        #expect(running.id == nextParts[0].id)
        _ = try store.cancel(id: next.id!, now: 3)
        #expect(try store.chunks(of: next.id!).map(\.state) == [.cancelled, .cancelled])
        #expect(try !other.heartbeat(id: running.id!, run: running.run, now: 4))
        _ = try store.retry(id: next.id!)
        #expect(try store.chunks(of: next.id!).map(\.state) == [.queued, .queued])
        #expect(try store.job(id: next.id!)?.state == .queued)
        #expect(try store.retry(id: id)?.state == .queued)
        #expect(try store.chunks(of: id).map(\.state) == [.done, .done, .done])
    }

    @Test func sqliteStoreSplitsJobs() throws {
        let fixture = try DaemonFixture()
        let store = try SQLiteJobStore(directory: fixture.state, workerID: "a")
        try Self.checkSplitRules(store, other: store)
    }

    @Test(.enabled(if: PostgresTestServer.available, "needs KINETO_TEST_POSTGRES"))
    func postgresStoreSplitsJobs() throws {
        let database = try TestDatabase()
        try Self.checkSplitRules(try database.store(worker: "a"), other: try database.store(worker: "b"))
    }

    @Test func chunkSecondsIsAWatchSettingForInterpolateJobs() throws {
        let fixture = try DaemonFixture()
        let on = try DaemonConfig.parse(fixture.config(extraWatch: "chunk_seconds = 120"), validate: false)
        #expect(on.watches.first?.chunkSeconds == 120)
        let off = try DaemonConfig.parse(fixture.config(extraWatch: "chunk_seconds = 0"), validate: false)
        #expect(off.watches.first?.chunkSeconds == nil)
        #expect(try DaemonConfig.parse(fixture.config(), validate: false).watches.first?.chunkSeconds == nil)
        let short = try #require(throws: ConfigError.self) {
            try DaemonConfig.parse(fixture.config(extraWatch: "chunk_seconds = 5"), validate: false)
        }
        #expect("\(short)".contains("chunk_seconds must be 0 (off) or at least 10"))
        let slowmo = try #require(throws: ConfigError.self) {
            try DaemonConfig.parse(
                fixture.config(extraWatch: "job = \"slowmo\"\nchunk_seconds = 60"), validate: false)
        }
        #expect("\(slowmo)".contains("chunk_seconds splits interpolate jobs only"))
    }

    /// The real pipeline, counting its runs per chunk (-1: the join) and failing the chosen chunks once.
    final class CountingExecutor: JobExecutor, @unchecked Sendable {
        private let real = PipelineExecutor()
        private let lock = NSLock()
        private var failOnce: Set<Int>
        private(set) var calls: [Int: Int] = [:]

        init(failOnce: Set<Int>) { self.failOnce = failOnce }

        func run(
            _ request: ExecutionRequest, progress: @escaping @Sendable (JobProgress) -> Void,
            cancellation: CancellationToken
        ) throws -> ExecutionResult {
            let key = request.chunk?.index ?? (request.joining != nil ? -1 : -2)
            let fails = lock.withLock {
                calls[key, default: 0] += 1
                return failOnce.remove(key) != nil
            }
            if fails { throw PipelineError(.internal, "chunk \(key) fails once on purpose") }
            return try real.run(request, progress: progress, cancellation: cancellation)
        }

        func planChunks(_ request: ExecutionRequest, chunkSeconds: Double) throws -> [ChunkRange]? {
            try real.planChunks(request, chunkSeconds: chunkSeconds)
        }
    }

    @Test func aFailedChunkIsRetriedAloneAndAMadeChunkIsNeverMadeAgain() throws {
        let fixture = try DaemonFixture()
        try Self.longClip(fixture.input + "/clip.mp4", seconds: 45)
        let config = try DaemonConfig.parse(fixture.config(extraWatch: "chunk_seconds = 10"), validate: false)
        let watch = try #require(config.watches.first)
        let store = try SQLiteJobStore(directory: fixture.state, workerID: "solo")
        let executor = CountingExecutor(failOnce: [1])
        let processor = JobProcessor(
            store: store, executor: executor, metrics: DaemonMetrics(), activity: ActivityMonitor(),
            logger: Logger(label: "test"), thumbnailDirectory: fixture.state + "/thumbnails", maxAttempts: 3,
            retryBackoffSeconds: 0)
        let (parent, _) = try store.enqueue(
            watch: watch.name, source: fixture.input + "/clip.mp4", relativePath: "clip.mp4",
            identity: FileIdentity(path: fixture.input + "/clip.mp4"))
        func step() throws -> (JobRecord, JobOutcome)? {
            guard let job = try store.claimNext(now: Date().timeIntervalSince1970 + 1, watches: nil) else { return nil }
            return (job, processor.process(job, watch: watch, control: RunControl()))
        }
        #expect(try step()?.1 == .split(chunks: 4))
        var recordedAgain = false
        while let (job, outcome) = try step() {
            // A crash after chunk 2's file was in place and before the store recorded it: the store
            // has it queued again, the file is there.
            if job.chunk?.index == 2, case .done = outcome, !recordedAgain {
                recordedAgain = true
                _ = try store.markFailed(id: job.id!, run: nil, error: "simulated crash", retryAt: 0)
            }
        }
        let done = try #require(try store.job(id: parent.id!))
        #expect(done.state == .done, "\(String(describing: done.error))")
        #expect(recordedAgain)
        // Chunk 1 ran twice (its failure retried alone), every other chunk and the join once.
        #expect(executor.calls == [0: 1, 1: 2, 2: 1, 3: 1, -1: 1])
        #expect(try store.chunks(of: parent.id!).map(\.state) == Array(repeating: .done, count: 4))
        #expect(fixture.names(fixture.output) == ["clip.mp4"])
    }

    // MARK: - Real daemons

    /// A testsrc2 video at 96×54, 10 fps, keyframes every 5 s, with a 440 Hz tone.
    static func longClip(_ path: String, seconds: Int) throws {
        try Tool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=96x54:r=10:d=\(seconds)", "-f", "lavfi", "-i", "sine=f=440:d=\(seconds)",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50", "-c:a", "aac", "-b:a", "32k",
            path,
        ])
    }

    /// The single run of the watch's settings (what one worker makes without chunks).
    static func singleRun(_ input: String, _ output: String) throws {
        let job = InterpolationJob(
            input: input, output: output, targetRate: try TargetRate(parsing: "2x"), method: .blend, crf: 30,
            preset: "ultrafast")
        _ = try JobRunner.run(job)
    }

    /// Packet timestamps of one stream (`v` sorted by presentation time, `a` as stored).
    static func packets(_ path: String, _ stream: String) throws -> [String] {
        let lines = try Tool.ffprobe([
            "-v", "error", "-select_streams", stream, "-show_entries", "packet=pts,duration", "-of", "csv=p=0", path,
        ]).split(separator: "\n").map(String.init)
        return stream == "v"
            ? lines.sorted { (Int($0.split(separator: ",")[0]) ?? 0) < (Int($1.split(separator: ",")[0]) ?? 0) } : lines
    }

    /// The joined file against the single run: same video frames at the same times, same audio packets.
    static func expectSameTimeline(_ joined: String, as single: String) throws {
        let video = try packets(joined, "v")
        let expected = try packets(single, "v")
        #expect(video.count == expected.count)
        #expect(video == expected, "first difference at \(Array(zip(video, expected)).firstIndex { $0 != $1 } ?? -1)")
        #expect(try packets(joined, "a") == packets(single, "a"))
        let decode = try Tool.execute("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", joined, "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")
    }

    @Test func oneSQLiteDaemonSplitsAndJoinsTheSameWay() async throws {
        let fixture = try DaemonFixture()
        let master = fixture.root + "/clip.mp4"
        try Self.longClip(master, seconds: 45)
        let single = fixture.root + "/single.mp4"
        try Self.singleRun(master, single)
        let config = fixture.root + "/kineto.toml"
        try fixture.config(concurrency: 2, extraWatch: "chunk_seconds = 10").write(
            toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = SharedQueueProcessTests.Farm.executable
        process.arguments = ["daemon", "--config", config]
        let log = fixture.root + "/daemon.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try Tool.withProcess(process) { _ in
            guard rename(master, fixture.input + "/clip.mp4") == 0 else { throw TestError("cannot drop the clip") }
            let store = try SQLiteJobStore(directory: fixture.state, workerID: "reader")
            let deadline = Date().addingTimeInterval(120)
            var parent: JobRecord?
            while Date() < deadline {
                parent = try store.jobs().first { $0.parentID == nil }
                if parent?.state == .done || parent?.state == .failed { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            let log = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(parent?.state == .done, "\(String(describing: parent))\n\(log.suffix(2000))")
            #expect(parent?.chunkCount == 4)
            #expect(try store.chunks(of: parent?.id ?? 0).map(\.state) == Array(repeating: .done, count: 4))
        }
        #expect(fixture.names(fixture.output) == ["clip.mp4"])
        try Self.expectSameTimeline(fixture.output + "/clip.mp4", as: single)
    }
}

/// In the farm suite, whose tests run one at a time: three more daemons beside another farm's would
/// starve its timing checks.
extension SharedQueueProcessTests {
    @Test func tenMinutesOnThreeWorkersJoinIntoTheSingleRunsTimeline() async throws {
        let farm = try Farm(lease: 5, extraWatch: "chunk_seconds = 60")
        let master = farm.fixture.root + "/long.mp4"
        try ChunkedJobTests.longClip(master, seconds: 600)
        let single = farm.fixture.root + "/single.mp4"
        try ChunkedJobTests.singleRun(master, single)
        guard rename(master, farm.fixture.input + "/long.mp4") == 0 else { throw TestError("cannot drop the clip") }
        let finished = await eventually(240) {
            farm.query("SELECT state FROM job WHERE parent_id IS NULL") == "done"
        }
        #expect(
            finished,
            "\(farm.query("SELECT id, state, worker, error FROM job ORDER BY id"))\n\(farm.log(0).suffix(2000))")
        #expect(farm.query("SELECT count(*) FROM job WHERE parent_id IS NOT NULL AND state = 'done'") == "10")
        let workers = Int(farm.query("SELECT count(DISTINCT worker) FROM job WHERE parent_id IS NOT NULL")) ?? 0
        #expect(workers >= 2, "chunks made by \(workers) worker(s)")
        try await Task.sleep(nanoseconds: 300_000_000)
        // One output, no chunk or staging file left behind.
        #expect(farm.fixture.names(farm.fixture.output) == ["long.mp4"])
        try ChunkedJobTests.expectSameTimeline(farm.fixture.output + "/long.mp4", as: single)
    }
}
