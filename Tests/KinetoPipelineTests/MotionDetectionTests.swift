import Foundation
import KinetoMedia
import KinetoPipeline
import KinetoTestSupport
import Testing

/// Scene cuts are never interpolated across; repeated frames are skipped and the motion around them
/// interpolated instead of stuttering.
@Suite struct MotionDetectionTests {
    private func thumbnails(_ path: String) throws -> [(time: Double, thumbnail: LumaThumbnail)] {
        let reader = try MediaReader(path, options: ReaderOptions(passthrough: false))
        let maker = LumaThumbnailMaker()
        var result: [(Double, LumaThumbnail)] = []
        while let frame = try reader.nextVideoFrame() { result.append((frame.seconds, try maker.thumbnail(of: frame))) }
        return result
    }

    /// Two scenes: a moving test pattern, then a zooming Mandelbrot set. 24 → 60 fps with `blend`.
    private func cutClip(_ clips: Scratch) throws -> String {
        let path = clips.path("cut.mp4")
        try clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24:duration=1",
            "-f", "lavfi", "-i", "mandelbrot=size=160x120:rate=24,trim=duration=1",
            "-filter_complex", "[0][1]concat=n=2:v=1:a=0,format=yuv420p",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", path,
        ])
        return path
    }

    @Test func aCutIsNotBlended() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try cutClip(clips)
        var job = InterpolationJob(
            input: input, output: clips.path("out.mp4"), targetRate: try TargetRate(parsing: "60"),
            method: .blend, crf: 12, preset: "ultrafast")
        let result = try JobRunner.run(job)
        #expect(result.sceneCuts == 1)
        let inputs = try thumbnails(input)
        let before = inputs[23].thumbnail
        let after = inputs[24].thumbnail
        // Outputs between the last frame of scene 1 (23/24 s) and the first of scene 2 (1 s) show one of them.
        let between = try thumbnails(clips.path("out.mp4")).filter { $0.time > 23.0 / 24 && $0.time < 1 }
        #expect(between.count == 2)
        for frame in between {
            let nearest = min(
                frame.thumbnail.meanAbsoluteDifference(before), frame.thumbnail.meanAbsoluteDifference(after))
            #expect(nearest < 1, "output at \(frame.time) s is a mix (difference \(nearest))")
        }

        // The same job with detection off blends across the cut: the check above can fail.
        job.motion = .off
        job.output = clips.path("blended.mp4")
        #expect(try JobRunner.run(job).sceneCuts == 0)
        let blended = try thumbnails(clips.path("blended.mp4")).filter { $0.time > 23.0 / 24 && $0.time < 1 }
        #expect(
            blended.contains {
                min($0.thumbnail.meanAbsoluteDifference(before), $0.thumbnail.meanAbsoluteDifference(after)) > 5
            })
    }

    /// The new shot appears where its first frame is (1 s), not half a source frame before: outputs between
    /// the last frame of scene 1 and the first of scene 2 still show scene 1.
    @Test func aCutLandsOnTheNewShotsFirstFrame() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try cutClip(clips)
        let job = InterpolationJob(
            input: input, output: clips.path("out.mp4"), targetRate: try TargetRate(parsing: "96"),
            method: .blend, crf: 12, preset: "ultrafast")
        #expect(try JobRunner.run(job).sceneCuts == 1)
        let inputs = try thumbnails(input)
        let before = inputs[23].thumbnail
        let after = inputs[24].thumbnail
        let outputs = try thumbnails(clips.path("out.mp4"))
        let between = outputs.filter { $0.time > 23.0 / 24 + 0.001 && $0.time < 1 - 0.001 }
        #expect(between.count == 3)  // 96 fps: 93/96, 94/96, 95/96 s
        for frame in between {
            let fromBefore = frame.thumbnail.meanAbsoluteDifference(before)
            let fromAfter = frame.thumbnail.meanAbsoluteDifference(after)
            #expect(fromBefore < 1 && fromAfter > 5, "output at \(frame.time) s shows the next shot early")
        }
        let atCut = try #require(outputs.first { abs($0.time - 1) < 0.001 })
        #expect(atCut.thumbnail.meanAbsoluteDifference(after) < 1)
    }

    @Test func steadyMotionHasNoCuts() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("motion.mp4", rate: "24", seconds: 2, size: "320x240", audio: false)
        let result = try JobRunner.run(
            InterpolationJob(
                input: input, output: clips.path("out.mp4"),
                targetRate: try TargetRate(parsing: "48"), method: .blend, preset: "ultrafast"))
        #expect(result.sceneCuts == 0)
        #expect(result.duplicatesSkipped == 0)
    }

    /// Animation on twos: 12 pictures a second stored at 24 fps, each twice.
    @Test func repeatedFramesAreRetimed() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = clips.path("twos.mp4")
        try clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=12:duration=2", "-vf", "fps=24,format=yuv420p",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", input,
        ])
        var job = InterpolationJob(
            input: input, output: clips.path("out.mp4"), targetRate: try TargetRate(parsing: "48"),
            method: .blend, crf: 12, preset: "ultrafast")
        let result = try JobRunner.run(job)
        #expect(result.framesIn == 48)
        #expect(result.duplicatesSkipped == 24)
        #expect(result.framesOut == 96)
        // Every output frame differs from the one before it (no stutter), except the held end.
        let smooth = try thumbnails(clips.path("out.mp4"))
        let still = zip(smooth.dropLast(4), smooth.dropFirst().dropLast(3)).filter {
            $0.thumbnail.meanAbsoluteDifference($1.thumbnail) < 0.3
        }
        #expect(still.isEmpty, "\(still.count) repeated output frames")

        // Without duplicate detection, the repeats come through as pauses.
        job.motion = MotionDetection(cutThreshold: 10, duplicateThreshold: 0)
        job.output = clips.path("stutter.mp4")
        #expect(try JobRunner.run(job).duplicatesSkipped == 0)
        let stutter = try thumbnails(clips.path("stutter.mp4"))
        let pauses = zip(stutter.dropLast(), stutter.dropFirst()).filter {
            $0.thumbnail.meanAbsoluteDifference($1.thumbnail) < 0.3
        }
        #expect(pauses.count >= 20)
    }

    /// A still shot longer than a few frames stays still instead of becoming a slow cross-fade.
    @Test func aLongHoldStaysStill() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = clips.path("hold.mp4")
        // 1 s of motion, its last picture held for 1 s, then 1 s of motion again.
        try clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24:duration=1",
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24:duration=1",
            "-filter_complex", "[0]tpad=stop_mode=clone:stop_duration=1[a];[a][1]concat=n=2:v=1:a=0,format=yuv420p",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", input,
        ])
        let result = try JobRunner.run(
            InterpolationJob(
                input: input, output: clips.path("out.mp4"),
                targetRate: try TargetRate(parsing: "48"), method: .blend, crf: 12,
                preset: "ultrafast"))
        #expect(result.duplicatesSkipped == 0)
        let frames = try thumbnails(clips.path("out.mp4"))
        let held = frames.filter { $0.time >= 1.0 && $0.time < 1.95 }
        let reference = try #require(held.first).thumbnail
        #expect(held.allSatisfy { $0.thumbnail.meanAbsoluteDifference(reference) < 0.3 })
    }
}
