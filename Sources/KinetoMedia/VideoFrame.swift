import CFFmpeg

/// A decoded picture with its exact presentation time. Owns its `AVFrame` (buffers are reference
/// counted, so clones made by `retimed` share pixels instead of copying them).
public final class VideoFrame: @unchecked Sendable {
    public let avFrame: UnsafeMutablePointer<AVFrame>
    /// Unit of `pts`.
    public let timeBase: Rational

    /// Takes ownership of `frame`.
    public init(taking frame: UnsafeMutablePointer<AVFrame>, timeBase: Rational) {
        avFrame = frame
        self.timeBase = timeBase
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = avFrame
        av_frame_free(&frame)
    }

    public var pts: Int64 { avFrame.pointee.pts }
    /// Presentation time in seconds, exact.
    public var time: Rational { timeBase.seconds(of: pts) }
    public var width: Int { Int(avFrame.pointee.width) }
    public var height: Int { Int(avFrame.pointee.height) }
    public var pixelFormat: AVPixelFormat { AVPixelFormat(rawValue: avFrame.pointee.format) }
    public var pixelFormatName: String { av_get_pix_fmt_name(pixelFormat).map { String(cString: $0) } ?? "unknown" }

    /// The same picture at another time: shares the pixel buffers (no copy).
    public func retimed(pts: Int64, timeBase: Rational) -> VideoFrame {
        let clone = av_frame_clone(avFrame)!
        clone.pointee.pts = pts
        clone.pointee.pkt_dts = kineto_nopts()
        clone.pointee.pict_type = AV_PICTURE_TYPE_NONE
        return VideoFrame(taking: clone, timeBase: timeBase)
    }

    /// A new, writable frame of the given size and format with the colour tags of `template`.
    public static func allocate(width: Int, height: Int, pixelFormat: AVPixelFormat, like template: VideoFrame? = nil) throws -> VideoFrame {
        guard let frame = av_frame_alloc() else { throw MediaError(.internalFailure, path: "", "out of memory allocating a frame") }
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = pixelFormat.rawValue
        if let t = template?.avFrame.pointee {
            frame.pointee.color_primaries = t.color_primaries
            frame.pointee.color_trc = t.color_trc
            frame.pointee.colorspace = t.colorspace
            frame.pointee.color_range = t.color_range
            frame.pointee.chroma_location = t.chroma_location
            frame.pointee.sample_aspect_ratio = t.sample_aspect_ratio
        }
        let ret = av_frame_get_buffer(frame, 0)
        guard ret >= 0 else {
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
            throw MediaError(.internalFailure, path: "", "cannot allocate a \(width)×\(height) frame: \(MediaError.text(ret))")
        }
        return VideoFrame(taking: frame, timeBase: template?.timeBase ?? .one)
    }
}
