import Foundation
import KinetoDaemon
import KinetoTestSupport
import Testing

@Suite struct ThumbnailTests {
    /// The mean luma (0–255) of a picture, measured by the ffmpeg CLI's signalstats filter.
    static func meanLuma(_ path: String) throws -> Double {
        let output = try Tool.run(
            "/usr/bin/ffmpeg",
            [
                "-nostdin", "-v", "error", "-i", path, "-vf",
                "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-",
                "-f", "null", "-",
            ])
        let line = try #require(output.split(separator: "\n").first { $0.contains("YAVG=") })
        return try #require(Double(line.split(separator: "=").last ?? ""))
    }

    @Test func thumbnailTimeIsATenthOfTheDurationUpToOneSecond() {
        #expect(ThumbnailMaker.thumbnailTime(duration: nil) == 0)
        #expect(ThumbnailMaker.thumbnailTime(duration: 5) == 0.5)
        #expect(ThumbnailMaker.thumbnailTime(duration: 600) == 1)
    }

    /// A clip that fades in from black (as films often open) gets a thumbnail of a picture, not of
    /// its black first frame.
    @Test func aClipThatFadesInFromBlackGetsAVisibleThumbnail() throws {
        let fixture = try DaemonFixture()
        let clip = fixture.root + "/fade.mp4"
        // 5 s at 12 fps; frames 0–5 fade in from black (mean luma 16 at frame 0, about 71 from frame 6 on).
        try Tool.run(
            "/usr/bin/ffmpeg",
            [
                "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=12",
                "-frames:v", "60", "-vf", "fade=in:0:6", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", clip,
            ])
        let thumbnail = fixture.root + "/thumb.png"
        try ThumbnailMaker.makeThumbnail(of: clip, to: thumbnail, width: 64)
        let luma = try Self.meanLuma(thumbnail)
        #expect(luma > 60, "the thumbnail is dark (mean luma \(luma)): taken from the fade-in")
        #expect(fixture.names(fixture.root).contains("thumb.png"))
        #expect(!fixture.names(fixture.root).contains { $0.contains("kineto-partial") })
    }
}
