import CFFmpeg
import Foundation

/// One item read from an input: a decoded video frame, or a compressed audio/subtitle packet to copy.
public enum MediaEvent: @unchecked Sendable {
    case video(VideoFrame)
    case packet(PassthroughPacket)
}

/// A compressed packet of a non-video stream, kept for stream-copying into the output.
public final class PassthroughPacket: @unchecked Sendable {
    public let avPacket: UnsafeMutablePointer<AVPacket>
    /// Index of the stream in the input.
    public let streamIndex: Int
    public let timeBase: Rational

    init(taking packet: UnsafeMutablePointer<AVPacket>, streamIndex: Int, timeBase: Rational) {
        avPacket = packet
        self.streamIndex = streamIndex
        self.timeBase = timeBase
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = avPacket
        av_packet_free(&p)
    }

    /// Presentation (or, failing that, decoding) time in seconds, if known.
    public var time: Rational? {
        let ts = avPacket.pointee.pts != kineto_nopts() ? avPacket.pointee.pts : avPacket.pointee.dts
        return ts == kineto_nopts() ? nil : timeBase.seconds(of: ts)
    }
}

/// What went wrong while reading an input that still produced frames.
public struct DamageReport: Sendable, Codable, Equatable {
    /// Packets the decoder rejected as invalid.
    public var corruptPackets = 0
    /// Frames the decoder returned flagged as corrupt, or decode calls that failed.
    public var corruptFrames = 0
    /// The input ended before the duration its header announced (truncated file or dropped stream).
    public var endedEarly = false
    /// The read error that ended the input early, if any.
    public var readError: String?
    /// The last decoder message.
    public var lastError: String?

    public var isClean: Bool { corruptPackets == 0 && corruptFrames == 0 && !endedEarly && readError == nil }

    public var summary: String {
        var parts: [String] = []
        if corruptPackets > 0 { parts.append("\(corruptPackets) corrupt packet(s) skipped") }
        if corruptFrames > 0 { parts.append("\(corruptFrames) damaged frame(s)") }
        if endedEarly { parts.append("input ends before its stated duration (truncated?)") }
        if let readError { parts.append("read error: \(readError)") }
        return parts.isEmpty ? "no damage" : parts.joined(separator: "; ")
    }
}

/// Stops a `MediaReader` that waits for input (a silent network stream) from another thread: opening or
/// the next `next()` returns promptly. One token can serve several readers; raising it is permanent.
public final class ReadInterruption: @unchecked Sendable {
    let flag: UnsafeMutableRawPointer

    public init() { flag = kineto_interrupt_flag_new()! }

    deinit { kineto_interrupt_flag_free(flag) }

    /// Makes the readers using this token stop waiting: `MediaReader.init` throws, `next()` returns nil.
    public func interrupt() { kineto_interrupt_flag_raise(flag) }

    public var isInterrupted: Bool { kineto_interrupt_flag_is_raised(flag) != 0 }
}

/// What a reader does with interlaced video.
public enum Deinterlacing: String, Sendable, CaseIterable {
    /// Frames as decoded, fields woven together (for probing and tools that look at the stream itself).
    case keep
    /// Deinterlaced with libavfilter's bwdif, one frame per frame.
    case frameRate = "frame"
    /// Deinterlaced with bwdif, one frame per field: twice the frames, the motion of every field kept.
    case fieldRate = "field"
    /// Not read: opening throws, naming the choices.
    case refuse
}

/// HDR10 static metadata of a video: the mastering display's colour volume and the content light levels.
public struct HDRMetadata: @unchecked Sendable {
    public var masteringDisplay: AVMasteringDisplayMetadata?
    public var contentLight: AVContentLightMetadata?
    public var isEmpty: Bool { masteringDisplay == nil && contentLight == nil }
}

/// Options for opening an input.
public struct ReaderOptions: Sendable {
    /// Also return audio and subtitle packets (for stream copy). Off: video frames only.
    public var passthrough = true
    /// For network inputs: give up when no data arrives for this long (seconds).
    public var networkTimeout: Double = 10
    /// Decoder threads; 0 lets FFmpeg choose from the core count.
    public var decoderThreads = 0

    /// Raise it to stop a reader blocked on input (see `MediaReader.interrupt()`); nil: the reader makes its own.
    public var interruption: ReadInterruption?
    /// The frame rate of an image-sequence input (`frames/%04d.png`); nil: libavformat's 25 fps.
    public var imageSequenceRate: Rational?
    /// Rotate the pixels by the display matrix's rotation, so frames come out upright (for outputs whose
    /// container cannot carry the matrix). `info` then describes the upright picture.
    public var uprightPixels = false
    /// What happens to interlaced video (a stated field order, or a first frame flagged interlaced).
    public var deinterlacing: Deinterlacing = .keep
    /// Start reading at the video keyframe at or before this timestamp (in the video stream's time base)
    /// instead of at the beginning: one chunk of a longer job.
    public var startPTS: Int64?

    public init(
        passthrough: Bool = true, networkTimeout: Double = 10, decoderThreads: Int = 0,
        interruption: ReadInterruption? = nil
    ) {
        self.passthrough = passthrough
        self.networkTimeout = networkTimeout
        self.decoderThreads = decoderThreads
        self.interruption = interruption
    }
}

/// Demuxes and decodes one input (file path or any URL libavformat reads: udp://, tcp://, rtp://, http://, srt://):
/// frames of its best video stream with exact timestamps, plus audio and subtitle packets for copying.
///
/// Never modifies the input. Damage mid-stream is counted in `damage`, not thrown: every decodable frame
/// comes out. Not thread-safe: one reader is driven by one thread.
public final class MediaReader: @unchecked Sendable {
    public let source: String
    /// What the input holds; the video part describes frames as `next()` returns them (upright, deinterlaced).
    public private(set) var info: MediaInfo
    /// What the reader changed in the picture, in words for a job's summary (deinterlaced, turned upright).
    public private(set) var adjustments: [String] = []
    /// The pixel format frames come out in (the first frame's: a stream's header may not tell, as for VP9 with alpha).
    public private(set) var framePixelFormat = AV_PIX_FMT_NONE
    /// Whether frames come out rotated upright (the display matrix is then no longer to be applied).
    public private(set) var turnedUpright = false
    /// HDR10 metadata from the stream, or failing that from the first frame (HEVC and AV1 carry it in-band).
    public private(set) var hdr: HDRMetadata?
    public private(set) var damage = DamageReport()
    /// Frames returned so far.
    public private(set) var framesDecoded = 0
    /// Stream indices whose packets `next()` returns.
    public let passthroughStreams: Set<Int>

    let formatContext: UnsafeMutablePointer<AVFormatContext>
    let videoStream: UnsafeMutablePointer<AVStream>
    private let decoder: UnsafeMutablePointer<AVCodecContext>
    private let packet: UnsafeMutablePointer<AVPacket>
    private let videoTimeBase: Rational
    private var draining = false
    private var finished = false
    private var lastPts: Int64?
    private var lastDuration: Int64 = 0
    private var reportedNothingDecoded = false
    /// Events read ahead while opening (up to the first frame), and an error met there, returned first.
    private var peeked: [MediaEvent] = []
    private var peekError: (any Error)?
    /// Deinterlacing and rotation, when needed; its output frames wait in `filtered`.
    private var filter: VideoFilter?
    private var filtered: [VideoFrame] = []
    private var filterFlushed = false
    private var filterHalvesDurations = false
    private var filteredDuration: Int64 = 0

    /// Raised by `interrupt()`; shared with `ReaderOptions.interruption` when one was given.
    public let interruption: ReadInterruption

    public var isNetworkSource: Bool { Self.isURL(source) && !source.hasPrefix("file:") }

    public init(_ source: String, options: ReaderOptions = ReaderOptions()) throws {
        _ = FFmpegLogging.quiet
        self.source = source
        var dict: OpaquePointer? = nil
        defer { av_dict_free(&dict) }
        // A numbered image sequence (`frames/%04d.png`) is read by libavformat's image2 demuxer.
        var inputFormat: UnsafePointer<AVInputFormat>?
        if !Self.isURL(source) {
            if let first = Self.firstImageOfSequence(source) {
                try Self.checkLocalFile(first)
                inputFormat = av_find_input_format("image2")
                if let rate = options.imageSequenceRate {
                    av_dict_set(&dict, "framerate", "\(rate.numerator)/\(rate.denominator)", 0)
                }
            } else if Self.sequenceNumberRange(source) != nil, access(source, F_OK) != 0 {
                let tried = Self.sequenceFileName(source, number: 1) ?? source
                throw MediaError(
                    .fileNotFound, path: source,
                    "no such file: no image matches the numbered pattern (looked for \(tried) and numbers 0 to 4)")
            } else {
                try Self.checkLocalFile(source)
            }
        }
        if Self.isURL(source) && !source.hasPrefix("file:") {
            let micros = String(Int64(options.networkTimeout * 1_000_000))
            av_dict_set(&dict, "rw_timeout", micros, 0)
            if source.hasPrefix("udp:") || source.hasPrefix("rtp:") {
                av_dict_set(&dict, "timeout", micros, 0)
                av_dict_set(&dict, "fifo_size", "1000000", 0)
                av_dict_set(&dict, "overrun_nonfatal", "1", 0)
            }
        }
        let interruption = options.interruption ?? ReadInterruption()
        self.interruption = interruption
        var fc: UnsafeMutablePointer<AVFormatContext>? = avformat_alloc_context()
        if let fc { kineto_install_interrupt(fc, interruption.flag) }
        // On failure avformat_open_input frees the context and sets it to nil.
        var ret = avformat_open_input(&fc, source, inputFormat, &dict)
        guard ret >= 0, let fc else {
            if interruption.isInterrupted {
                throw MediaError(.network, path: source, "opening was interrupted before the input answered")
            }
            throw Self.openError(ret, source: source)
        }
        var closeOnError = true
        var fcOptional: UnsafeMutablePointer<AVFormatContext>? = fc
        defer { if closeOnError { avformat_close_input(&fcOptional) } }

        ret = avformat_find_stream_info(fc, nil)
        if ret < 0 {
            throw MediaError(
                .corrupt, path: source,
                "cannot read the stream layout: \(MediaError.text(ret)) (damaged or truncated file?)")
        }
        var codec: UnsafePointer<AVCodec>? = nil
        ret = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        if ret == AVERROR_STREAM_NOT_FOUND_CODE {
            throw MediaError(
                .noVideoStream, path: source, "has no video stream (\(Self.streamSummary(fc))); Kineto needs a video")
        }
        if ret == AVERROR_DECODER_NOT_FOUND_CODE || (ret >= 0 && codec == nil) {
            let idx = ret >= 0 ? ret : Self.firstVideoStream(fc)
            var name = "unknown"
            if idx >= 0, let par = kineto_stream(fc, UInt32(idx)).pointee.codecpar?.pointee {
                name = String(cString: avcodec_get_name(par.codec_id))
                // FFmpeg does not even know the codec: name the container's four-character code instead.
                if par.codec_id == AV_CODEC_ID_NONE, par.codec_tag != 0 {
                    let bytes = (0..<4).map { UInt8(truncatingIfNeeded: par.codec_tag >> (8 * $0)) }
                    name = String(decoding: bytes, as: UTF8.self)
                }
            }
            throw MediaError(
                .unsupportedCodec, path: source,
                "video codec '\(name)' has no decoder in this FFmpeg build; convert the file first (e.g. to H.264)")
        }
        guard ret >= 0, var codec else {
            throw MediaError(.notMedia, path: source, "no usable video stream: \(MediaError.text(ret))")
        }
        let stream = kineto_stream(fc, UInt32(ret))!
        // FFmpeg's own VP9 decoder ignores WebM's alpha channel; libvpx decodes it (as yuva420p).
        if stream.pointee.codecpar.pointee.codec_id == AV_CODEC_ID_VP9,
            av_dict_get(stream.pointee.metadata, "alpha_mode", nil, 0).map({ String(cString: $0.pointee.value) })
                == "1",
            let withAlpha = avcodec_find_decoder_by_name("libvpx-vp9")
        {
            codec = withAlpha
        }
        if stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 {
            throw MediaError(.noVideoStream, path: source, "holds only a still picture (cover art), no video stream")
        }
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw MediaError(.internalFailure, path: source, "out of memory creating a decoder")
        }
        var ctxOptional: UnsafeMutablePointer<AVCodecContext>? = ctx
        ret = avcodec_parameters_to_context(ctx, stream.pointee.codecpar)
        if ret >= 0 {
            ctx.pointee.thread_count = Int32(options.decoderThreads)
            ctx.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
            ctx.pointee.pkt_timebase = stream.pointee.time_base
            ret = avcodec_open2(ctx, codec, nil)
        }
        if ret < 0 {
            avcodec_free_context(&ctxOptional)
            throw MediaError(
                .unsupportedCodec, path: source,
                "cannot open the '\(String(cString: codec.pointee.name))' decoder: \(MediaError.text(ret))")
        }
        let info = MediaInfo(context: fc, source: source, videoIndex: Int(stream.pointee.index))
        formatContext = fc
        videoStream = stream
        decoder = ctx
        packet = av_packet_alloc()!
        videoTimeBase = Rational(stream.pointee.time_base)
        self.info = info
        passthroughStreams = options.passthrough ? Set(info.audio.map(\.index) + info.subtitles.map(\.index)) : []
        // Streams Kineto does not use are discarded at the demuxer, saving their reads and decodes.
        for i in 0..<Int(fc.pointee.nb_streams) where i != Int(stream.pointee.index) && !passthroughStreams.contains(i)
        {
            kineto_stream(fc, UInt32(i)).pointee.discard = AVDISCARD_ALL
        }
        closeOnError = false
        // From here on `deinit` frees the contexts.
        if let startPTS = options.startPTS {
            ret = av_seek_frame(fc, stream.pointee.index, startPTS, AVSEEK_FLAG_BACKWARD)
            if ret < 0 {
                throw MediaError(
                    .corrupt, path: source, "cannot seek to timestamp \(startPTS): \(MediaError.text(ret))")
            }
        }
        // The first frame tells what the stream header may not: interlacing flags, in-band HDR metadata.
        let firstFrame = isNetworkSource ? nil : peekFirstFrame()
        framePixelFormat = firstFrame?.pixelFormat ?? AVPixelFormat(rawValue: stream.pointee.codecpar.pointee.format)
        hdr = Self.hdrMetadata(stream: stream, firstFrame: firstFrame)
        try setUpFilter(options, firstFrame: firstFrame)
    }

    /// Reads up to the first video frame, keeping what it read for `next()`.
    private func peekFirstFrame() -> VideoFrame? {
        do {
            while let event = try decodedNext() {
                peeked.append(event)
                if case .video(let frame) = event { return frame }
            }
        } catch {
            peekError = error
        }
        return nil
    }

    static func hdrMetadata(stream: UnsafeMutablePointer<AVStream>, firstFrame: VideoFrame?) -> HDRMetadata? {
        var metadata = HDRMetadata()
        var size = 0
        if let data = av_stream_get_side_data(stream, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, &size),
            size >= MemoryLayout<AVMasteringDisplayMetadata>.size
        {
            metadata.masteringDisplay = UnsafeRawPointer(data).loadUnaligned(as: AVMasteringDisplayMetadata.self)
        }
        if let data = av_stream_get_side_data(stream, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, &size),
            size >= MemoryLayout<AVContentLightMetadata>.size
        {
            metadata.contentLight = UnsafeRawPointer(data).loadUnaligned(as: AVContentLightMetadata.self)
        }
        if let frame = firstFrame?.avFrame {
            if metadata.masteringDisplay == nil,
                let side = av_frame_get_side_data(frame, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA),
                Int(side.pointee.size) >= MemoryLayout<AVMasteringDisplayMetadata>.size
            {
                metadata.masteringDisplay = UnsafeRawPointer(side.pointee.data).loadUnaligned(
                    as: AVMasteringDisplayMetadata.self)
            }
            if metadata.contentLight == nil,
                let side = av_frame_get_side_data(frame, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL),
                Int(side.pointee.size) >= MemoryLayout<AVContentLightMetadata>.size
            {
                metadata.contentLight = UnsafeRawPointer(side.pointee.data).loadUnaligned(
                    as: AVContentLightMetadata.self)
            }
        }
        return metadata.isEmpty ? nil : metadata
    }

    /// Builds the deinterlacing/rotation graph the options and the stream call for, and restates `info`.
    private func setUpFilter(_ options: ReaderOptions, firstFrame: VideoFrame?) throws {
        var chain: [String] = []
        let par = videoStream.pointee.codecpar.pointee
        let interlacedOrders = [AV_FIELD_TT, AV_FIELD_BB, AV_FIELD_TB, AV_FIELD_BT]
        let flagged = firstFrame.map { $0.avFrame.pointee.interlaced_frame != 0 } ?? false
        if options.deinterlacing != .keep && (interlacedOrders.contains(par.field_order) || flagged) {
            // A frame's own flag is the reliable one (FFmpeg's CLI tags top-field-first video TB as often as TT);
            // bwdif then follows each frame's flag. Otherwise the stated order: TT/TB top first, BB/BT bottom first.
            let bottomFirst =
                flagged
                ? firstFrame!.avFrame.pointee.top_field_first == 0
                : par.field_order == AV_FIELD_BB || par.field_order == AV_FIELD_BT
            let parity = flagged ? "auto" : (bottomFirst ? "bff" : "tff")
            let order = bottomFirst ? "bottom field first" : "top field first"
            switch options.deinterlacing {
            case .refuse:
                throw MediaError(
                    .unsupportedCodec, path: source,
                    "is interlaced (\(order)); deinterlace it (--deinterlace frame or field) or convert it first")
            case .frameRate, .fieldRate:
                let field = options.deinterlacing == .fieldRate
                chain.append("bwdif=mode=\(field ? "send_field" : "send_frame"):parity=\(parity):deint=all")
                filterHalvesDurations = field
                adjustments.append("deinterlaced (\(order), bwdif at the \(field ? "field" : "frame") rate)")
            case .keep:
                break
            }
        }
        let rotation = info.video.rotation
        if options.uprightPixels && rotation != 0 {
            switch rotation {
            case 90: chain.append("transpose=clock")
            case 180: chain.append("hflip,vflip")
            case 270: chain.append("transpose=cclock")
            default: break
            }
            turnedUpright = true
            adjustments.append(
                "turned upright: rotated \(rotation)° into the pixels, as the output cannot record a rotation")
        }
        guard !chain.isEmpty else { return }
        let format = firstFrame?.pixelFormat ?? AVPixelFormat(rawValue: par.format)
        let width = firstFrame.map { Int32($0.width) } ?? par.width
        let height = firstFrame.map { Int32($0.height) } ?? par.height
        let built = try VideoFilter(
            chain.joined(separator: ","), width: width, height: height, pixelFormat: format,
            timeBase: videoTimeBase, sampleAspectRatio: par.sample_aspect_ratio,
            frameRate: info.video.averageFrameRate ?? info.video.frameRate, path: source)
        filter = built
        info.video.width = built.outputWidth
        info.video.height = built.outputHeight
        info.video.timeBase = built.outputTimeBase
        if turnedUpright {
            info.video.rotation = 0
            if let aspect = info.video.sampleAspectRatio { info.video.sampleAspectRatio = aspect.inverse }
        }
        if filterHalvesDurations {
            info.video.frameRate = info.video.frameRate.map { $0 * Rational(2) }
            info.video.averageFrameRate = info.video.averageFrameRate.map { $0 * Rational(2) }
            info.video.frameCount = info.video.frameCount.map { $0 * 2 }
        }
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
        var c: UnsafeMutablePointer<AVCodecContext>? = decoder
        avcodec_free_context(&c)
        var f: UnsafeMutablePointer<AVFormatContext>? = formatContext
        avformat_close_input(&f)
    }

    /// Stops waiting for input, from any thread: a blocked `next()` returns nil (as do later calls) and
    /// `wasInterrupted` says why. Frames already inside the decoder are dropped.
    public func interrupt() { interruption.interrupt() }

    /// Whether reading ended because of `interrupt()` rather than the end of the input.
    public var wasInterrupted: Bool { interruption.isInterrupted }

    /// The next decoded frame or passthrough packet, in file order; nil at the end.
    ///
    /// Throws `.corrupt` when the input ends (or fails to read) before a single video frame decoded.
    public func next() throws -> MediaEvent? {
        while true {
            if !filtered.isEmpty { return .video(filtered.removeFirst()) }
            let event: MediaEvent?
            if !peeked.isEmpty {
                event = peeked.removeFirst()
            } else if let error = peekError {
                peekError = nil
                throw error
            } else {
                event = try decodedNext()
            }
            guard let filter else { return event }
            switch event {
            case .video(let frame)?:
                filtered = try filter.process(frame)
                // Durations pass through the graph in the decoder's units; restate them in the graph's.
                let ticks =
                    frame.duration.map { av_rescale_q($0, videoTimeBase.avRational, filter.outputTimeBase.avRational) }
                    ?? 0
                filteredDuration = filterHalvesDurations ? ticks / 2 : ticks
                for out in filtered { out.avFrame.pointee.pkt_duration = filteredDuration }
            case .packet?:
                return event
            case nil:
                guard !filterFlushed, !interruption.isInterrupted else { return nil }
                filterFlushed = true
                filtered = try filter.process(nil)
                for out in filtered { out.avFrame.pointee.pkt_duration = filteredDuration }
                if filtered.isEmpty { return nil }
            }
        }
    }

    /// The next frame as the decoder gives it (before deinterlacing or rotation), or packet.
    private func decodedNext() throws -> MediaEvent? {
        while !finished {
            if interruption.isInterrupted {
                finished = true
                return nil
            }
            if let frame = receiveFrame() { return .video(frame) }
            if finished { break }
            if draining { continue }
            let ret = av_read_frame(formatContext, packet)
            if ret < 0 && interruption.isInterrupted {
                finished = true
                return nil
            }
            if ret < 0 {
                if ret != kineto_averror_eof() {
                    damage.readError = MediaError.text(ret)
                    if framesDecoded == 0 && !isNetworkSource {
                        throw MediaError(.corrupt, path: source, "cannot read any video: \(MediaError.text(ret))")
                    }
                }
                draining = true
                avcodec_send_packet(decoder, nil)
                continue
            }
            let index = Int(packet.pointee.stream_index)
            if index == Int(videoStream.pointee.index) {
                let sent = avcodec_send_packet(decoder, packet)
                av_packet_unref(packet)
                if sent < 0 && sent != kineto_averror_eagain() {
                    damage.corruptPackets += 1
                    damage.lastError = MediaError.text(sent)
                }
            } else if passthroughStreams.contains(index) {
                let copy = av_packet_alloc()!
                av_packet_move_ref(copy, packet)
                return .packet(
                    PassthroughPacket(
                        taking: copy, streamIndex: index,
                        timeBase: Rational(kineto_stream(formatContext, UInt32(index)).pointee.time_base)))
            } else {
                av_packet_unref(packet)
            }
        }
        if framesDecoded == 0 && !reportedNothingDecoded && !interruption.isInterrupted {
            // Damage is only worth reporting while something decodes; an input with no picture at all is an error.
            reportedNothingDecoded = true
            let reason = damage.lastError ?? damage.readError ?? "the video stream holds no frames"
            throw MediaError(
                .corrupt, path: source, "no video frame could be decoded (\(reason)); the file is damaged beyond use")
        }
        return nil
    }

    /// The next decoded video frame, skipping passthrough packets.
    public func nextVideoFrame() throws -> VideoFrame? {
        while let event = try next() {
            if case .video(let frame) = event { return frame }
        }
        return nil
    }

    private func receiveFrame() -> VideoFrame? {
        guard let frame = av_frame_alloc() else { return nil }
        let ret = avcodec_receive_frame(decoder, frame)
        if ret < 0 {
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
            if ret == kineto_averror_eof() {
                finish()
            } else if ret != kineto_averror_eagain() {
                damage.corruptFrames += 1
                damage.lastError = MediaError.text(ret)
            }
            return nil
        }
        if frame.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 || frame.pointee.decode_error_flags != 0 {
            damage.corruptFrames += 1
        }
        // Exact timestamps: the decoder's best guess, then strictly increasing in case the container repeats one.
        var pts = frame.pointee.best_effort_timestamp
        let duration = frame.pointee.pkt_duration > 0 ? frame.pointee.pkt_duration : lastDuration
        if pts == kineto_nopts() { pts = (lastPts ?? 0) + (lastPts == nil ? 0 : Swift.max(duration, 1)) }
        if let last = lastPts, pts <= last { pts = last + Swift.max(1, duration) }
        frame.pointee.pts = pts
        lastPts = pts
        if frame.pointee.pkt_duration > 0 { lastDuration = frame.pointee.pkt_duration }
        framesDecoded += 1
        return VideoFrame(taking: frame, timeBase: videoTimeBase)
    }

    private func finish() {
        finished = true
        // A file whose header promises more than was decoded was cut short.
        if !isNetworkSource, let duration = info.video.duration ?? info.duration, let last = lastPts,
            let rate = info.video.averageFrameRate ?? info.video.frameRate, !rate.isZero
        {
            let end = (videoTimeBase.seconds(of: last) - Rational(approximating: info.startTime ?? 0)).doubleValue
            let frameTime = rate.inverse.doubleValue
            if end + 3 * frameTime < duration - 0.5 { damage.endedEarly = true }
        }
    }

    // MARK: - Opening

    static func isURL(_ source: String) -> Bool {
        guard let range = source.range(of: "://") else { return false }
        return source[..<range.lowerBound].allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" }
    }

    /// The `%d`/`%0Nd` in a path (image-sequence pattern), as the range of it; nil when there is none
    /// or the path is not such a pattern (a second `%d`, or a `%` that is not `%%`).
    static func sequenceNumberRange(_ path: String) -> Range<String.Index>? {
        var found: Range<String.Index>?
        var index = path.startIndex
        while let percent = path[index...].firstIndex(of: "%") {
            var cursor = path.index(after: percent)
            guard cursor < path.endIndex else { return nil }
            if path[cursor] == "%" {
                index = path.index(after: cursor)
                continue
            }
            while cursor < path.endIndex, path[cursor].isASCII, path[cursor].isNumber {
                cursor = path.index(after: cursor)
            }
            guard cursor < path.endIndex, path[cursor] == "d", found == nil else { return nil }
            found = percent..<path.index(after: cursor)
            index = path.index(after: cursor)
        }
        return found
    }

    /// The file name a sequence pattern gives for `number` (`%04d` → `0001`; `%%` → `%`).
    static func sequenceFileName(_ pattern: String, number: Int) -> String? {
        guard let range = sequenceNumberRange(pattern) else { return nil }
        let spec = pattern[pattern.index(after: range.lowerBound)..<pattern.index(before: range.upperBound)]
        var digits = String(number)
        if spec.hasPrefix("0"), let width = Int(spec), digits.count < width {
            digits = String(repeating: "0", count: width - digits.count) + digits
        }
        let unescape = { (part: Substring) in part.replacingOccurrences(of: "%%", with: "%") }
        return unescape(pattern[..<range.lowerBound]) + digits + unescape(pattern[range.upperBound...])
    }

    /// The first existing file of a numbered sequence pattern (numbers 0 to 4 are tried, as image2 does);
    /// nil when `path` is no pattern, names an existing file itself, or no file matches.
    static func firstImageOfSequence(_ path: String) -> String? {
        guard sequenceNumberRange(path) != nil, access(path, F_OK) != 0 else { return nil }
        return (0...4).lazy.compactMap { sequenceFileName(path, number: $0) }.first { access($0, F_OK) == 0 }
    }

    static func checkLocalFile(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw MediaError(.fileNotFound, path: path, "no such file") }
            throw MediaError(.notMedia, path: path, "cannot access: \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw MediaError(.notMedia, path: path, "is a directory, not a video file")
        }
        if info.st_size == 0 && (info.st_mode & S_IFMT) == S_IFREG {
            throw MediaError(.emptyFile, path: path, "is empty (0 bytes): still being copied, or a failed download?")
        }
        guard access(path, R_OK) == 0 else {
            throw MediaError(.notMedia, path: path, "is not readable: \(String(cString: strerror(errno)))")
        }
    }

    static func openError(_ code: Int32, source: String) -> MediaError {
        if code == AVERROR_INVALIDDATA_CODE {
            return MediaError(
                .notMedia, path: source,
                "is not a video file Kineto can read (\(MediaError.text(code))); if it is a video, it may be truncated or still being written"
            )
        }
        if isURL(source) {
            return MediaError(.network, path: source, "cannot open the stream: \(MediaError.text(code))")
        }
        return MediaError(.notMedia, path: source, "cannot open: \(MediaError.text(code))")
    }

    static func firstVideoStream(_ fc: UnsafeMutablePointer<AVFormatContext>) -> Int32 {
        for i in 0..<fc.pointee.nb_streams
        where kineto_stream(fc, i).pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO {
            return Int32(i)
        }
        return -1
    }

    static func streamSummary(_ fc: UnsafeMutablePointer<AVFormatContext>) -> String {
        if fc.pointee.nb_streams == 0 { return "no streams at all" }
        return (0..<fc.pointee.nb_streams).map { i -> String in
            let par = kineto_stream(fc, i).pointee.codecpar.pointee
            let type = av_get_media_type_string(par.codec_type).map { String(cString: $0) } ?? "unknown"
            return "\(type) \(String(cString: avcodec_get_name(par.codec_id)))"
        }.joined(separator: ", ")
    }
}

// FFERRTAG values: Swift cannot import these function-like macros.
let AVERROR_STREAM_NOT_FOUND_CODE: Int32 = -Int32(
    bitPattern: 0xF8 | (UInt32(UInt8(ascii: "S")) << 8) | (UInt32(UInt8(ascii: "T")) << 16)
        | (UInt32(UInt8(ascii: "R")) << 24))
let AVERROR_DECODER_NOT_FOUND_CODE: Int32 = -Int32(
    bitPattern: 0xF8 | (UInt32(UInt8(ascii: "D")) << 8) | (UInt32(UInt8(ascii: "E")) << 16)
        | (UInt32(UInt8(ascii: "C")) << 24))
let AVERROR_ENCODER_NOT_FOUND_CODE: Int32 = -Int32(
    bitPattern: 0xF8 | (UInt32(UInt8(ascii: "E")) << 8) | (UInt32(UInt8(ascii: "N")) << 16)
        | (UInt32(UInt8(ascii: "C")) << 24))
let AVERROR_INVALIDDATA_CODE: Int32 = -Int32(
    bitPattern: UInt32(UInt8(ascii: "I")) | (UInt32(UInt8(ascii: "N")) << 8) | (UInt32(UInt8(ascii: "D")) << 16)
        | (UInt32(UInt8(ascii: "A")) << 24))
