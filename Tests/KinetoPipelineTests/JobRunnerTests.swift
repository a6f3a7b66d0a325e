import Foundation
import KinetoEngine
import KinetoMedia
import KinetoModels
import KinetoPipeline
import KinetoTestSupport
import Testing

/// End-to-end jobs on generated clips and the samples: frame counts, exact timestamps, audio, damage.
@Suite struct JobRunnerTests {
    private func job(_ input: String, _ output: String, fps: String, method: InterpolationMethod = .blend) throws
        -> InterpolationJob
    {
        InterpolationJob(
            input: input, output: output, targetRate: try TargetRate(parsing: fps), method: method, preset: "ultrafast")
    }

    @Test func film24To60KeepsAudioInSync() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "24", seconds: 2)
        let result = try JobRunner.run(try job(input, clips.path("out.mp4"), fps: "60"))
        #expect(result.framesIn == 48)
        #expect(result.framesOut == 120)
        #expect(result.framesPassedThrough == 24 + 2)  // every 5th output, plus the last frame held twice
        #expect(result.damage.isClean)
        let out = try ReadBack(clips.path("out.mp4"))
        #expect(out.frameTimes.count == 120)
        // Exactly on the 1/60 s grid: output k at k/60 s.
        #expect(out.frameTimes == (0..<120).map { Rational(Int64($0), 60) })
        #expect(out.info.video.frameRate == Rational(60))
        #expect(out.audioCodecs == ["aac"])
        // The tone covers the same 2 s as the picture.
        let audioStart = try #require(out.firstAudioTime)
        let audioEnd = try #require(out.lastAudioTime)
        #expect(abs(audioStart) < 0.03)
        #expect(abs(audioEnd - 2.0) < 0.05)
        #expect(clips.contents == ["in.mp4", "out.mp4"])
    }

    @Test func palAndNTSCRates() throws {
        let clips = try Scratch("kineto-pipeline")
        let pal = try clips.clip("pal.mkv", rate: "25", seconds: 2, audio: false)
        let r1 = try JobRunner.run(try job(pal, clips.path("pal50.mkv"), fps: "50", method: .repeatFrames))
        #expect(r1.framesOut == 100)
        #expect(try ReadBack(clips.path("pal50.mkv")).frameTimes.count == 100)

        let ntsc = try clips.clip("ntsc.mp4", rate: "30000/1001", seconds: 2, audio: false)
        // 60 frames at 30000/1001 fps last 2.002 s → ceil(2.002 × 60) = 121 output frames.
        let r2 = try JobRunner.run(try job(ntsc, clips.path("ntsc60.mp4"), fps: "60"))
        #expect(r2.framesIn == 60)
        #expect(r2.framesOut == 121)
        let times = try ReadBack(clips.path("ntsc60.mp4")).frameTimes
        #expect(times == (0..<121).map { Rational(Int64($0), 60) })

        let r3 = try JobRunner.run(try job(ntsc, clips.path("ntsc2x.mkv"), fps: "2.5x", method: .repeatFrames))
        #expect(r3.outputRate == FrameRate(frames: 75000, seconds: 1001))
        #expect(r3.framesOut == 150)
    }

    @Test func downconversion60To24() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "60", seconds: 1, audio: false)
        let result = try JobRunner.run(try job(input, clips.path("out.mp4"), fps: "24"))
        #expect(result.framesOut == 24)
        #expect(result.framesPassedThrough == 12)
    }

    @Test func variableFrameRateInput() throws {
        let clips = try Scratch("kineto-pipeline")
        // Frames at uneven times: every 3rd frame of a 30 fps source dropped, ms time base (Matroska).
        let vfr = clips.path("vfr.mkv")
        try clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30:duration=2",
            "-vf", "select='not(eq(mod(n\\,3)\\,2))'", "-fps_mode", "vfr",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", vfr,
        ])
        let result = try JobRunner.run(try job(vfr, clips.path("out.mp4"), fps: "30"))
        #expect(result.framesIn == 40)
        // The last input frame (source frame 58 at 1.933 s) ends at 1.967 s or 2.0 s → 59 or 60 outputs on the 1/30 grid.
        #expect((59...60).contains(result.framesOut))
        let times = try ReadBack(clips.path("out.mp4")).frameTimes
        #expect(times == (0..<Int(result.framesOut)).map { Rational(Int64($0), 30) })
        // Outputs on surviving input times (rounded to ms in Matroska) are passed through; dropped ones are blended.
        #expect(result.framesPassedThrough >= 40 && result.framesPassedThrough <= 42)
    }

    @Test func sampleWithAC3AudioIntoMP4() throws {
        let clips = try Scratch("kineto-pipeline")
        let result = try JobRunner.run(
            try job(
                Fixtures.sample("Megamind.avi"), clips.path("mega.mp4"), fps: "2x",
                method: .repeatFrames))
        // The AVI states 2997/125 fps (23.976 exactly), so 2x is 5994/125.
        #expect(result.outputRate == FrameRate(frames: 5994, seconds: 125))
        #expect(result.framesOut == 2 * result.framesIn)
        let out = try ReadBack(clips.path("mega.mp4"))
        #expect(out.frameTimes.count == Int(result.framesOut))
        // MP4 holds AC-3, so the audio is copied; AAC would also be acceptable.
        #expect(out.audioCodecs == ["ac3"] || out.audioCodecs == ["aac"])
        let videoEnd = Double(result.framesOut) * 125 / 5994
        #expect(abs(try #require(out.lastAudioTime) - videoEnd) < 0.2)
    }

    @Test func truncatedInputSucceedsWithDamageReported() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("whole.mkv", rate: "25", seconds: 4, audio: false)
        let data = try Data(contentsOf: URL(fileURLWithPath: input))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: clips.path("half.mkv")))
        let result = try JobRunner.run(try job(clips.path("half.mkv"), clips.path("out.mp4"), fps: "50"))
        #expect(result.framesIn > 10 && result.framesIn < 100)
        #expect(result.framesOut >= 2 * result.framesIn - 1)
        #expect(!result.damage.isClean)
        #expect(result.warnings.contains { $0.contains("half.mkv") && $0.contains("damaged") })
    }

    @Test func corruptBytesInTheMiddleAreSkipped() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.ts", rate: "25", seconds: 4, audio: false)
        var data = try Data(contentsOf: URL(fileURLWithPath: input))
        var generator = SplitMix(seed: 7)
        let middle = data.count / 2
        for i in middle..<(middle + 20_000) { data[i] = UInt8(truncatingIfNeeded: generator.next()) }
        try data.write(to: URL(fileURLWithPath: clips.path("bad.ts")))
        let result = try JobRunner.run(try job(clips.path("bad.ts"), clips.path("out.mp4"), fps: "50"))
        #expect(result.framesIn > 50)
        #expect(result.framesOut > 100)
        #expect(FileManager.default.fileExists(atPath: clips.path("out.mp4")))
    }

    @Test func cancellationMidJobLeavesNoOutput() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "25", seconds: 4)
        let token = CancellationToken()
        #expect {
            try JobRunner.run(
                try job(input, clips.path("out.mp4"), fps: "60"),
                progress: { p in if p.framesOut > 0 { token.cancel() } }, cancellation: token)
        } throws: { ($0 as? PipelineError)?.code == .cancelled }
        #expect(clips.contents == ["in.mp4"])
    }

    @Test func cancellationFromAnotherThread() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "25", seconds: 4, size: "640x360")
        let token = CancellationToken()
        let gate = DispatchSemaphore(value: 0)
        Thread {
            gate.wait()
            token.cancel()
        }.start()
        let method = InterpolationMethod(
            name: "slow", summary: "",
            engine: .model({ _ in
                SlowInterpolator(onFirstCall: { gate.signal() })
            }))
        #expect {
            try JobRunner.run(try job(input, clips.path("out.mkv"), fps: "2x", method: method), cancellation: token)
        } throws: { ($0 as? PipelineError)?.code == .cancelled }
        #expect(clips.contents == ["in.mp4"])
    }

    @Test func aFailingModelStopsTheJobAndNamesTheStage() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "25", seconds: 2)
        let method = InterpolationMethod(name: "broken", summary: "", engine: .model({ _ in FailingInterpolator() }))
        do {
            _ = try JobRunner.run(try job(input, clips.path("out.mp4"), fps: "50", method: method))
            Issue.record("the job should fail")
        } catch let error as PipelineError {
            #expect(error.code == .internal)
            #expect(error.stage == .interpolate)
            #expect(error.description.contains("interpolate"))
        }
        #expect(clips.contents == ["in.mp4"])
    }

    @Test func modelsGetRGBFramesAndMidpointOnlyModelsGetDyadicTimes() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "24", seconds: 1, audio: false)
        let calls = CallLog()
        let arbitrary = InterpolationMethod(
            name: "avg", summary: "",
            engine: .model({ _ in
                AveragingInterpolator(arbitrary: true, log: calls)
            }))
        let r1 = try JobRunner.run(try job(input, clips.path("any.mp4"), fps: "60", method: arbitrary))
        #expect(r1.framesOut == 60)
        // 12 outputs on input frames (every 5th) + 2 holding the last frame; the other 46 are model calls
        // at t = 0.2, 0.4, 0.6, 0.8.
        #expect(calls.times.count == 46)
        #expect(Set(calls.times.map { ($0 * 10).rounded() / 10 }) == [0.2, 0.4, 0.6, 0.8])

        let midpoints = CallLog()
        let midpointOnly = InterpolationMethod(
            name: "mid", summary: "",
            engine: .model({ _ in
                AveragingInterpolator(arbitrary: false, log: midpoints)
            }))
        let r2 = try JobRunner.run(try job(input, clips.path("mid.mp4"), fps: "60", method: midpointOnly))
        #expect(r2.framesOut == 60)
        #expect(midpoints.times.allSatisfy { $0 == 0.5 })
        // t = 0.4, 0.8 round to 3/8 (1/2, 1/4, 3/8) and 3/4 (1/2 shared, 3/4): 4 calls for the pair;
        // t = 0.2, 0.6 round to 1/4 and 5/8: 1/2, 1/4, 5/8, 4 calls. Per 2 input frames: 8 calls.
        #expect(midpoints.times.count > calls.times.count)
        #expect(midpoints.times.count <= 3 * 46)
    }

    /// A model that runs better several frames at once gets one worker per frame, the cores shared out among them,
    /// and instances made by `sibling()` after the first; the video is the same as with one worker.
    @Test func severalFramesAtOnceShareTheCores() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "24", seconds: 1, audio: false)
        let cores = Parallel.maxThreads
        let calls = ThreadLog()
        let made = CallLog()
        let parallel = InterpolationMethod(
            name: "avg", summary: "",
            engine: .model({ _ in
                made.add(0)
                return SharingInterpolator(log: calls, instance: 0)
            }), parallelFrames: { _, _, _ in 2 })
        let r1 = try JobRunner.run(try job(input, clips.path("parallel.mp4"), fps: "2x", method: parallel))
        let workers = min(cores, 2)
        #expect(made.times.count == 1)
        #expect(calls.instances == workers)
        #expect(Set(calls.entries.map(\.instance)).isSubset(of: Set(0..<workers)))
        #expect(calls.entries.allSatisfy { $0.threads == (workers == 1 ? cores : cores / workers) })

        let single = ThreadLog()
        let one = InterpolationMethod(
            name: "avg", summary: "", engine: .model({ _ in SharingInterpolator(log: single, instance: 0) }))
        let r2 = try JobRunner.run(try job(input, clips.path("one.mp4"), fps: "2x", method: one))
        #expect(single.entries.allSatisfy { $0.instance == 0 && $0.threads == cores })
        #expect(calls.entries.count == single.entries.count && r1.framesOut == r2.framesOut && r1.framesOut == 48)
        #expect(try ReadBack(clips.path("parallel.mp4")).frameTimes == ReadBack(clips.path("one.mp4")).frameTimes)
    }

    @Test func unknownModelListsTheKnownOnes() {
        #expect {
            try InterpolationMethodRegistry.standard.method(named: "nope")
        } throws: { error in
            let e = error as? PipelineError
            return e?.code == .usage && e?.message.contains("repeat, blend") == true
        }
        #expect((try? InterpolationMethodRegistry.standard.method(named: "BLEND"))?.name == "blend")
    }
}

/// Badly formed inputs and outputs: each gives its error code and leaves nothing behind.
@Suite struct JobRunnerErrorTests {
    private func run(_ input: String, _ output: String, overwrite: Bool = false) throws -> JobResult {
        try JobRunner.run(
            InterpolationJob(
                input: input, output: output, targetRate: .fixed(FrameRate(frames: 50)!),
                preset: "ultrafast", overwrite: overwrite))
    }

    private func expectFailure(
        _ code: PipelineError.Code, mentioning text: String,
        _ body: () throws -> JobResult
    ) {
        do {
            _ = try body()
            Issue.record("expected a \(code) error mentioning \(text)")
        } catch let error as PipelineError {
            #expect(error.code == code, "\(error)")
            #expect(error.message.contains(text), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func badInputs() throws {
        let clips = try Scratch("kineto-pipeline")
        expectFailure(.input, mentioning: "missing.mp4") { try run(clips.path("missing.mp4"), clips.path("o1.mp4")) }
        FileManager.default.createFile(atPath: clips.path("empty.mp4"), contents: Data())
        expectFailure(.input, mentioning: "empty") { try run(clips.path("empty.mp4"), clips.path("o2.mp4")) }
        try "just some text\n".write(toFile: clips.path("notes.mp4"), atomically: true, encoding: .utf8)
        expectFailure(.input, mentioning: "notes.mp4") { try run(clips.path("notes.mp4"), clips.path("o3.mp4")) }
        try clips.ffmpeg(["-f", "lavfi", "-i", "sine=duration=1", clips.path("tone.m4a")])
        expectFailure(.input, mentioning: "no video") { try run(clips.path("tone.m4a"), clips.path("o4.mp4")) }
        #expect(clips.contents == ["empty.mp4", "notes.mp4", "tone.m4a"])
    }

    @Test func badOutputs() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", seconds: 1)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        expectFailure(.output, mentioning: "does not exist") { try run(input, clips.path("nowhere/out.mp4")) }
        expectFailure(.output, mentioning: "/proc") { try run(input, "/proc/kineto-test-out.mp4") }
        if getuid() != 0 {  // root writes anywhere
            try FileManager.default.createDirectory(
                atPath: clips.path("locked"), withIntermediateDirectories: false,
                attributes: [.posixPermissions: 0o555])
            expectFailure(.output, mentioning: "not writable") { try run(input, clips.path("locked/out.mp4")) }
            try FileManager.default.removeItem(atPath: clips.path("locked"))
        }
        expectFailure(.output, mentioning: "input file itself") { try run(input, input, overwrite: true) }
        try FileManager.default.createSymbolicLink(atPath: clips.path("link.mp4"), withDestinationPath: input)
        expectFailure(.output, mentioning: "input file itself") {
            try run(input, clips.path("link.mp4"), overwrite: true)
        }
        try Data("keep".utf8).write(to: URL(fileURLWithPath: clips.path("exists.mp4")))
        expectFailure(.output, mentioning: "already exists") { try run(input, clips.path("exists.mp4")) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: clips.path("exists.mp4"))) == Data("keep".utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
        #expect(clips.contents == ["exists.mp4", "in.mp4", "link.mp4"])
        // With --overwrite an existing (other) file is replaced.
        let result = try run(input, clips.path("exists.mp4"), overwrite: true)
        #expect(result.framesOut == 50)
    }

    @Test func badRequests() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", seconds: 1)
        expectFailure(.usage, mentioning: "extension") { try run(input, clips.path("out.unknownext")) }
        #expect(clips.contents == ["in.mp4"])
    }
}

/// Records the timesteps an interpolator was called with.
final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Double] = []
    func add(_ t: Double) {
        lock.lock()
        recorded.append(t)
        lock.unlock()
    }
    var times: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}

/// `(1 - t)·a + t·b` in RGB: a stand-in for a network.
final class AveragingInterpolator: FrameInterpolator {
    let name = "average"
    let supportsArbitraryTimestep: Bool
    let log: CallLog
    init(arbitrary: Bool, log: CallLog) {
        supportsArbitraryTimestep = arbitrary
        self.log = log
    }
    func interpolate(_ first: RGBImage, _ second: RGBImage, at t: Double) throws -> RGBImage {
        log.add(t)
        let w = Float(t)
        return RGBImage(
            width: first.width, height: first.height,
            pixels: zip(first.pixels, second.pixels).map { (1 - w) * $0 + w * $1 })
    }
}

final class FailingInterpolator: FrameInterpolator {
    let name = "failing"
    let supportsArbitraryTimestep = true
    struct Failure: Error, CustomStringConvertible { var description: String { "the network exploded" } }
    func interpolate(_ first: RGBImage, _ second: RGBImage, at t: Double) throws -> RGBImage { throw Failure() }
}

/// Slow enough that a cancellation from another thread lands mid-job.
final class SlowInterpolator: FrameInterpolator {
    let name = "slow"
    let supportsArbitraryTimestep = true
    private var onFirstCall: (() -> Void)?
    init(onFirstCall: @escaping () -> Void) { self.onFirstCall = onFirstCall }
    func interpolate(_ first: RGBImage, _ second: RGBImage, at t: Double) throws -> RGBImage {
        onFirstCall?()
        onFirstCall = nil
        Thread.sleep(forTimeInterval: 0.05)
        return first
    }
}

/// Deterministic bytes for corrupting files.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Which instance made each frame, and the thread limit it ran under.
final class ThreadLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [(instance: Int, threads: Int)] = []
    private var made = 1
    func add(_ instance: Int, _ threads: Int) {
        lock.lock()
        recorded.append((instance, threads))
        lock.unlock()
    }
    /// A new instance's number.
    func newInstance() -> Int {
        lock.lock()
        defer { lock.unlock() }
        made += 1
        return made - 1
    }
    /// Instances made so far (the first one, then each sibling).
    var instances: Int {
        lock.lock()
        defer { lock.unlock() }
        return made
    }
    var entries: [(instance: Int, threads: Int)] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}

/// A stand-in for a network whose instances can share (numbered in order of `sibling()`).
final class SharingInterpolator: FrameInterpolator, @unchecked Sendable {
    let name = "average"
    let supportsArbitraryTimestep = true
    let log: ThreadLog
    let instance: Int
    init(log: ThreadLog, instance: Int) {
        self.log = log
        self.instance = instance
    }
    func interpolate(_ first: RGBImage, _ second: RGBImage, at t: Double) throws -> RGBImage {
        log.add(instance, Parallel.maxThreads)
        let w = Float(t)
        return RGBImage(
            width: first.width, height: first.height,
            pixels: zip(first.pixels, second.pixels).map { (1 - w) * $0 + w * $1 })
    }
    func sibling() -> (any FrameInterpolator)? {
        SharingInterpolator(log: log, instance: log.newInstance())
    }
}
