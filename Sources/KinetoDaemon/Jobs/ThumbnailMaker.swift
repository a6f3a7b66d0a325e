import CFFmpeg
import Foundation
import KinetoMedia

/// Small PNG pictures of a video, for the dashboard's before/after view: decoded with the media
/// layer, scaled with libswscale and encoded with FFmpeg's PNG encoder.
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
        let png = try encodePNG(frame.avFrame, width: width, height: height)
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

    static func encodePNG(_ source: UnsafeMutablePointer<AVFrame>, width: Int, height: Int) throws -> Data {
        guard
            let scaler = sws_getContext(
                source.pointee.width, source.pointee.height, AVPixelFormat(rawValue: source.pointee.format),
                Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(SWS_BICUBIC), nil, nil, nil)
        else {
            throw DaemonError("cannot scale a \(source.pointee.width)×\(source.pointee.height) frame for a thumbnail")
        }
        defer { sws_freeContext(scaler) }
        var rgb: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        defer { av_frame_free(&rgb) }
        guard let out = rgb else { throw DaemonError("out of memory") }
        out.pointee.width = Int32(width)
        out.pointee.height = Int32(height)
        out.pointee.format = AV_PIX_FMT_RGB24.rawValue
        guard av_frame_get_buffer(out, 0) >= 0 else { throw DaemonError("out of memory") }
        let srcData = UnsafePointer<UnsafePointer<UInt8>?>(OpaquePointer(kineto_frame_data_array(source)))
        sws_scale(
            scaler, srcData, kineto_frame_linesize_array(source), 0, source.pointee.height,
            kineto_frame_data_array(out), kineto_frame_linesize_array(out))

        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else {
            throw DaemonError("this FFmpeg build has no PNG encoder")
        }
        var context: UnsafeMutablePointer<AVCodecContext>? = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        guard let encoder = context else { throw DaemonError("out of memory") }
        encoder.pointee.width = Int32(width)
        encoder.pointee.height = Int32(height)
        encoder.pointee.pix_fmt = AV_PIX_FMT_RGB24
        encoder.pointee.time_base = AVRational(num: 1, den: 1)
        guard avcodec_open2(encoder, codec, nil) >= 0 else { throw DaemonError("cannot open the PNG encoder") }
        guard avcodec_send_frame(encoder, out) >= 0, avcodec_send_frame(encoder, nil) >= 0 else {
            throw DaemonError("the PNG encoder refused the frame")
        }
        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        defer { av_packet_free(&packet) }
        guard let pkt = packet, avcodec_receive_packet(encoder, pkt) >= 0, let bytes = pkt.pointee.data else {
            throw DaemonError("the PNG encoder produced nothing")
        }
        return Data(bytes: bytes, count: Int(pkt.pointee.size))
    }
}
