import Foundation
import Testing
import KinetoMedia

/// What the picture carries besides its pixels must reach the output: its orientation.
@Suite struct PictureMetadataTests {
    /// Luma samples of the first frame of `path` (ffmpeg's own decode, no rotation applied).
    private func firstLuma(_ fx: MediaFixtures, _ path: String) throws -> (width: Int, height: Int, samples: [UInt8]) {
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
        let writer = try MediaWriter(destination: output, settings: VideoEncoderSettings(codec: codec, crf: 10, preset: "ultrafast",
                                                                                          frameRate: Rational(25)), source: reader)
        while let event = try reader.next() {
            switch event {
            case .video(let frame): try writer.write(frame)
            case .packet(let packet): try writer.write(packet)
            }
        }
        try writer.finish()
        return writer
    }

    /// A phone clip (stored 160×120, shown rotated 90° clockwise) into .mkv, which cannot record the rotation:
    /// the pixels are turned, so the file is 120×160 and its white corner block sits where the viewer saw it.
    @Test func rotationIsTurnedIntoThePixelsForMatroska() throws {
        let fx = try MediaFixtures()
        let input = try fx.clip("phone.mp4", seconds: 0.4, audio: false,
                                extra: ["-vf", "drawbox=x=0:y=0:w=40:h=30:color=white:t=fill,drawbox=x=40:y=0:w=120:h=120:color=black:t=fill,drawbox=x=0:y=30:w=40:h=90:color=black:t=fill"])
        try fx.rotateMP4Clockwise90(input)
        #expect(try MediaReader(input).info.video.rotation == 90)
        #expect(MediaWriter.containerKeepsRotation(destination: "x.mp4") && MediaWriter.containerKeepsRotation(destination: "x.MOV"))
        #expect(!MediaWriter.containerKeepsRotation(destination: "x.mkv") && !MediaWriter.containerKeepsRotation(destination: "x.webm"))

        for name in ["upright.mkv", "upright.webm"] {
            _ = try copy(input, to: fx.path(name), codec: name.hasSuffix(".webm") ? .vp9 : .h264)
            let out = try MediaReader(fx.path(name)).info.video
            #expect(out.width == 120 && out.height == 160 && out.rotation == 0, "\(name): \(out.width)×\(out.height) rotated \(out.rotation)")
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
}
