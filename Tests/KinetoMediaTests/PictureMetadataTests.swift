import Foundation
import KinetoMedia
import KinetoTestSupport
import Testing

/// What the picture carries besides its pixels must reach the output: its orientation and its HDR10 metadata.
@Suite struct PictureMetadataTests {
    /// Luma samples of the first frame of `path` (ffmpeg's own decode, no rotation applied).
    private func firstLuma(_ fx: Scratch, _ path: String) throws -> (width: Int, height: Int, samples: [UInt8]) {
        let raw = fx.path("luma-\(UUID().uuidString).gray")
        try fx.ffmpeg(["-noautorotate", "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", raw])
        let info = try MediaReader(path, options: ReaderOptions(passthrough: false)).info.video
        return (info.width, info.height, [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw))))
    }

    /// Copies `input` into `output` the way a job does: upright pixels when the container cannot record a rotation.
    private func copy(_ input: String, to output: String, codec: VideoCodecChoice = .h264) throws -> MediaWriter {
        var options = ReaderOptions()
        options.uprightPixels = !MediaWriter.containerKeepsRotation(destination: output)
        let reader = try MediaReader(input, options: options)
        let writer = try MediaWriter(
            destination: output,
            settings: VideoEncoderSettings(
                codec: codec, crf: 10, preset: "ultrafast",
                frameRate: Rational(25)), source: reader)
        try copyAll(reader, into: writer)
        return writer
    }

    /// A phone clip (stored 160×120, shown rotated 90° clockwise) into .mkv, which cannot record the rotation:
    /// the pixels are turned, so the file is 120×160 and its white corner block sits where the viewer saw it.
    @Test func rotationIsTurnedIntoThePixelsForMatroska() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip(
            "phone.mp4", rate: "25", shortest: true, seconds: 0.4, audio: false,
            extra: [
                "-vf",
                "drawbox=x=0:y=0:w=40:h=30:color=white:t=fill,drawbox=x=40:y=0:w=120:h=120:color=black:t=fill,drawbox=x=0:y=30:w=40:h=90:color=black:t=fill",
            ])
        try rotateMP4Clockwise90(input)
        #expect(try MediaReader(input).info.video.rotation == 90)
        #expect(
            MediaWriter.containerKeepsRotation(destination: "x.mp4")
                && MediaWriter.containerKeepsRotation(destination: "x.MOV"))
        #expect(
            !MediaWriter.containerKeepsRotation(destination: "x.mkv")
                && !MediaWriter.containerKeepsRotation(destination: "x.webm"))

        for name in ["upright.mkv", "upright.webm"] {
            _ = try copy(input, to: fx.path(name), codec: name.hasSuffix(".webm") ? .vp9 : .h264)
            let out = try MediaReader(fx.path(name)).info.video
            #expect(
                out.width == 120 && out.height == 160 && out.rotation == 0,
                "\(name): \(out.width)×\(out.height) rotated \(out.rotation)")
            let luma = try firstLuma(fx, fx.path(name))
            // Stored top-left (white) is shown top-right after a 90° clockwise turn.
            #expect(luma.samples[10 * 120 + 110] > 200, "\(name): top-right is \(luma.samples[10 * 120 + 110])")
            #expect(luma.samples[10 * 120 + 10] < 50, "\(name): top-left is \(luma.samples[10 * 120 + 10])")
            #expect(luma.samples[150 * 120 + 60] < 50)
        }
        // .mp4 keeps the matrix and the stored pixels.
        _ = try copy(input, to: fx.path("kept.mp4"))
        let kept = try MediaReader(fx.path("kept.mp4")).info.video
        #expect(kept.width == 160 && kept.height == 120 && kept.rotation == 90)
    }

    /// HDR10 static metadata (mastering display, content light level) carried in-band by x265 reaches the output:
    /// in the stream for Matroska, in the HEVC stream's SEI for both MP4 and Matroska.
    @Test func hdr10MetadataIsCopied() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip(
            "hdr.mkv", rate: "25", shortest: true, seconds: 0.2, audio: false,
            codec: [
                "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc",
                "-x265-params",
                "log-level=error:hdr10=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400",
            ])
        let hdr = try #require(try MediaReader(input).hdr)
        #expect(hdr.contentLight?.MaxCLL == 1000 && hdr.contentLight?.MaxFALL == 400)
        for name in ["hdr-out.mkv", "hdr-out.mp4"] {
            _ = try copy(input, to: fx.path(name), codec: .h265)
            let frames = try Tool.run(
                "/usr/bin/ffprobe",
                [
                    "-v", "error", "-select_streams", "v", "-read_intervals", "%+#1",
                    "-show_frames", fx.path(name),
                ])
            #expect(
                frames.contains("Mastering display metadata") && frames.contains("max_luminance=10000000/10000"),
                "\(name): \(frames)")
            #expect(
                frames.contains("Content light level metadata") && frames.contains("max_content=1000")
                    && frames.contains("max_average=400"))
            #expect(frames.contains("color_transfer=smpte2084") && frames.contains("yuv420p10le"))
        }
        let streams = try Tool.run(
            "/usr/bin/ffprobe", ["-v", "error", "-show_streams", fx.path("hdr-out.mkv")])
        #expect(
            streams.contains("Mastering display metadata") && streams.contains("Content light level metadata"),
            "\(streams)")
        // Another codec in Matroska keeps the metadata in the container.
        _ = try copy(input, to: fx.path("hdr-ffv1.mkv"), codec: .ffv1)
        let ffv1 = try Tool.run("/usr/bin/ffprobe", ["-v", "error", "-show_streams", fx.path("hdr-ffv1.mkv")])
        #expect(ffv1.contains("Mastering display metadata") && ffv1.contains("max_content=1000"), "\(ffv1)")
    }
}
