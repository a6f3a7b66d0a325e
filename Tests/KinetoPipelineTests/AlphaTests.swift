import Foundation
import KinetoMedia
import KinetoPipeline
import KinetoTestSupport
import Testing

/// Transparency is interpolated with the colour where the output codec keeps it, and its loss is named
/// where it does not.
@Suite struct AlphaTests {
    /// A white band 16 pixels wide moving 6 pixels a frame across black, opaque where the band is and 40/255
    /// elsewhere: 6 frames at 10 fps, 64×48, centres 8, 14, …, 38. QuickTime Animation (ARGB) unless `codec` says.
    private func bandClip(_ clips: Scratch, _ name: String, codec: [String] = ["-c:v", "qtrle", "-pix_fmt", "argb"])
        throws -> String
    {
        let inBand = "lt(abs(X-(8+T*60)),8)"
        try clips.ffmpeg(
            [
                "-f", "lavfi", "-i",
                "color=black:s=64x48:r=10:d=0.6,format=rgba,geq=r='255*\(inBand)':g='255*\(inBand)':b='255*\(inBand)':a='if(\(inBand),255,40)'",
            ]
                + codec + [clips.path(name)])
        return clips.path(name)
    }

    /// The alpha plane of every frame of `path` (middle row), decoded by ffmpeg (`decoder` before the input).
    private func alphaRows(_ clips: Scratch, _ path: String, decoder: [String] = []) throws -> [[UInt8]] {
        let raw = clips.path("\(UUID().uuidString).gray")
        try clips.ffmpeg(decoder + ["-i", path, "-vf", "alphaextract", "-f", "rawvideo", "-pix_fmt", "gray", raw])
        let samples = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        return stride(from: 0, to: samples.count, by: 64 * 48).map { Array(samples[($0 + 24 * 64)..<($0 + 25 * 64)]) }
    }

    private func job(_ input: String, _ output: String, method: InterpolationMethod, codec: VideoCodecChoice = .ffv1)
        -> InterpolationJob
    {
        var job = InterpolationJob(
            input: input, output: output, targetRate: .multiple(numerator: 2, denominator: 1), method: method,
            codec: codec, preset: "ultrafast")
        job.motion = .off
        return job
    }

    @Test func blendMixesAlphaLikeColour() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try bandClip(clips, "band.mov")
        let result = try JobRunner.run(job(input, clips.path("out.mkv"), method: .blend))
        #expect(result.adjustments.isEmpty, "\(result.adjustments)")
        let rows = try alphaRows(clips, clips.path("out.mkv"))
        #expect(rows.count == 12)
        // Frame 3 lies halfway between input frames 1 (centre 14) and 2 (centre 20): a cross-fade of both.
        #expect(rows[2][14] == 255 && rows[2][30] == 40)
        #expect(abs(Int(rows[3][8]) - 148) <= 2, "\(rows[3])")
    }

    /// RIFE warps the alpha with the flow it warps the colour with: halfway from centre 14 to 20 the band is
    /// opaque around 17 and transparent at 7, where only the earlier frame's band was (a cross-fade gives 148 there).
    @Test func rifeMovesAlphaWithThePicture() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try bandClip(clips, "band.mov")
        let rife = try InterpolationMethodRegistry.standard.method(named: "rife")
        let result = try JobRunner.run(job(input, clips.path("rife.mkv"), method: rife))
        #expect(result.adjustments.isEmpty, "\(result.adjustments)")
        let rows = try alphaRows(clips, clips.path("rife.mkv"))
        #expect(rows.count == 12)
        #expect(rows[3][17] > 200, "\(rows[3])")
        #expect(rows[3][7] < 100, "\(rows[3])")
        #expect(rows[3][40] < 60, "\(rows[3])")
    }

    /// VP9 with alpha in WebM (alpha in a side channel FFmpeg's own VP9 decoder ignores) keeps it into WebM.
    @Test func vp9AlphaSurvivesIntoWebM() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try bandClip(
            clips, "band.webm", codec: ["-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-crf", "10", "-b:v", "0"])
        let result = try JobRunner.run(job(input, clips.path("out.webm"), method: .blend, codec: .vp9))
        #expect(result.adjustments.isEmpty, "\(result.adjustments)")
        let rows = try alphaRows(clips, clips.path("out.webm"), decoder: ["-c:v", "libvpx-vp9"])
        #expect(rows.count == 12)
        #expect(rows[2][14] > 230 && abs(Int(rows[2][40]) - 40) < 15, "\(rows[2])")
    }

    /// H.264 keeps no alpha: the job says it dropped the transparency.
    @Test func droppingAlphaIsSaid() throws {
        let clips = try Scratch("kineto-pipeline")
        let input = try bandClip(clips, "band.mov")
        let result = try JobRunner.run(job(input, clips.path("out.mp4"), method: .blend, codec: .h264))
        #expect(result.adjustments.contains { $0.contains("transparency dropped") }, "\(result.adjustments)")
    }
}
