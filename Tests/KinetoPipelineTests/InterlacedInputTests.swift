import Foundation
import KinetoMedia
import KinetoPipeline
import KinetoTestSupport
import Testing

/// Interlaced video is deinterlaced before frames are made (or refused on request), never interpolated
/// as woven fields, which combs every output frame.
@Suite struct InterlacedInputTests {
    /// 25 interlaced frames a second, top field first, woven from a 50 fps pattern scrolling 8 pixels a field
    /// (each field from another moment, so every frame is combed), encoded as interlaced H.264.
    private func interlacedClip(_ clips: Scratch) throws -> String {
        let path = clips.path("interlaced.mkv")
        try clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc=size=160x120:rate=50:duration=1,scroll=h=0.05", "-vf", "interlace=scan=tff",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-flags", "+ildct+ilme", "-x264-params", "tff=1",
            "-pix_fmt", "yuv420p", path,
        ])
        return path
    }

    /// Mean of |2·L(y) − L(y−1) − L(y+1)| over all frames: the line-to-line zigzag that combing adds.
    private func combing(_ clips: Scratch, _ path: String) throws -> Double {
        let raw = clips.path("\(UUID().uuidString).gray")
        try clips.ffmpeg(["-i", path, "-f", "rawvideo", "-pix_fmt", "gray", raw])
        let info = try MediaReader(path, options: ReaderOptions(passthrough: false)).info.video
        let samples = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        let width = info.width
        let height = info.height
        let frameSize = width * height
        var total = 0.0
        var count = 0
        for frame in 0..<(samples.count / frameSize) {
            for y in 1..<(height - 1) {
                for x in 0..<width {
                    let at = { (row: Int) in Int(samples[frame * frameSize + row * width + x]) }
                    total += Double(abs(2 * at(y) - at(y - 1) - at(y + 1)))
                    count += 1
                }
            }
        }
        return total / Double(max(count, 1))
    }

    private func job(_ input: String, _ output: String, fps: String = "50") throws -> InterpolationJob {
        InterpolationJob(
            input: input, output: output, targetRate: try TargetRate(parsing: fps), method: .blend, crf: 10,
            preset: "ultrafast")
    }

    @Test func interlacedInputIsDeinterlacedAtTheFrameRate() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try interlacedClip(clips)
        #expect(try combing(clips, input) > 50)  // progressive, the same pattern scores about 6
        let result = try JobRunner.run(try job(input, clips.path("out.mkv")))
        #expect(result.adjustments.contains { $0.contains("deinterlaced") }, "\(result.adjustments)")
        #expect(result.framesIn == 25 && result.framesOut == 50)
        var woven = try job(input, clips.path("woven.mkv"))
        woven.deinterlacing = .keep
        let wovenResult = try JobRunner.run(woven)
        #expect(wovenResult.adjustments.isEmpty)
        let clean = try combing(clips, clips.path("out.mkv"))
        let combed = try combing(clips, clips.path("woven.mkv"))
        #expect(clean < 15 && combed > 50, "combing \(clean) deinterlaced against \(combed) woven")
    }

    /// At the field rate every field becomes a frame: 50 a second from 25 interlaced frames, all passed through at 50 fps.
    @Test func fieldRateKeepsEveryField() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try interlacedClip(clips)
        var fields = try job(input, clips.path("fields.mkv"))
        fields.deinterlacing = .fieldRate
        let result = try JobRunner.run(fields)
        #expect(result.framesOut == 50)
        #expect(result.framesPassedThrough >= 49, "\(result.framesPassedThrough) of 50 frames were fields")
        #expect(try combing(clips, clips.path("fields.mkv")) < 15)
    }

    @Test func refusingNamesTheChoices() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try interlacedClip(clips)
        var refused = try job(input, clips.path("no.mkv"))
        refused.deinterlacing = .refuse
        let thrown = #expect(throws: PipelineError.self) { try JobRunner.run(refused) }
        #expect(thrown?.code == .input)
        #expect(
            thrown?.description.contains("interlaced") == true && thrown?.description.contains("--deinterlace") == true)
        #expect(!clips.contents.contains { $0.hasPrefix("no.mkv") || $0.contains("kineto-partial") })
    }
}
