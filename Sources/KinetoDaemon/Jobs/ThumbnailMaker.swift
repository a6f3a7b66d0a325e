import Foundation
import KinetoMedia

/// Small PNG pictures of a video, for the dashboard's before/after view: which frame, and where it goes;
/// the media layer decodes, scales and encodes it (`PNGPicture`).
public enum ThumbnailMaker {
    /// How far into a video its thumbnail is taken: films and phone clips often open on a black or
    /// fading frame, so not the first frame but the one at min(1 s, a tenth of the duration). The
    /// same instant in the source and in its interpolated output, so before and after compare.
    public static func thumbnailTime(duration: Double?) -> Double {
        min(1, max(0, (duration ?? 0) / 10))
    }

    /// Writes a PNG of the frame at `thumbnailTime` of `video` (the last one if the video is
    /// shorter), `width` pixels wide, to `destination` (atomically).
    public static func makeThumbnail(of video: String, to destination: String, width: Int = 320) throws {
        let reader = try MediaReader(video, options: ReaderOptions(passthrough: false, decoderThreads: 1))
        let offset = thumbnailTime(duration: reader.info.video.duration ?? reader.info.duration)
        guard var frame = try reader.nextVideoFrame() else {
            throw DaemonError("\(video): no frame to make a thumbnail of")
        }
        let target = frame.seconds + offset
        // At most 240 more frames decoded (1 s even at 240 fps), whatever the timestamps say.
        var decoded = 0
        while frame.seconds + 1e-3 < target, decoded < 240, let next = try reader.nextVideoFrame() {
            frame = next
            decoded += 1
        }
        let height = max(2, Int((Double(width) * Double(frame.height) / Double(max(frame.width, 1))).rounded()) & ~1)
        let png = try PNGPicture.encode(frame, width: width, height: height)
        let temporary =
            (destination as NSString).deletingLastPathComponent + "/." + (destination as NSString).lastPathComponent
            + ".kineto-partial"
        guard FileManager.default.createFile(atPath: temporary, contents: png) else {
            throw DaemonError("cannot write the thumbnail \(destination)")
        }
        guard rename(temporary, destination) == 0 else {
            unlink(temporary)
            throw DaemonError("cannot write the thumbnail \(destination): \(String(cString: strerror(errno)))")
        }
    }
}
