import CFFmpeg
import Foundation
import KinetoMedia
import KinetoTestSupport
import Testing

@Suite struct ConversionTests {
    @Test(arguments: [
        ("320x240", "yuv420p"), ("321x241", "yuv420p"), ("127x93", "yuv444p"), ("200x100", "yuv420p10le"),
    ])
    func rgbRoundTripIsCloseAndOddSizesWork(_ size: String, _ pixfmt: String) throws {
        let fx = try Scratch("kineto-media")
        // testsrc2 rounds sizes to even numbers; the scale filter makes the odd size exactly.
        let dims = size.split(separator: "x").map { Int($0)! }
        let input = try fx.clip(
            "in.mkv", rate: "25", shortest: true, seconds: 0.2, size: "320x240", audio: false,
            codec: ["-vf", "scale=\(dims[0]):\(dims[1])", "-c:v", "ffv1", "-pix_fmt", pixfmt])
        let reader = try MediaReader(input)
        let frame = try #require(try reader.nextVideoFrame())
        let converter = FrameConverter()
        let rgb = try converter.rgbImage(from: frame)
        #expect(rgb.width == dims[0] && rgb.height == dims[1])
        #expect(rgb.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        let back = try converter.frame(
            from: rgb, pixelFormat: frame.pixelFormat, like: frame, pts: frame.pts, timeBase: frame.timeBase)
        #expect(back.pixelFormatName == pixfmt)
        // Back to RGB once more: a YUV→RGB→YUV→RGB cycle loses almost nothing.
        let again = try converter.rgbImage(from: back)
        var worst: Float = 0
        var sum: Float = 0
        for (a, b) in zip(rgb.pixels, again.pixels) {
            worst = max(worst, abs(a - b))
            sum += abs(a - b)
        }
        let mean = sum / Float(rgb.pixels.count)
        // 4:4:4 keeps every sample; 4:2:0 re-subsamples chroma, which blurs testsrc2's sharp colour edges a little.
        let subsampled = pixfmt.hasPrefix("yuv420")
        #expect(mean < (subsampled ? 0.012 : 0.004), "mean abs error \(mean)")
        if !subsampled { #expect(worst < 0.08, "max abs error \(worst)") }
    }

    @Test func tenBitKeepsPrecisionThatEightBitWouldLose() throws {
        let fx = try Scratch("kineto-media")
        // A smooth 10-bit gradient: its RGB values must take more than 256 distinct levels.
        let input = fx.path("grad.mkv")
        // An 8-bit gradient stretched in 16-bit arithmetic: 877 distinct 10-bit levels across a row.
        try fx.ffmpeg([
            "-f", "lavfi", "-i",
            "gradients=size=16x16:c0=black:c1=white:x0=0:y0=0:x1=15:y1=0:duration=0.1,format=gbrp16le,scale=1024x16:flags=bilinear",
            "-c:v", "ffv1", "-pix_fmt", "yuv444p10le", input,
        ])
        let frame = try #require(try MediaReader(input).nextVideoFrame())
        let rgb = try FrameConverter().rgbImage(from: frame)
        let row = rgb.pixels[(rgb.planeSize + 8 * rgb.width)..<(rgb.planeSize + 9 * rgb.width)]
        let levels = Set(row.map { Int(($0 * 65535).rounded()) }).count
        #expect(levels > 300, "only \(levels) distinct levels survived")
    }

    @Test func matrixFromTagsDecidesColour() throws {
        let fx = try Scratch("kineto-media")
        // Pure red encoded as BT.709 and as BT.601: each must decode back to red under its own tags.
        for (space, name) in [("bt709", "709"), ("smpte170m", "601")] {
            let path = fx.path("red\(name).mkv")
            try fx.ffmpeg([
                "-f", "lavfi", "-i", "color=c=red:size=64x64:duration=0.1", "-vf",
                "scale=out_color_matrix=\(space == "bt709" ? "bt709" : "bt601")",
                "-colorspace", space, "-c:v", "ffv1", "-pix_fmt", "yuv444p", path,
            ])
            let rgb = try FrameConverter().rgbImage(from: try #require(try MediaReader(path).nextVideoFrame()))
            let center = 32 * 64 + 32
            #expect(abs(rgb.pixels[center] - 1) < 0.03, "R under \(space)")
            #expect(rgb.pixels[rgb.planeSize + center] < 0.03, "G under \(space)")
            #expect(rgb.pixels[2 * rgb.planeSize + center] < 0.03, "B under \(space)")
        }
    }

    @Test func blendMixesByTimeDistance() throws {
        let fx = try Scratch("kineto-media")
        let black = fx.path("black.mkv")
        let white = fx.path("white.mkv")
        try fx.ffmpeg([
            "-f", "lavfi", "-i", "color=c=black:size=33x17:duration=0.1", "-c:v", "ffv1", "-pix_fmt", "yuv420p", black,
        ])
        try fx.ffmpeg([
            "-f", "lavfi", "-i", "color=c=white:size=33x17:duration=0.1", "-c:v", "ffv1", "-pix_fmt", "yuv420p", white,
        ])
        let a = try #require(try MediaReader(black).nextVideoFrame())
        let b = try #require(try MediaReader(white).nextVideoFrame())
        #expect(FrameBlender.canBlend(a.pixelFormat))
        let quarter = try FrameBlender.blend(a, b, t: 0.25, pts: 7, timeBase: Rational(1, 50))
        #expect(quarter.pts == 7)
        let y0 = kineto_frame_data(a.avFrame, 0)![0]
        let y1 = kineto_frame_data(b.avFrame, 0)![0]
        let yq = kineto_frame_data(quarter.avFrame, 0)![0]
        let expected = (Double(y0) * 0.75 + Double(y1) * 0.25).rounded()
        #expect(abs(Double(yq) - expected) <= 1)
        #expect(!FrameBlender.canBlend(AV_PIX_FMT_PAL8))
        #expect(FrameBlender.canBlend(AV_PIX_FMT_YUV420P10LE))
    }

    @Test func retimedFrameSharesPixels() throws {
        let fx = try Scratch("kineto-media")
        let input = try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 0.2, audio: false)
        let frame = try #require(try MediaReader(input).nextVideoFrame())
        let copy = frame.retimed(pts: 1234, timeBase: Rational(1, 1000))
        #expect(copy.pts == 1234)
        #expect(copy.time == Rational(1234, 1000) && copy.seconds == 1.234)
        #expect(kineto_frame_data(copy.avFrame, 0) == kineto_frame_data(frame.avFrame, 0))
    }
}
