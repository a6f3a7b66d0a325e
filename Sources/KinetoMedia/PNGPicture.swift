import CFFmpeg
import Foundation

/// A video frame as a PNG picture (the daemon's before/after thumbnails), scaled with the frame's own colour
/// matrix and range: swscale's default would decode HD video with BT.601's matrix and shift its colours.
public enum PNGPicture {
    /// The PNG bytes of `frame` scaled to `width × height`.
    public static func encode(_ frame: VideoFrame, width: Int, height: Int) throws -> Data {
        let rgb = try FrameConverter().rgb24(from: frame, width: width, height: height)
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else {
            throw MediaError(.unsupportedEncoder, path: "", "this FFmpeg build has no PNG encoder")
        }
        var context: UnsafeMutablePointer<AVCodecContext>? = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        guard let encoder = context else { throw MediaError(.internalFailure, path: "", "out of memory") }
        encoder.pointee.width = Int32(width)
        encoder.pointee.height = Int32(height)
        encoder.pointee.pix_fmt = AV_PIX_FMT_RGB24
        encoder.pointee.time_base = AVRational(num: 1, den: 1)
        guard avcodec_open2(encoder, codec, nil) >= 0 else {
            throw MediaError(.unsupportedEncoder, path: "", "cannot open the PNG encoder")
        }
        guard avcodec_send_frame(encoder, rgb.avFrame) >= 0, avcodec_send_frame(encoder, nil) >= 0 else {
            throw MediaError(.internalFailure, path: "", "the PNG encoder refused the frame")
        }
        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        defer { av_packet_free(&packet) }
        guard let pkt = packet, avcodec_receive_packet(encoder, pkt) >= 0, let bytes = pkt.pointee.data else {
            throw MediaError(.internalFailure, path: "", "the PNG encoder produced nothing")
        }
        return Data(bytes: bytes, count: Int(pkt.pointee.size))
    }
}
