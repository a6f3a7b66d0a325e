import Foundation
import KinetoMedia
import KinetoPipeline
import KinetoTestSupport
import Testing

/// `slowmo` jobs: lengths, timestamps and audio that stays in step with the picture.
@Suite struct SlowMotionTests {
    private func job(
        _ input: String, _ output: String, fps: String = "1x", factor: Rational, from: Double? = nil, to: Double? = nil,
        audio: SlowMotion.Audio = .drop
    ) throws -> InterpolationJob {
        var job = InterpolationJob(
            input: input, output: output, targetRate: try TargetRate(parsing: fps), method: .blend, preset: "ultrafast")
        job.slowMotion = SlowMotion(
            stretch: try #require(TimeStretch(factor: factor, start: from, end: to)), audio: audio)
        return job
    }

    @Test func wholeClipFourTimesLongerAtTheInputRate() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "25", seconds: 2)
        let result = try JobRunner.run(try job(input, clips.path("slow.mp4"), factor: Rational(4)))
        #expect(result.framesIn == 50)
        #expect(result.framesOut == 200)  // 8 s at 25 fps
        #expect(result.framesPassedThrough == 50 + 3)  // every 4th frame, and the last held to the end
        let out = try ReadBack(clips.path("slow.mp4"))
        #expect(out.frameTimes == (0..<200).map { Rational(Int64($0), 25) })
        #expect(out.audioCodecs.isEmpty)  // dropped by default
    }

    @Test func fractionalFactorAndOwnRate() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "24", seconds: 1, audio: false)
        let result = try JobRunner.run(try job(input, clips.path("slow.mp4"), fps: "60", factor: Rational(5, 2)))
        #expect(result.framesOut == 150)  // 2.5 s at 60 fps
        #expect(try ReadBack(clips.path("slow.mp4")).frameTimes == (0..<150).map { Rational(Int64($0), 60) })
    }

    @Test func rangeIsStretchedAndTheRestKeepsItsPace() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "25", seconds: 4, audio: false)
        let result = try JobRunner.run(
            try job(input, clips.path("slow.mp4"), fps: "50", factor: Rational(4), from: 1, to: 2))
        #expect(result.framesOut == 350)  // 1 + 4 + 2 = 7 s at 50 fps
        // Outside the range every other output frame is an input frame (25 → 50 fps), inside every 8th.
        #expect(result.framesPassedThrough == 25 + 25 + 50 + 1)
    }

    /// Beeps at known times in the input must sound where the slowed picture puts them.
    @Test func stretchedAudioStaysInSync() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = clips.path("beeps.mp4")
        // Beeps start at 1.5 s (inside the slowed range) and 2.5 s (after it).
        try clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3",
            "-f", "lavfi", "-i",
            "aevalsrc=exprs='0.8*sin(2*PI*440*t)*(between(t,1.5,1.6)+between(t,2.5,2.6))':s=48000:d=3",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "96k", input,
        ])
        let result = try JobRunner.run(
            try job(input, clips.path("slow.mp4"), factor: Rational(4), from: 1, to: 2, audio: .stretch))
        #expect(result.framesOut == 150)  // 1 + 4 + 1 = 6 s
        let onsets = try Self.onsets(of: clips.path("slow.mp4"), clips: clips)
        // 1.5 s → 1 + 0.5 × 4 = 3 s; 2.5 s → 1 + 4 + 0.5 = 5.5 s. Tolerance 30 ms (one AAC frame is 21 ms).
        #expect(onsets.count == 2)
        if onsets.count == 2 {
            #expect(abs(onsets[0] - 3.0) < 0.03, "first beep at \(onsets[0]) s")
            #expect(abs(onsets[1] - 5.5) < 0.03, "second beep at \(onsets[1]) s")
        }
        let out = try ReadBack(clips.path("slow.mp4"))
        #expect(out.audioCodecs == ["aac"])
        #expect(abs(try #require(out.lastAudioTime) - 6.0) < 0.06)
    }

    /// A range whose slowed part is not a whole number of output frames (0.25 s × 3 more = 18.75 frames at
    /// 25 fps) still leaves every frame after it the input's own, not re-made between two input frames.
    @Test func rangeOffTheFrameGridLeavesTheRestUntouched() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try clips.clip("in.mp4", rate: "25", seconds: 2, audio: false)
        let result = try JobRunner.run(try job(input, clips.path("slow.mp4"), factor: Rational(4), from: 0.5, to: 0.75))
        // 0.5 + 1 + 1.25 s at 25 fps; the slowed second holds about 25 frames, all others are input frames.
        #expect(abs(result.framesOut - 69) <= 1, "\(result.framesOut) frames")
        let made = result.framesOut - result.framesPassedThrough
        #expect(made <= 26, "\(made) of \(result.framesOut) frames were made")
        // Frames after the range keep their spacing: the output's last second is the input's last second.
        let times = try ReadBack(clips.path("slow.mp4")).frameTimes
        #expect(times.count == Int(result.framesOut))
    }

    /// Chapters point at the same picture after slowing down: one starting at 1 s in a 2× range from 0.5 s
    /// starts at 0.5 + 0.5 × 2 = 1.5 s.
    @Test func chaptersMoveWithTheSlowedRange() throws {
        let clips = try Scratch("kineto-pipeline")
        let plain = try clips.clip("plain.mp4", rate: "25", seconds: 2, audio: false)
        let meta = clips.path("meta.txt")
        try
            ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Two\n"
            .write(toFile: meta, atomically: true, encoding: .utf8)
        let input = clips.path("chapters.mkv")
        try clips.ffmpeg(["-i", plain, "-i", meta, "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", input])
        _ = try JobRunner.run(try job(input, clips.path("slow.mkv"), factor: Rational(2), from: 0.5, to: 1.5))
        let chapters = try ReadBack(clips.path("slow.mkv")).info.chapters
        #expect(chapters.map(\.title) == ["One", "Two"])
        if chapters.count == 2 {
            #expect(abs(chapters[0].end - 1.5) < 0.01, "\(chapters)")
            #expect(abs(chapters[1].start - 1.5) < 0.01, "\(chapters)")
            #expect(abs(chapters[1].end - 3.0) < 0.01, "\(chapters)")  // 0.5 + 2 + 0.5
        }
    }

    @Test func slowMotionOfALiveStreamIsRefused() throws {
        let clips = try Scratch("kineto-pipeline")
        let thrown = #expect(throws: PipelineError.self) {
            try JobRunner.run(try job("udp://127.0.0.1:9", clips.path("x.mp4"), factor: Rational(2)))
        }
        #expect(thrown?.code == .usage || thrown?.code == .input)
        #expect(clips.contents.isEmpty)
    }

    /// Times (s) where the audio rises above half scale after at least 0.2 s of quiet.
    static func onsets(of path: String, clips: Scratch) throws -> [Double] {
        let raw = clips.path("audio.f32")
        try clips.ffmpeg(["-i", path, "-vn", "-ac", "1", "-ar", "8000", "-f", "f32le", raw])
        let data = try Data(contentsOf: URL(fileURLWithPath: raw))
        let samples = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var onsets: [Double] = []
        var quiet = 0
        for (index, sample) in samples.enumerated() {
            if abs(sample) > 0.4 {
                if quiet >= 1600 { onsets.append(Double(index) / 8000) }
                quiet = 0
            } else {
                quiet += 1
            }
        }
        return onsets
    }
}
