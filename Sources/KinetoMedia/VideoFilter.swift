import CFFmpeg

/// A libavfilter graph for decoded video (deinterlacing, turning the picture upright): frames in at the
/// decoder's size and format, frames out, possibly at another size, rate and time base.
final class VideoFilter {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>
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
        var built: UnsafeMutablePointer<AVFilterGraph>? = avfilter_graph_alloc()
        var succeeded = false
        defer { if !succeeded { avfilter_graph_free(&built) } }
        guard let g = built else { throw MediaError(.internalFailure, path: path, "out of memory") }
        let aspect = sampleAspectRatio.num > 0 ? "\(sampleAspectRatio.num)/\(sampleAspectRatio.den)" : "1/1"
        var arguments =
            "video_size=\(width)x\(height):pix_fmt=\(pixelFormat.rawValue):time_base=\(timeBase.numerator)/\(timeBase.denominator):pixel_aspect=\(aspect)"
        if let frameRate, frameRate.numerator > 0 {
            arguments += ":frame_rate=\(frameRate.numerator)/\(frameRate.denominator)"
        }
        var src: UnsafeMutablePointer<AVFilterContext>?
        var snk: UnsafeMutablePointer<AVFilterContext>?
        var ret = avfilter_graph_create_filter(&src, avfilter_get_by_name("buffer"), "in", arguments, nil, g)
        if ret >= 0 { ret = avfilter_graph_create_filter(&snk, avfilter_get_by_name("buffersink"), "out", nil, nil, g) }
        guard ret >= 0, let src, let snk else {
            throw MediaError(.internalFailure, path: path, "cannot set up the video filter: \(MediaError.text(ret))")
        }
        var inputsOptional = avfilter_inout_alloc()
        var outputsOptional = avfilter_inout_alloc()
        guard let outputs = outputsOptional, let inputs = inputsOptional else {
            avfilter_inout_free(&inputsOptional)
            avfilter_inout_free(&outputsOptional)
            throw MediaError(.internalFailure, path: path, "out of memory")
        }
        outputs.pointee.name = av_strdup("in")
        outputs.pointee.filter_ctx = src
        outputs.pointee.pad_idx = 0
        outputs.pointee.next = nil
        inputs.pointee.name = av_strdup("out")
        inputs.pointee.filter_ctx = snk
        inputs.pointee.pad_idx = 0
        inputs.pointee.next = nil
        // The graph ends in the decoder's own pixel format, which the rest of the pipeline was chosen for.
        let name = av_get_pix_fmt_name(pixelFormat).map { String(cString: $0) } ?? "yuv420p"
        ret = avfilter_graph_parse_ptr(
            g, "[in]\(description),format=\(name)[out]", &inputsOptional, &outputsOptional, nil)
        avfilter_inout_free(&inputsOptional)
        avfilter_inout_free(&outputsOptional)
        if ret >= 0 { ret = avfilter_graph_config(g, nil) }
        guard ret >= 0 else {
            throw MediaError(
                .internalFailure, path: path, "cannot set up the video filter '\(description)': \(MediaError.text(ret))"
            )
        }
        source = src
        sink = snk
        graph = g
        outputTimeBase = Rational(av_buffersink_get_time_base(snk))
        let rate = av_buffersink_get_frame_rate(snk)
        outputFrameRate = rate.num > 0 && rate.den > 0 ? Rational(rate) : nil
        outputWidth = Int(av_buffersink_get_w(snk))
        outputHeight = Int(av_buffersink_get_h(snk))
        succeeded = true
    }

    deinit { avfilter_graph_free(&graph) }

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
