import CFFmpeg

/// A libavfilter graph for decoded video (deinterlacing, turning the picture upright): frames in at the
/// decoder's size and format, frames out, possibly at another size, rate and time base.
final class VideoFilter {
    private let graph: FilterGraph
    private var source: UnsafeMutablePointer<AVFilterContext> { graph.source }
    private var sink: UnsafeMutablePointer<AVFilterContext> { graph.sink }
    private let path: String
    /// Time base of the frames pulled out (bwdif at field rate halves it).
    let outputTimeBase: Rational
    /// Frame rate of the output, when the graph knows it.
    let outputFrameRate: Rational?
    let outputWidth: Int
    let outputHeight: Int

    /// `description`: a filter chain (`bwdif=mode=send_frame,transpose=clock`) between the source and the sink.
    init(
        _ description: String, width: Int32, height: Int32, pixelFormat: AVPixelFormat, timeBase: Rational,
        sampleAspectRatio: AVRational, frameRate: Rational?, path: String
    ) throws {
        self.path = path
        let aspect = sampleAspectRatio.num > 0 ? "\(sampleAspectRatio.num)/\(sampleAspectRatio.den)" : "1/1"
        var arguments =
            "video_size=\(width)x\(height):pix_fmt=\(pixelFormat.rawValue):time_base=\(timeBase.numerator)/\(timeBase.denominator):pixel_aspect=\(aspect)"
        if let frameRate, frameRate.numerator > 0 {
            arguments += ":frame_rate=\(frameRate.numerator)/\(frameRate.denominator)"
        }
        // The graph ends in the decoder's own pixel format, which the rest of the pipeline was chosen for.
        let name = av_get_pix_fmt_name(pixelFormat).map { String(cString: $0) } ?? "yuv420p"
        graph = try FilterGraph(
            .video, sourceArguments: arguments, description: "[in]\(description),format=\(name)[out]",
            shownAs: description, path: path)
        let snk = graph.sink
        outputTimeBase = Rational(av_buffersink_get_time_base(snk))
        let rate = av_buffersink_get_frame_rate(snk)
        outputFrameRate = rate.num > 0 && rate.den > 0 ? Rational(rate) : nil
        outputWidth = Int(av_buffersink_get_w(snk))
        outputHeight = Int(av_buffersink_get_h(snk))
    }

    /// Filters `frame` (nil: the end of the input) and returns the frames that came out.
    func process(_ frame: VideoFrame?) throws -> [VideoFrame] {
        var ret: Int32
        if let frame {
            // The graph takes a reference; the caller's frame stays valid.
            ret = av_buffersrc_add_frame_flags(source, frame.avFrame, Int32(AV_BUFFERSRC_FLAG_KEEP_REF))
        } else {
            ret = av_buffersrc_add_frame_flags(source, nil, 0)
        }
        if ret < 0 && ret != kineto_averror_eof() {
            throw MediaError(.corrupt, path: path, "video filtering failed: \(MediaError.text(ret))")
        }
        var frames: [VideoFrame] = []
        while true {
            guard let out = av_frame_alloc() else { throw MediaError(.internalFailure, path: path, "out of memory") }
            ret = av_buffersink_get_frame(sink, out)
            if ret < 0 {
                var f: UnsafeMutablePointer<AVFrame>? = out
                av_frame_free(&f)
                if ret == kineto_averror_eagain() || ret == kineto_averror_eof() { break }
                throw MediaError(.corrupt, path: path, "video filtering failed: \(MediaError.text(ret))")
            }
            out.pointee.interlaced_frame = 0
            frames.append(VideoFrame(taking: out, timeBase: outputTimeBase))
        }
        return frames
    }
}
