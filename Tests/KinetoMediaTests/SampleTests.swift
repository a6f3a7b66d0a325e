import Foundation
import KinetoMedia
import KinetoTestSupport
import Testing

/// The real clips in samples/ probe and decode completely.
@Suite struct SampleTests {
    @Test func megamindHasVideoAndAC3Audio() throws {
        let result = try readAll(Fixtures.sample("Megamind.avi"))
        let info = result.reader.info
        #expect(info.video.codec == "mpeg4")
        #expect(info.video.width == 720 && info.video.height == 528)
        #expect(abs((info.video.frameRate?.doubleValue ?? 0) - 23.976) < 0.001)
        #expect(info.audio.first?.codec == "ac3")
        #expect(info.audio.first?.channels == 2)
        #expect(result.frames.count == 270)
        #expect(result.audioPackets > 100)
        #expect(result.reader.damage.isClean)
    }

    @Test func treeIsCinepakWithoutAudio() throws {
        let result = try readAll(Fixtures.sample("tree.avi"))
        #expect(result.reader.info.video.codec == "cinepak")
        #expect(result.reader.info.audio.isEmpty)
        // 444 packets, but most are empty "repeat the previous frame" chunks: 68 pictures (as ffprobe
        // -count_frames says), spread over the whole 29.6 s — a real variable-frame-rate input.
        #expect(result.frames.count == 68)
        #expect(result.frames.last!.doubleValue > 29)
        #expect(result.reader.damage.isClean)
    }

    @Test func stillImageReadsAsOneFrame() throws {
        let fx = try Scratch("kineto-media")
        let png = fx.path("portrait.png")
        try fx.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64", "-vf", "scale=97:61", "-frames:v", "1", png])
        let result = try readAll(png)
        #expect(result.frames.count == 1)
        #expect(result.reader.info.video.codec == "png")
        let rgb = try FrameConverter().rgbImage(from: try #require(try MediaReader(png).nextVideoFrame()))
        #expect(rgb.width == 97 && rgb.height == 61)
    }

    @Test func rationalDecodingRejectsZeroDenominators() throws {
        let good = try JSONDecoder().decode(
            Rational.self, from: Data(#"{"numerator": 60000, "denominator": -2002}"#.utf8))
        #expect(good == Rational(-30000, 1001))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Rational.self, from: Data(#"{"numerator": 1, "denominator": 0}"#.utf8))
        }
        #expect(Rational(30000, 1001) < Rational(30))
        #expect(Rational(1, 3) * Rational(3, 5) == Rational(1, 5))
        #expect(Rational(Rational(24000, 1001).avRational) == Rational(24000, 1001))
    }

    @Test func probeInfoEncodesAsJSON() throws {
        let info = try MediaReader(Fixtures.sample("Megamind.avi")).info
        let json = try JSONEncoder().encode(info)
        let decoded = try JSONDecoder().decode(MediaInfo.self, from: json)
        #expect(decoded == info)
    }
}
