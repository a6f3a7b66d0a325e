import CFFmpeg
import Foundation

/// A libavfilter graph for decoded audio: frames in at the decoder's format, frames out.
final class AudioFilter {
    private let graph: FilterGraph
    private var source: UnsafeMutablePointer<AVFilterContext> { graph.source }
    private var sink: UnsafeMutablePointer<AVFilterContext> { graph.sink }
    /// Time base of the frames pushed in (one tick per sample).
    let inputTimeBase: AVRational
    /// Time base of the frames pulled out.
    var outputTimeBase: AVRational { av_buffersink_get_time_base(sink) }
    private let path: String

    /// `description` names its input `[in]` and its output `[out]`.
    convenience init(graph description: String, decoder: UnsafeMutablePointer<AVCodecContext>, path: String) throws {
        var layoutText = [CChar](repeating: 0, count: 128)
        var layout = AVChannelLayout()
        av_channel_layout_copy(&layout, &decoder.pointee.ch_layout)
        if layout.order == AV_CHANNEL_ORDER_UNSPEC {
            av_channel_layout_uninit(&layout)
            av_channel_layout_default(&layout, decoder.pointee.ch_layout.nb_channels)
        }
        av_channel_layout_describe(&layout, &layoutText, layoutText.count)
        av_channel_layout_uninit(&layout)
        let formatName = av_get_sample_fmt_name(decoder.pointee.sample_fmt).map { String(cString: $0) } ?? "fltp"
        try self.init(
            graph: description, sampleRate: decoder.pointee.sample_rate, sampleFormat: formatName,
            channelLayout: String(cString: layoutText), path: path)
    }

    init(
        graph description: String, sampleRate rate: Int32, sampleFormat formatName: String, channelLayout: String,
        path: String
    ) throws {
        self.path = path
        inputTimeBase = AVRational(num: 1, den: rate)
        let arguments =
            "time_base=1/\(rate):sample_rate=\(rate):sample_fmt=\(formatName):channel_layout=\(channelLayout)"
        // The graph ends in the decoder's own format, the one the resampler after it was set up for.
        let ending = "aformat=sample_fmts=\(formatName):sample_rates=\(rate):channel_layouts=\(channelLayout)"
        let full = description.replacingOccurrences(of: "[out]", with: "[kineto_end]") + ";[kineto_end]\(ending)[out]"
        graph = try FilterGraph(.audio, sourceArguments: arguments, description: full, shownAs: description, path: path)
    }

    /// Feeds a frame (nil: the end of the audio). The frame's data is taken over; the caller unrefs the shell.
    func push(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        let ret = av_buffersrc_add_frame_flags(source, frame, 0)
        if ret < 0 && ret != kineto_averror_eof() {
            throw MediaError(.internalFailure, path: path, "audio filtering failed: \(MediaError.text(ret))")
        }
    }

    /// The next filtered frame, or nil when none is ready yet (or the end was reached). The caller frees it.
    func pull() throws -> UnsafeMutablePointer<AVFrame>? {
        guard let frame = av_frame_alloc() else { throw MediaError(.internalFailure, path: path, "out of memory") }
        let ret = av_buffersink_get_frame(sink, frame)
        if ret >= 0 { return frame }
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
        if ret == kineto_averror_eagain() || ret == kineto_averror_eof() { return nil }
        throw MediaError(.internalFailure, path: path, "audio filtering failed: \(MediaError.text(ret))")
    }
}

extension AudioFilter {
    /// How much earlier than its true place a sound comes out of `chain` (an `atempo` chain), in output
    /// seconds, measured by passing a tone burst through it. `atempo` trims part of its analysis
    /// window at the start, so its output runs ahead; a stretch delays its input by this much to stay in sync.
    static func lead(of chain: String, factor: Double, sampleRate: Int32) throws -> Double {
        let filter = try AudioFilter(
            graph: "[in]\(chain)[out]", sampleRate: sampleRate, sampleFormat: "flt",
            channelLayout: "mono", path: "audio filter calibration")
        let burstStart = Int(sampleRate) / 2
        let length = Int(sampleRate)
        guard let frame = av_frame_alloc() else { throw MediaError(.internalFailure, path: "", "out of memory") }
        var frameOptional: UnsafeMutablePointer<AVFrame>? = frame
        defer { av_frame_free(&frameOptional) }
        frame.pointee.nb_samples = Int32(length)
        frame.pointee.format = AV_SAMPLE_FMT_FLT.rawValue
        frame.pointee.sample_rate = sampleRate
        av_channel_layout_default(&frame.pointee.ch_layout, 1)
        frame.pointee.pts = 0
        guard av_frame_get_buffer(frame, 0) >= 0, let data = kineto_frame_data(frame, 0) else {
            throw MediaError(.internalFailure, path: "", "out of memory")
        }
        let samples = UnsafeMutableRawPointer(data).assumingMemoryBound(to: Float.self)
        for i in 0..<length {
            let inBurst = i >= burstStart && i < burstStart + Int(sampleRate) / 10
            samples[i] = inBurst ? 0.8 * Float(sin(2 * Double.pi * 440 * Double(i) / Double(sampleRate))) : 0
        }
        try filter.push(frame)
        try filter.push(nil)
        var position = 0
        var onset: Int?
        while let out = try filter.pull() {
            defer {
                var f: UnsafeMutablePointer<AVFrame>? = out
                av_frame_free(&f)
            }
            let count = Int(out.pointee.nb_samples)
            if onset == nil, let base = kineto_frame_data(out, 0) {
                let values = UnsafeRawPointer(base).assumingMemoryBound(to: Float.self)
                if let index = (0..<count).first(where: { abs(values[$0]) > 0.4 }) { onset = position + index }
            }
            position += count
        }
        guard let onset else { return 0 }
        let expected = Double(burstStart) * factor
        return max(0, (expected - Double(onset)) / Double(sampleRate))
    }
}
