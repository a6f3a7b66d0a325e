import Foundation
import KinetoMedia
import KinetoPipeline
import KinetoTestSupport
import Testing

/// A long job cut into chunks and joined by stream copy makes the single run's file: the same frames
/// at the same timestamps, the same audio, at a boundary between two output frames and at a scene cut.
@Suite struct ChunkedJobTests {
    /// 8 s at 24 fps, 96×54: testsrc2, then from 5 s on the same pattern negated and mirrored (a scene
    /// cut at frame 120); keyframes every 10 frames, B-frames, a 440 Hz AAC tone.
    private func twoScenes(_ scratch: Scratch) throws -> String {
        let path = scratch.path("in.mp4")
        try scratch.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=96x54:r=24:d=5", "-f", "lavfi", "-i", "testsrc2=s=96x54:r=24:d=3",
            "-f", "lavfi", "-i", "sine=f=440:d=8", "-filter_complex", "[1]negate,hflip[b];[0][b]concat=n=2:v=1:a=0[v]",
            "-map", "[v]", "-map", "2", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "10",
            "-keyint_min", "10", "-sc_threshold", "0", "-c:a", "aac", path,
        ])
        return path
    }

    /// 50 fps by blending; `veryfast` x264 uses B-frames, so chunks reorder frames as the single run does.
    private func job(_ input: String, _ output: String, codec: VideoCodecChoice) throws -> InterpolationJob {
        InterpolationJob(
            input: input, output: output, targetRate: try TargetRate(parsing: "50"), method: .blend, codec: codec,
            preset: codec == .h264 ? "veryfast" : nil)
    }

    /// Runs every chunk of `plan` into its own file, then joins them into `output`.
    private func runChunked(
        _ base: InterpolationJob, plan: [ChunkRange], output: String, scratch: Scratch, extension ext: String
    ) throws -> (framesOut: Int64, joined: ChunkJoiner.Result) {
        var paths: [String] = []
        var frames: Int64 = 0
        // Out of order, as workers may finish them.
        for chunk in plan.reversed() {
            var job = base
            job.output = scratch.path("chunk\(chunk.index).\(ext)")
            job.chunk = chunk
            let result = try JobRunner.run(job)
            if let count = chunk.window.count { #expect(result.framesOut == count) }
            frames += result.framesOut
            paths.append(job.output)
        }
        var join = base
        join.output = output
        return (frames, try JobRunner.join(join, chunks: paths.reversed()))
    }

    /// Per video frame: its timestamp, duration and (for a lossless codec) the picture's MD5.
    private func frameLines(_ path: String) throws -> [String] {
        try Tool.ffmpeg(["-i", path, "-map", "0:v", "-f", "framemd5", "-"]).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.map(String.init)
    }

    private func packetTimes(_ path: String, stream: String) throws -> [String] {
        try Tool.ffprobe([
            "-v", "error", "-select_streams", stream, "-show_entries", "packet=pts,dts,duration", "-of", "csv", path,
        ]).split(separator: "\n").map(String.init)
    }

    @Test func losslessChunksJoinIntoTheSingleRunsFramesAtACutAndBetweenOutputFrames() throws {
        let scratch = try Scratch("kineto-chunks")
        let input = try twoScenes(scratch)
        let single = try JobRunner.run(try job(input, scratch.path("single.mkv"), codec: .ffv1))
        #expect(single.sceneCuts == 1)
        let keyframes = try KeyframeIndex.keyframes(of: input)
        let ticksPerFrame: Int64 = 12288 / 24
        // Frame 50 (2.083 s) lies between output frames 104 and 105; frame 120 (5 s) is the scene cut.
        let boundaries = [50 * ticksPerFrame, 120 * ticksPerFrame]
        #expect(boundaries.allSatisfy(keyframes.contains))
        let plan = try ChunkPlanner.plan(try job(input, "", codec: .ffv1), boundaries: boundaries)
        #expect(plan.map(\.window.first) == [0, 105, 250])
        #expect(plan.map(\.readFromPTS) == [nil, 40 * ticksPerFrame, 110 * ticksPerFrame])

        let base = try job(input, "", codec: .ffv1)
        let chunked = try runChunked(
            base, plan: plan, output: scratch.path("joined.mkv"), scratch: scratch, extension: "mkv")
        #expect(chunked.framesOut == single.framesOut)
        #expect(chunked.joined.videoPackets == Int(single.framesOut))
        let expected = try frameLines(scratch.path("single.mkv"))
        #expect(expected.count == Int(single.framesOut))
        let joined = try frameLines(scratch.path("joined.mkv"))
        #expect(joined.count == expected.count)
        for (index, (a, b)) in zip(joined, expected).enumerated() where a != b {
            Issue.record("output frame \(index) differs: joined \(a), single run \(b)")
            break
        }
        #expect(
            try packetTimes(scratch.path("joined.mkv"), stream: "a")
                == packetTimes(scratch.path("single.mkv"), stream: "a"))
    }

    @Test func h264ChunksCutNearEveryTwoSecondsKeepTheGridAndTheAudio() throws {
        let scratch = try Scratch("kineto-chunks")
        let input = try twoScenes(scratch)
        let single = try JobRunner.run(try job(input, scratch.path("single.mp4"), codec: .h264))
        let base = try job(input, "", codec: .h264)
        let plan = try #require(try ChunkPlanner.plan(base, chunkSeconds: 2))
        #expect(plan.count == 4)
        #expect(try ChunkPlanner.plan(base, chunkSeconds: 10) == nil)
        let chunked = try runChunked(
            base, plan: plan, output: scratch.path("joined.mp4"), scratch: scratch, extension: "mp4")
        #expect(chunked.framesOut == single.framesOut)
        let joinedVideo = try packetTimes(scratch.path("joined.mp4"), stream: "v")
        let singleVideo = try packetTimes(scratch.path("single.mp4"), stream: "v")
        #expect(joinedVideo.count == singleVideo.count)
        // Presentation times: the same exact grid (decode order may differ where a chunk begins anew).
        func presentation(_ lines: [String]) -> [Int] {
            lines.compactMap { $0.split(separator: ",").dropFirst().first.flatMap { Int($0) } }.sorted()
        }
        #expect(presentation(joinedVideo) == presentation(singleVideo))
        #expect(
            try packetTimes(scratch.path("joined.mp4"), stream: "a")
                == packetTimes(scratch.path("single.mp4"), stream: "a"))
        // Every packet decodes.
        let decode = try Tool.execute(
            "/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", scratch.path("joined.mp4"), "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")
    }

    @Test func overlappingChunksAreRefusedAndLeaveNoOutput() throws {
        let scratch = try Scratch("kineto-chunks")
        let input = try twoScenes(scratch)
        var job = try job(input, scratch.path("chunk.mp4"), codec: .h264)
        let plan = try ChunkPlanner.plan(job, boundaries: [50 * 512])
        job.chunk = plan[0]
        _ = try JobRunner.run(job)
        job.chunk = nil
        job.output = scratch.path("joined.mp4")
        #expect(throws: PipelineError.self) {
            try JobRunner.join(job, chunks: [scratch.path("chunk.mp4"), scratch.path("chunk.mp4")])
        }
        #expect(scratch.contents == ["chunk.mp4", "in.mp4"])
    }

    @Test func windowedSchedulesTogetherMakeTheFullSchedule() throws {
        // 24 fps in ticks of 1/12288 s to 50 fps: each input frame of a chunk's run gives exactly the
        // full schedule's outputs whose index lies in the chunk's window.
        let rate = try #require(FrameRate(frames: 50, seconds: 1))
        let pts = (0..<100).map { Int64($0) * 512 + 7 }
        var full = try #require(FrameSchedule(timeBaseNumerator: 1, timeBaseDenominator: 12288, rate: rate))
        var all = pts.flatMap { full.push(pts: $0) }
        all += full.finish(endPTS: pts.last! + 512)
        for (start, stop) in [(0, 30), (17, 61), (23, 100)] {
            let first = full.firstOutputIndex(atOrAfter: pts[start], originPTS: pts[0])
            let end: Int64? = stop < pts.count ? full.firstOutputIndex(atOrAfter: pts[stop], originPTS: pts[0]) : nil
            let window = OutputWindow(originPTS: pts[0], first: first, end: end)
            var chunk = try #require(
                FrameSchedule(timeBaseNumerator: 1, timeBaseDenominator: 12288, rate: rate, window: window))
            // Decoding starts a few frames early (the keyframe before), and stops once the window is done.
            var made: [ScheduledFrame] = []
            for value in pts[max(0, start - 3)...] {
                made += chunk.push(pts: value)
                if chunk.windowComplete { break }
            }
            if !chunk.windowComplete { made += chunk.finish(endPTS: pts.last! + 512) }
            let expected = all.filter { $0.index >= first && $0.index < (end ?? .max) }
            #expect(made.map(\.index) == expected.map(\.index))
            #expect(made.map(\.pts) == expected.map(\.pts))
            // Outputs between two inputs name input ordinals relative to where reading began: compare times.
            #expect(made.map(isPassThrough) == expected.map(isPassThrough))
        }
    }

    private func isPassThrough(_ frame: ScheduledFrame) -> Double {
        switch frame.source {
        case .input: return -1
        case .between(_, let t, _): return t
        }
    }
}
