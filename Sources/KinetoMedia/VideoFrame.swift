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
    /// Presentation time in seconds, for display and logs (use `time` for arithmetic).
    public var seconds: Double { time.doubleValue }
    /// How long the frame shows, in `timeBase` ticks (the packet's duration, `pkt_duration`); nil when unknown.
    public var duration: Int64? {
        let ticks = avFrame.pointee.pkt_duration
        return ticks > 0 ? ticks : nil
    }
    public var width: Int { Int(avFrame.pointee.width) }
    public var height: Int { Int(avFrame.pointee.height) }
    public var pixelFormat: AVPixelFormat { AVPixelFormat(rawValue: avFrame.pointee.format) }
    /// Bytes of its pixels (all planes, unpadded): what holding the frame costs, for queues bounded by bytes.
    public var byteCount: Int {
        max(0, Int(av_image_get_buffer_size(pixelFormat, avFrame.pointee.width, avFrame.pointee.height, 1)))
    }
    public var pixelFormatName: String { av_get_pix_fmt_name(pixelFormat).map { String(cString: $0) } ?? "unknown" }

    /// The same picture at another time: shares the pixel buffers (no copy). `duration` is in `timeBase`
    /// ticks; nil keeps this frame's duration, converted to `timeBase`.
    public func retimed(pts: Int64, timeBase: Rational, duration: Int64? = nil) -> VideoFrame {
        let clone = av_frame_clone(avFrame)!
        clone.pointee.pts = pts
        clone.pointee.pkt_duration =
            duration ?? self.duration.map { av_rescale_q($0, self.timeBase.avRational, timeBase.avRational) } ?? 0
        clone.pointee.pkt_dts = kineto_nopts()
        clone.pointee.pict_type = AV_PICTURE_TYPE_NONE
        return VideoFrame(taking: clone, timeBase: timeBase)
    }

    /// A new, writable frame of the given size and format with the colour tags of `template`, its pixels
    /// from a reuse pool (contents undefined).
    public static func allocate(width: Int, height: Int, pixelFormat: AVPixelFormat, like template: VideoFrame? = nil)
        throws -> VideoFrame
    {
        VideoFrame(
            taking: try allocateAVFrame(width: width, height: height, pixelFormat: pixelFormat, like: template),
            timeBase: template?.timeBase ?? .one)
    }

    static func allocateAVFrame(width: Int, height: Int, pixelFormat: AVPixelFormat, like template: VideoFrame?) throws
        -> UnsafeMutablePointer<AVFrame>
    {
        guard width > 0, height > 0, width < 1 << 16, height < 1 << 16 else {
            throw MediaError(.invalidArgument, path: "", "cannot allocate a \(width)×\(height) frame")
        }
        guard let frame = av_frame_alloc() else {
            throw MediaError(.internalFailure, path: "", "out of memory allocating a frame")
        }
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
        let ret = FramePool.shared.attachBuffer(to: frame)
        guard ret >= 0 else {
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
            throw MediaError(
                .internalFailure, path: "", "cannot allocate a \(width)×\(height) frame: \(MediaError.text(ret))")
        }
        return frame
    }
}
