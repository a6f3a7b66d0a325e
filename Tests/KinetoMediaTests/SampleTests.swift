import Foundation
import Testing
import KinetoMedia

/// The real clips in samples/ probe and decode completely.
@Suite struct SampleTests {
    @Test func megamindHasVideoAndAC3Audio() throws {
        let result = try readAll(MediaFixtures.sample("Megamind.avi"))
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
        let result = try readAll(MediaFixtures.sample("tree.avi"))
        #expect(result.reader.info.video.codec == "cinepak")
        #expect(result.reader.info.audio.isEmpty)
        // 444 packets, but most are empty "repeat the previous frame" chunks: 68 pictures (as ffprobe
        // -count_frames says), spread over the whole 29.6 s — a real variable-frame-rate input.
        #expect(result.frames.count == 68)
        #expect(result.frames.last!.doubleValue > 29)
        #expect(result.reader.damage.isClean)
    }

    @Test func probeInfoEncodesAsJSON() throws {
        let info = try MediaReader(MediaFixtures.sample("Megamind.avi")).info
        let json = try JSONEncoder().encode(info)
        let decoded = try JSONDecoder().decode(MediaInfo.self, from: json)
        #expect(decoded == info)
    }
}
