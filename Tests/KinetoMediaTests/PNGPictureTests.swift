import Foundation
import KinetoMedia
import KinetoTestSupport
import Testing

@Suite struct PNGPictureTests {
    /// An HD frame encoded with BT.709's matrix comes out of `PNGPicture` in its own colours: swscale's BT.601
    /// default (what the daemon's thumbnails used) shifts this red by more than 10 levels in some channel.
    @Test(arguments: [("bt709", "1280x720"), ("smpte170m", "640x480")])
    func keepsTheFramesColours(_ matrix: String, _ size: String) throws {
        let scratch = try Scratch("kineto-png")
        let clip = scratch.path("red.mkv")
        _ = try scratch.ffmpeg([
            "-f", "lavfi", "-i", "color=c=0xC83C28:s=\(size):d=0.2,format=rgb24",
            "-vf", "scale=out_color_matrix=\(matrix == "bt709" ? "bt709" : "bt601"):out_range=tv,format=yuv444p",
            "-colorspace", matrix, "-color_range", "tv", "-c:v", "ffv1", clip,
        ])
        let reader = try MediaReader(clip, options: ReaderOptions(passthrough: false, decoderThreads: 1))
        let frame = try #require(try reader.nextVideoFrame())
        let png = try PNGPicture.encode(frame, width: 64, height: 36)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        try png.write(to: URL(fileURLWithPath: scratch.path("thumb.png")))
        _ = try scratch.ffmpeg([
            "-i", scratch.path("thumb.png"), "-f", "rawvideo", "-pix_fmt", "rgb24", scratch.path("thumb.rgb"),
        ])
        let rgb = [UInt8](try Data(contentsOf: URL(fileURLWithPath: scratch.path("thumb.rgb"))))
        #expect(rgb.count == 64 * 36 * 3)
        let centre = (18 * 64 + 32) * 3
        let pixel = [Int(rgb[centre]), Int(rgb[centre + 1]), Int(rgb[centre + 2])]
        for (channel, expected) in zip(pixel, [200, 60, 40]) {
            #expect(abs(channel - expected) <= 3, "\(matrix) \(size): \(pixel), expected [200, 60, 40]")
        }
    }
}
