import CFFmpeg
import Foundation

/// Encodes a video (plus the source's audio and subtitles) into a new file, atomically.
///
/// Everything goes to a hidden temporary file beside the destination (`.NAME.kineto-partial-XXXXXX`); only
/// `finish()` — after the trailer is written and the data fsynced — moves it into place, so a crash, a full
/// disk or a cancelled job never leaves a half-written file under the final name. The source is only read.
///
/// Timestamps: frames and packets come in the source's timeline; every stream is shifted by the source's
/// start time, so the output starts at zero with audio and video still in sync.
public final class MediaWriter: @unchecked Sendable {
    public let destination: String
    /// The hidden file being written until `finish()` (for a stream: the URL itself).
    public let temporaryPath: String
    /// The pixel format frames are encoded in (frames in another format are converted).
    public let pixelFormat: AVPixelFormat
    public var pixelFormatName: String { av_get_pix_fmt_name(pixelFormat).map { String(cString: $0) } ?? "?" }
    /// The encoder in use (`libx264`, …).
    public let encoderName: String
    /// Streams that could not be carried over, and why.
    public private(set) var warnings: [String] = []
    /// What the output leaves out or changes on purpose (alpha a codec cannot keep), in words for a summary.
    public private(set) var adjustments: [String] = []
    public private(set) var framesWritten = 0

    /// Owns the FFmpeg contexts, so they are freed exactly once whether `init` throws or the writer is dropped.
    private let resources: Resources
    private var outputContext: UnsafeMutablePointer<AVFormatContext> { resources.outputContext }
    private var encoder: UnsafeMutablePointer<AVCodecContext> { resources.encoder! }
    private let videoStream: UnsafeMutablePointer<AVStream>
    private let overwrite: Bool
    private let originMicros: Int64
    private let width: Int32, height: Int32
    /// Input stream index → output stream index for stream-copied packets.
    private var copiedStreams: [Int: (stream: UnsafeMutablePointer<AVStream>, inputTimeBase: AVRational)] = [:]
    private var transcoders: [Int: AudioTranscoder] = [:]
    private var lastVideoPts: Int64?
    /// Nominal frame duration in encoder ticks.
    private let frameTicks: Int64
    /// Durations of frames inside the encoder, by encoder pts, for packets the encoder leaves without one.
    private var pendingDurations: [Int64: Int64] = [:]
    private let converter = FrameConverter()
    private var state: State = .open
    private enum State { case open, finished, aborted }

    /// Opens `destination` for writing a video of the source's size encoded with `settings`, copying the
    /// source's audio and subtitle streams (re-encoding audio the container cannot hold), its metadata and chapters.
    /// `metadata` entries are set on the container on top of the source's (an empty value removes a key).
    /// With `stretch`, audio is re-timed as the video is (slow motion, pitch kept) and re-encoded;
    /// subtitles, which cannot follow, are dropped with a warning. Chapters move with `chapterStretch`
    /// (slow motion whose audio is dropped still moves the chapters), else with `stretch`.
    public init(
        destination: String, settings: VideoEncoderSettings, source: MediaReader, overwrite: Bool = false,
        metadata: [String: String] = [:], stretch: TimeStretch? = nil, chapterStretch: TimeStretch? = nil
    ) throws {
        _ = FFmpegLogging.quiet
        self.destination = destination
        self.overwrite = overwrite
        let streaming = MediaReader.isURL(destination) && !destination.hasPrefix("file:")
        isStream = streaming
        let destURL = URL(fileURLWithPath: destination)
        let directory = destURL.deletingLastPathComponent().path
        if !streaming {
            try Self.checkDestination(destination, directory: directory, source: source.source, overwrite: overwrite)
        }

        guard
            let format = streaming
                ? Self.streamFormat(for: destination) : av_guess_format(nil, destURL.lastPathComponent, nil)
        else {
            throw MediaError(
                .invalidArgument, path: destination,
                "unknown container for extension '.\(destURL.pathExtension)'; use .mp4, .mov, .mkv, .webm or .ts")
        }
        if let name = format.pointee.name.map({ String(cString: $0) }), name == "gif" || name == "apng" {
            throw MediaError(
                .invalidArgument, path: destination,
                "animated GIF/APNG output is not supported (it needs a 256-colour palette per picture); write .mp4, .webm or .mkv and convert that, e.g. with ffmpeg's palettegen and paletteuse filters"
            )
        }
        let input = source.videoStream
        let inputPar = input.pointee.codecpar!
        // Pick the encoder.
        var codec: UnsafePointer<AVCodec>?
        if settings.codec == .same {
            codec = avcodec_find_encoder(inputPar.pointee.codec_id)
            guard codec != nil else {
                throw MediaError(
                    .unsupportedEncoder, path: destination,
                    "FFmpeg has no encoder for the input's codec '\(String(cString: avcodec_get_name(inputPar.pointee.codec_id)))'; choose --codec h264, h265, av1 or ffv1"
                )
            }
        } else {
            codec = settings.codec.encoderNames.lazy.compactMap { avcodec_find_encoder_by_name($0) }.first
            guard codec != nil else {
                throw MediaError(
                    .unsupportedEncoder, path: destination,
                    "this FFmpeg build has no \(settings.codec.encoderNames.joined(separator: " or ")) encoder")
            }
        }
        let videoCodec = codec!
        encoderName = String(cString: videoCodec.pointee.name)
        guard avformat_query_codec(format, videoCodec.pointee.id, FF_COMPLIANCE_NORMAL) != 0 else {
            let hint =
                destURL.pathExtension.lowercased() == "webm"
                ? "use --codec vp9 or av1 (or leave --codec out)" : "pick another --codec or container"
            throw MediaError(
                .invalidArgument, path: destination,
                "a .\(destURL.pathExtension) file cannot hold \(String(cString: avcodec_get_name(videoCodec.pointee.id))) video; \(hint)"
            )
        }

        // Pixel format: the requested one, else the source's, else the closest the encoder takes.
        var wanted =
            source.framePixelFormat != AV_PIX_FMT_NONE
            ? source.framePixelFormat : AVPixelFormat(rawValue: inputPar.pointee.format)
        if let name = settings.pixelFormat {
            wanted = av_get_pix_fmt(name)
            guard wanted != AV_PIX_FMT_NONE else {
                throw MediaError(.invalidArgument, path: destination, "unknown pixel format '\(name)'")
            }
        }
        // The reader's description: frames come out upright or deinterlaced at their own size.
        let sourceWidth = source.info.video.width
        let sourceHeight = source.info.video.height
        let outputWidth = settings.width ?? sourceWidth
        let outputHeight = settings.height ?? sourceHeight
        guard (1...16384).contains(outputWidth), (1...16384).contains(outputHeight) else {
            throw MediaError(
                .invalidArgument, path: destination,
                "cannot encode a \(outputWidth)×\(outputHeight) picture; sizes from 1 to 16384 work")
        }
        guard settings.frameRate > .zero, settings.frameRate.numerator <= Int32.max,
            settings.frameRate.denominator <= Int32.max
        else {
            throw MediaError(
                .invalidArgument, path: destination,
                "frame rate \(settings.frameRate) is not usable; give a positive rate such as 60 or 60000/1001")
        }
        let encoderTimeBase = settings.timeBase ?? settings.frameRate.inverse
        guard encoderTimeBase > .zero, encoderTimeBase.numerator <= Int32.max, encoderTimeBase.denominator <= Int32.max
        else {
            throw MediaError(
                .invalidArgument, path: destination,
                "time base \(encoderTimeBase) is not usable; give a positive one such as 1/90000")
        }
        // One nominal frame in encoder ticks: the duration of a frame that states none.
        frameTicks = Swift.max(1, (settings.frameRate.inverse / encoderTimeBase).floor)
        var chosenFormat = Self.closestPixelFormat(wanted, for: videoCodec)
        // Chroma subsampling needs sizes divisible by the subsampling factor in x264, x265 and SVT-AV1.
        if let desc = av_pix_fmt_desc_get(chosenFormat)?.pointee,
            outputWidth % (1 << Int(desc.log2_chroma_w)) != 0 || outputHeight % (1 << Int(desc.log2_chroma_h)) != 0
        {
            let size = "\(outputWidth)×\(outputHeight)"
            let formatName = String(cString: av_get_pix_fmt_name(chosenFormat))
            switch encoderName {
            case "libx264", "libx265":
                guard let full = Self.unsubsampled(like: chosenFormat, for: videoCodec) else {
                    throw MediaError(
                        .unsupportedEncoder, path: destination,
                        "\(encoderName) cannot encode the odd size \(size) in \(formatName); choose --codec ffv1")
                }
                chosenFormat = full
                warnings.append(
                    "the odd picture size \(size) cannot be encoded with subsampled chroma (\(formatName)); encoding in \(String(cString: av_get_pix_fmt_name(full))) instead"
                )
            case "libsvtav1":
                throw MediaError(
                    .unsupportedEncoder, path: destination,
                    "SVT-AV1 needs an even width and height, and this video is \(size); choose --codec h264, h265 or ffv1"
                )
            default:
                break
            }
        }
        pixelFormat = chosenFormat
        if FrameConverter.hasAlpha(wanted) && !FrameConverter.hasAlpha(chosenFormat) {
            adjustments.append(
                "transparency dropped: \(encoderName) keeps no alpha channel (--codec ffv1 in .mkv/.mov, or vp9 in .webm, keep it)"
            )
        }

        // A stream is sent as it is made: there is no finished file to move into place.
        let tempPath =
            streaming
            ? destination
            : (directory as NSString).appendingPathComponent(
                ".\(destURL.lastPathComponent).kineto-partial-\(Self.randomSuffix())")
        temporaryPath = tempPath
        var ocOptional: UnsafeMutablePointer<AVFormatContext>?
        var ret = avformat_alloc_output_context2(&ocOptional, format, nil, tempPath)
        guard ret >= 0, let oc = ocOptional else {
            throw MediaError.writing(ret, path: destination, "creating the container")
        }
        // From here on `resources` frees the contexts (once, also when this init throws); the defer only
        // removes a temporary file a failed init may have created.
        resources = Resources(outputContext: oc)
        var cleanup = !streaming
        defer { if cleanup { unlink(tempPath) } }

        // Video encoder.
        guard let enc = avcodec_alloc_context3(videoCodec) else {
            throw MediaError(.internalFailure, path: destination, "out of memory")
        }
        resources.encoder = enc
        width = Int32(outputWidth)
        height = Int32(outputHeight)
        enc.pointee.width = width
        enc.pointee.height = height
        // The source's pixel shape applies to its own size only; a resized output is tagged square.
        let sameSize = outputWidth == sourceWidth && outputHeight == sourceHeight
        let sourceAspect = source.info.video.sampleAspectRatio?.avRational ?? AVRational(num: 0, den: 1)
        enc.pointee.sample_aspect_ratio = sameSize ? sourceAspect : AVRational(num: 1, den: 1)
        enc.pointee.pix_fmt = pixelFormat
        enc.pointee.time_base = encoderTimeBase.avRational
        enc.pointee.framerate = settings.frameRate.avRational
        enc.pointee.color_primaries = inputPar.pointee.color_primaries
        enc.pointee.color_trc = inputPar.pointee.color_trc
        enc.pointee.colorspace = inputPar.pointee.color_space
        enc.pointee.color_range = inputPar.pointee.color_range
        enc.pointee.chroma_sample_location = inputPar.pointee.chroma_location
        enc.pointee.thread_count = Int32(settings.threads)
        if format.pointee.flags & AVFMT_GLOBALHEADER != 0 { enc.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        let hdr = source.hdr
        switch encoderName {
        case "libx264":
            av_dict_set(&options, "crf", String(settings.crf ?? 18), 0)
            av_dict_set(&options, "preset", settings.preset ?? "medium", 0)
            if let parameters = settings.x264Parameters(width: outputWidth, height: outputHeight) {
                av_dict_set(&options, "x264-params", parameters, 0)
            }
        case "libx265":
            av_dict_set(&options, "crf", String(settings.crf ?? 18), 0)
            av_dict_set(&options, "preset", settings.preset ?? "medium", 0)
            // x265 in FFmpeg 5.1 takes HDR10 metadata only as its own parameters (written as SEI in the stream).
            av_dict_set(
                &options, "x265-params", "log-level=error" + (hdr.map { ":" + Self.x265Parameters($0) } ?? ""), 0)
        case "libsvtav1":
            av_dict_set(&options, "crf", String(settings.crf ?? 30), 0)
            if let preset = settings.preset { av_dict_set(&options, "preset", preset, 0) }
            if let hdr { av_dict_set(&options, "svtav1-params", Self.svtAV1Parameters(hdr), 0) }
        case "libaom-av1":
            av_dict_set(&options, "crf", String(settings.crf ?? 30), 0)
            av_dict_set(&options, "cpu-used", settings.preset ?? "6", 0)
            enc.pointee.bit_rate = 0
        case "libvpx-vp9":
            // Constant quality (bit rate 0 with a crf), the "good" deadline at a speed that keeps up with interpolation.
            av_dict_set(&options, "crf", String(settings.crf ?? 32), 0)
            av_dict_set(&options, "b", "0", 0)
            av_dict_set(&options, "deadline", "good", 0)
            av_dict_set(&options, "cpu-used", Self.vp9Speed(preset: settings.preset), 0)
            av_dict_set(&options, "row-mt", "1", 0)
        case "ffv1":
            av_dict_set(&options, "level", "3", 0)
            av_dict_set(&options, "slicecrc", "1", 0)
        default:
            if let crf = settings.crf {
                enc.pointee.global_quality = Int32(crf) * FF_QP2LAMBDA
                enc.pointee.flags |= AV_CODEC_FLAG_QSCALE
            } else {
                enc.pointee.bit_rate = Swift.max(inputPar.pointee.bit_rate, 4_000_000)
            }
        }
        ret = avcodec_open2(enc, videoCodec, &options)
        guard ret >= 0 else {
            throw MediaError(
                .unsupportedEncoder, path: destination,
                "cannot open the \(encoderName) encoder for \(width)×\(height) \(av_get_pix_fmt_name(pixelFormat).map { String(cString: $0) } ?? "?"): \(MediaError.text(ret))"
            )
        }
        guard let vst = avformat_new_stream(oc, nil) else {
            throw MediaError(.internalFailure, path: destination, "cannot add the video stream")
        }
        videoStream = vst
        avcodec_parameters_from_context(vst.pointee.codecpar, enc)
        vst.pointee.time_base = enc.pointee.time_base
        vst.pointee.avg_frame_rate = settings.frameRate.avRational
        vst.pointee.r_frame_rate = settings.frameRate.avRational
        av_dict_copy(&vst.pointee.metadata, input.pointee.metadata, 0)
        av_dict_set(&vst.pointee.metadata, "rotate", nil, 0)
        av_dict_set(&vst.pointee.metadata, "encoder", nil, 0)
        // Matroska/WebM mark VP9 with alpha so players decode the alpha channel.
        av_dict_set(
            &vst.pointee.metadata, "alpha_mode",
            encoderName == "libvpx-vp9" && FrameConverter.hasAlpha(pixelFormat) ? "1" : nil, 0)
        if source.turnedUpright {
            // The reader rotated the pixels; a matrix would turn them a second time.
        } else if source.info.video.rotation != 0 && !Self.containerKeepsRotation(format) {
            warnings.append(
                "the input is shown rotated \(source.info.video.rotation)°, which a .\(destURL.pathExtension) file cannot record; it will play sideways or upside down"
            )
        } else {
            kineto_copy_display_matrix(vst, input)
        }
        // HDR10 static metadata on the stream: Matroska/WebM write it into their colour description.
        if let hdr { Self.attach(hdr, to: vst) }

        // Container metadata and chapters.
        let ic = source.formatContext
        av_dict_copy(&oc.pointee.metadata, ic.pointee.metadata, 0)
        av_dict_set(&oc.pointee.metadata, "encoder", nil, 0)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            av_dict_set(&oc.pointee.metadata, key, value.isEmpty ? nil : value, 0)
        }
        originMicros = ic.pointee.start_time != kineto_nopts() ? ic.pointee.start_time : 0
        if format.pointee.flags & AVFMT_NOTIMESTAMPS == 0 {
            kineto_copy_chapters(oc, ic)
            if let retime = chapterStretch ?? stretch {
                Self.retimeChapters(oc, by: retime, originMicros: originMicros)
            }
        }

        // Audio and subtitles: copy when the container takes the codec, else re-encode audio.
        for index in source.passthroughStreams.sorted() {
            let ist = kineto_stream(ic, UInt32(index))!
            let par = ist.pointee.codecpar!
            let codecName = String(cString: avcodec_get_name(par.pointee.codec_id))
            if let stretch {
                if par.pointee.codec_type == AVMEDIA_TYPE_AUDIO {
                    do {
                        transcoders[index] = try AudioTranscoder(
                            input: ist, output: oc, originMicros: originMicros, path: destination, stretch: stretch)
                    } catch {
                        warnings.append("audio stream \(index) (\(codecName)) dropped: it cannot be re-timed: \(error)")
                    }
                } else {
                    warnings.append("stream \(index) (\(codecName)) dropped: it cannot be re-timed for slow motion")
                }
                continue
            }
            // 1: the container takes the codec; negative: the muxer keeps no list (MPEG-TS), so try copying.
            if avformat_query_codec(format, par.pointee.codec_id, FF_COMPLIANCE_NORMAL) != 0,
                !Self.copyNeedsExperimentalMuxing(par.pointee.codec_id, format: format)
            {
                guard let ost = avformat_new_stream(oc, nil) else { continue }
                avcodec_parameters_copy(ost.pointee.codecpar, par)
                ost.pointee.codecpar.pointee.codec_tag = 0
                ost.pointee.time_base = ist.pointee.time_base
                ost.pointee.disposition = ist.pointee.disposition
                av_dict_copy(&ost.pointee.metadata, ist.pointee.metadata, 0)
                copiedStreams[index] = (ost, ist.pointee.time_base)
            } else if par.pointee.codec_type == AVMEDIA_TYPE_AUDIO {
                do {
                    transcoders[index] = try AudioTranscoder(
                        input: ist, output: oc, originMicros: originMicros, path: destination)
                    warnings.append(
                        "audio stream \(index) (\(codecName)) re-encoded: the container cannot hold \(codecName)")
                } catch {
                    warnings.append("audio stream \(index) (\(codecName)) dropped: \(error)")
                }
            } else {
                warnings.append(
                    "subtitle stream \(index) (\(codecName)) dropped: the container cannot hold \(codecName)")
            }
        }

        ret = avio_open(&oc.pointee.pb, tempPath, AVIO_FLAG_WRITE)
        guard ret >= 0 else {
            if streaming {
                throw MediaError(
                    .unwritableDestination, path: destination, "cannot open the output stream: \(MediaError.text(ret))")
            }
            throw MediaError(
                .unwritableDestination, path: destination,
                "cannot create a file in \(directory): \(MediaError.text(ret))")
        }
        var muxOptions: OpaquePointer?
        defer { av_dict_free(&muxOptions) }
        if format.pointee.name.map({ String(cString: $0) })?.contains("mp4") == true
            || format.pointee.name.map({ String(cString: $0) }) == "mov"
        {
            av_dict_set(&muxOptions, "movflags", "+faststart", 0)
        }
        ret = avformat_write_header(oc, &muxOptions)
        guard ret >= 0 else { throw MediaError.writing(ret, path: destination, "writing the container header") }
        cleanup = false
    }

    deinit {
        // Also reached when `init` throws after setting every property: abort() then only removes the temporary file.
        if state == .open { abort() }
    }

    /// Encodes `frame` (converted to `pixelFormat` if needed) at its timestamp.
    public func write(_ frame: VideoFrame) throws {
        guard state == .open else { throw MediaError(.invalidArgument, path: destination, "writer already closed") }
        guard frame.width == Int(width), frame.height == Int(height) else {
            throw MediaError(
                .invalidArgument, path: destination,
                "frame \(framesWritten) is \(frame.width)×\(frame.height), but the output is \(width)×\(height); every frame must have the output's size"
            )
        }
        var frame = frame
        if frame.pixelFormat != pixelFormat { frame = try converter.convert(frame, to: pixelFormat) }
        let time = frame.time - Rational(originMicros, Int64(AV_TIME_BASE))
        let exact = time / Rational(encoder.pointee.time_base)
        var pts = Int64((exact.doubleValue).rounded())
        if let last = lastVideoPts, pts <= last { pts = last + 1 }
        lastVideoPts = pts
        // The encoder reads the pixels; a shallow clone lets us set our own timestamp without touching the caller's frame.
        let clone = av_frame_clone(frame.avFrame)!
        var cloneOptional: UnsafeMutablePointer<AVFrame>? = clone
        defer { av_frame_free(&cloneOptional) }
        clone.pointee.pts = pts
        clone.pointee.pict_type = AV_PICTURE_TYPE_NONE
        // Encoders that pass durations on to their packets let the muxer end the last frame where the caller said.
        let ticks = frame.duration.map { av_rescale_q($0, frame.timeBase.avRational, encoder.pointee.time_base) } ?? 0
        clone.pointee.pkt_duration = ticks
        pendingDurations[pts] = ticks > 0 ? ticks : frameTicks
        let ret = avcodec_send_frame(encoder, clone)
        guard ret >= 0 else { throw MediaError.writing(ret, path: destination, "encoding frame \(framesWritten)") }
        framesWritten += 1
        try drainEncoder()
    }

    /// Writes an already encoded video packet, stream-copied from a chunk this same encoding made
    /// (`ChunkJoiner`), its timestamps in `timeBase` on the output's timeline (origin already removed).
    func writeEncoded(_ packet: UnsafeMutablePointer<AVPacket>, timeBase: AVRational) throws {
        guard state == .open else { throw MediaError(.invalidArgument, path: destination, "writer already closed") }
        av_packet_rescale_ts(packet, timeBase, videoStream.pointee.time_base)
        packet.pointee.stream_index = videoStream.pointee.index
        packet.pointee.pos = -1
        try mux(packet)
        framesWritten += 1
    }

    /// The encoded video's parameters, for checking that a chunk was made with this encoding.
    var videoParameters: UnsafeMutablePointer<AVCodecParameters> { videoStream.pointee.codecpar }

    /// Copies (or re-encodes) an audio or subtitle packet from the source.
    public func write(_ packet: PassthroughPacket) throws {
        guard state == .open else { return }
        if let copy = copiedStreams[packet.streamIndex] {
            let pkt = av_packet_clone(packet.avPacket)!
            var pktOptional: UnsafeMutablePointer<AVPacket>? = pkt
            defer { av_packet_free(&pktOptional) }
            let origin = av_rescale_q(originMicros, AVRational(num: 1, den: AV_TIME_BASE), copy.inputTimeBase)
            if pkt.pointee.pts != kineto_nopts() { pkt.pointee.pts -= origin }
            if pkt.pointee.dts != kineto_nopts() { pkt.pointee.dts -= origin }
            av_packet_rescale_ts(pkt, copy.inputTimeBase, copy.stream.pointee.time_base)
            pkt.pointee.stream_index = copy.stream.pointee.index
            pkt.pointee.pos = -1
            try mux(pkt)
        } else if let transcoder = transcoders[packet.streamIndex] {
            try transcoder.push(packet.avPacket) { try mux($0) }
        }
    }

    /// Flushes the encoders, writes the trailer, syncs the data to disk and moves the file into place.
    /// Returns the destination path.
    @discardableResult
    public func finish() throws -> String {
        guard state == .open else { throw MediaError(.invalidArgument, path: destination, "writer already closed") }
        do {
            guard framesWritten > 0 else {
                throw MediaError(
                    .invalidArgument, path: destination, "no video frames were written, so no file was made")
            }
            var ret = avcodec_send_frame(encoder, nil)
            if ret < 0 && ret != kineto_averror_eof() {
                throw MediaError.writing(ret, path: destination, "flushing the encoder")
            }
            try drainEncoder()
            for index in transcoders.keys.sorted() { try transcoders[index]!.push(nil) { try mux($0) } }
            ret = av_write_trailer(outputContext)
            if ret < 0 { throw MediaError.writing(ret, path: destination, "writing the container trailer") }
            avio_flush(outputContext.pointee.pb)
            if let error = outputContext.pointee.pb.pointee.error as Int32?, error < 0 {
                throw MediaError.writing(error, path: destination, "writing")
            }
            ret = avio_closep(&outputContext.pointee.pb)
            if ret < 0 { throw MediaError.writing(ret, path: destination, "closing the file") }
            if !isStream {
                try Self.syncFile(temporaryPath, destination: destination)
                try moveIntoPlace()
            }
            state = .finished
            return destination
        } catch {
            abort()
            throw error
        }
    }

    /// Stops writing and deletes the temporary file; nothing appears under the destination name.
    public func abort() {
        guard state == .open else { return }
        state = .aborted
        if outputContext.pointee.pb != nil { avio_closep(&outputContext.pointee.pb) }
        if !isStream { unlink(temporaryPath) }
    }

    /// Whether the output is a network stream (`udp://`, `srt://`, …) rather than a file.
    public let isStream: Bool

    /// The container for a stream URL: its path's extension when it has one (`http://host/live.mkv`),
    /// else MPEG-TS (RTP-wrapped for `rtp://`), which receivers can join at any moment.
    static func streamFormat(for url: String) -> UnsafePointer<AVOutputFormat>? {
        let path = URL(string: url)?.path ?? ""
        if !(path as NSString).pathExtension.isEmpty, let format = av_guess_format(nil, path, nil) { return format }
        return av_guess_format(url.lowercased().hasPrefix("rtp:") ? "rtp_mpegts" : "mpegts", nil, nil)
    }

    // MARK: - Internals

    private func drainEncoder() throws {
        let packet = av_packet_alloc()!
        var packetOptional: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&packetOptional) }
        while true {
            let ret = avcodec_receive_packet(encoder, packet)
            if ret == kineto_averror_eagain() || ret == kineto_averror_eof() { return }
            guard ret >= 0 else { throw MediaError.writing(ret, path: destination, "encoding") }
            // x264/x265 in FFmpeg 5.1 leave durations at 0; without them the muxer cannot know when the last frame ends.
            let known = pendingDurations.removeValue(forKey: packet.pointee.pts)
            if packet.pointee.duration <= 0 { packet.pointee.duration = known ?? frameTicks }
            av_packet_rescale_ts(packet, encoder.pointee.time_base, videoStream.pointee.time_base)
            packet.pointee.stream_index = videoStream.pointee.index
            try mux(packet)
        }
    }

    private func mux(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        let ret = av_interleaved_write_frame(outputContext, packet)
        if ret < 0 { throw MediaError.writing(ret, path: destination, "writing") }
    }

    private func moveIntoPlace() throws {
        if overwrite {
            guard rename(temporaryPath, destination) == 0 else {
                throw MediaError(
                    .unwritableDestination, path: destination,
                    "cannot move the finished file into place: \(String(cString: strerror(errno)))")
            }
        } else {
            // link() refuses to replace a file that appeared meanwhile; the temporary name is then removed.
            if link(temporaryPath, destination) == 0 {
                unlink(temporaryPath)
            } else {
                let code = errno
                if code == EEXIST {
                    throw MediaError(
                        .outputExists, path: destination,
                        "cannot move the finished file into place: a file with that name appeared while encoding")
                }
                // File systems without hard links (FAT, some network mounts): check, then rename.
                var info = stat()
                guard code == EPERM || code == ENOTSUP || code == EOPNOTSUPP || code == EMLINK,
                    stat(destination, &info) != 0
                else {
                    throw MediaError(
                        .unwritableDestination, path: destination,
                        "cannot move the finished file into place: \(String(cString: strerror(code)))")
                }
                guard rename(temporaryPath, destination) == 0 else {
                    throw MediaError(
                        .unwritableDestination, path: destination,
                        "cannot move the finished file into place: \(String(cString: strerror(errno)))")
                }
            }
        }
        let directory = (destination as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    static func syncFile(_ path: String, destination: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw MediaError(
                .unwritableDestination, path: destination,
                "cannot reopen the finished file: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        if fsync(fd) != 0 {
            let code = errno
            throw MediaError(
                code == ENOSPC ? .diskFull : .unwritableDestination, path: destination,
                "cannot sync the file to disk: \(String(cString: strerror(code)))")
        }
    }

    /// Throws `.sameAsInput` when `destination` is the file `input` (same device and inode: also through a symlink or
    /// a hard link). Jobs with a second input (a portrait) check it with this too.
    public static func refuseInputAsOutput(_ destination: String, input: String) throws {
        var destInfo = stat()
        var srcInfo = stat()
        guard !MediaReader.isURL(input), stat(destination, &destInfo) == 0, stat(input, &srcInfo) == 0 else { return }
        if srcInfo.st_dev == destInfo.st_dev, srcInfo.st_ino == destInfo.st_ino {
            throw MediaError(
                .sameAsInput, path: destination,
                "is the input file itself; choose another output name (the input is never overwritten)")
        }
    }

    static func checkDestination(_ destination: String, directory: String, source: String, overwrite: Bool) throws {
        let dir = directory.isEmpty ? "." : directory
        var info = stat()
        guard stat(dir, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw MediaError(.unwritableDestination, path: destination, "the output folder \(dir) does not exist")
        }
        guard access(dir, W_OK) == 0 else {
            throw MediaError(.unwritableDestination, path: destination, "the output folder \(dir) is not writable")
        }
        var destInfo = stat()
        if stat(destination, &destInfo) == 0 {
            try refuseInputAsOutput(destination, input: source)
            if !overwrite {
                throw MediaError(
                    .outputExists, path: destination, "already exists; choose another name or allow overwriting")
            }
            if (destInfo.st_mode & S_IFMT) == S_IFDIR {
                throw MediaError(.unwritableDestination, path: destination, "is a directory")
            }
        }
    }

    static func closestPixelFormat(_ wanted: AVPixelFormat, for codec: UnsafePointer<AVCodec>) -> AVPixelFormat {
        guard let list = kineto_codec_pix_fmts(codec) else { return wanted }
        var i = 0
        while list[i] != AV_PIX_FMT_NONE {
            if list[i] == wanted { return wanted }
            i += 1
        }
        // Prefer keeping bit depth: FFmpeg's loss-aware choice among what the encoder takes.
        let hasAlpha: Int32 =
            (av_pix_fmt_desc_get(wanted).map { $0.pointee.flags & UInt64(AV_PIX_FMT_FLAG_ALPHA) != 0 } ?? false) ? 1 : 0
        let best = avcodec_find_best_pix_fmt_of_list(list, wanted, hasAlpha, nil)
        return best == AV_PIX_FMT_NONE ? list[0] : best
    }

    /// The output's FFmpeg contexts; freed when the last reference goes.
    private final class Resources {
        let outputContext: UnsafeMutablePointer<AVFormatContext>
        var encoder: UnsafeMutablePointer<AVCodecContext>?

        init(outputContext: UnsafeMutablePointer<AVFormatContext>) { self.outputContext = outputContext }

        deinit {
            if outputContext.pointee.pb != nil { avio_closep(&outputContext.pointee.pb) }
            avcodec_free_context(&encoder)
            avformat_free_context(outputContext)
        }
    }

    /// libvpx's `cpu-used` (0 slowest … 8 fastest) for a preset: a number as it is, x264's names by their place.
    static func vp9Speed(preset: String?) -> String {
        guard let preset else { return "4" }
        if let number = Int(preset) { return String(min(max(number, 0), 8)) }
        let names = [
            "veryslow": 0, "slower": 1, "slow": 2, "medium": 4, "fast": 5, "faster": 5, "veryfast": 6, "superfast": 7,
            "ultrafast": 8,
        ]
        return String(names[preset.lowercased()] ?? 4)
    }

    /// Whether a container records a display matrix (rotation): the MP4/QuickTime family does; FFmpeg 5.1's
    /// Matroska, WebM, MPEG-TS and AVI muxers do not.
    public static func containerKeepsRotation(_ format: UnsafePointer<AVOutputFormat>) -> Bool {
        let name = format.pointee.name.map { String(cString: $0) } ?? ""
        return ["mp4", "mov", "ipod", "ismv", "3gp", "3g2", "psp", "f4v"].contains(name)
    }

    /// Whether the file (or stream URL) `destination` would record a display matrix (see above).
    public static func containerKeepsRotation(destination: String) -> Bool {
        let streaming = MediaReader.isURL(destination) && !destination.hasPrefix("file:")
        guard
            let format = streaming
                ? streamFormat(for: destination)
                : av_guess_format(nil, URL(fileURLWithPath: destination).lastPathComponent, nil)
        else {
            return true
        }
        return containerKeepsRotation(format)
    }

    static func attach(_ hdr: HDRMetadata, to stream: UnsafeMutablePointer<AVStream>) {
        if var mastering = hdr.masteringDisplay,
            let data = av_stream_new_side_data(
                stream, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, MemoryLayout<AVMasteringDisplayMetadata>.size)
        {
            withUnsafeBytes(of: &mastering) {
                UnsafeMutableRawPointer(data).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
        }
        if var light = hdr.contentLight,
            let data = av_stream_new_side_data(
                stream, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, MemoryLayout<AVContentLightMetadata>.size)
        {
            withUnsafeBytes(of: &light) {
                UnsafeMutableRawPointer(data).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
        }
    }

    /// Mastering display primaries (R, G, B) and white point as (x, y) chromaticities, luminance as (max, min) cd/m².
    private static func chromaticities(_ m: AVMasteringDisplayMetadata) -> (
        r: (Double, Double), g: (Double, Double), b: (Double, Double), white: (Double, Double), max: Double, min: Double
    ) {
        let p = m.display_primaries
        return (
            (av_q2d(p.0.0), av_q2d(p.0.1)), (av_q2d(p.1.0), av_q2d(p.1.1)), (av_q2d(p.2.0), av_q2d(p.2.1)),
            (av_q2d(m.white_point.0), av_q2d(m.white_point.1)), av_q2d(m.max_luminance), av_q2d(m.min_luminance)
        )
    }

    /// x265's `master-display` (chromaticities in units of 0.00002, luminance in 0.0001 cd/m²) and `max-cll`.
    static func x265Parameters(_ hdr: HDRMetadata) -> String {
        var parts = ["hdr10=1"]
        if let m = hdr.masteringDisplay, m.has_primaries != 0, m.has_luminance != 0 {
            let c = chromaticities(m)
            func xy(_ v: (Double, Double)) -> String {
                "(\(Int((v.0 * 50000).rounded())),\(Int((v.1 * 50000).rounded())))"
            }
            parts.append(
                "master-display=G\(xy(c.g))B\(xy(c.b))R\(xy(c.r))WP\(xy(c.white))L(\(Int((c.max * 10000).rounded())),\(Int((c.min * 10000).rounded())))"
            )
        }
        if let l = hdr.contentLight { parts.append("max-cll=\(l.MaxCLL),\(l.MaxFALL)") }
        return parts.joined(separator: ":")
    }

    /// SVT-AV1's `mastering-display` (plain chromaticities and cd/m²) and `content-light`.
    static func svtAV1Parameters(_ hdr: HDRMetadata) -> String {
        var parts: [String] = []
        if let m = hdr.masteringDisplay, m.has_primaries != 0, m.has_luminance != 0 {
            let c = chromaticities(m)
            func xy(_ v: (Double, Double)) -> String { String(format: "(%.4f,%.4f)", v.0, v.1) }
            parts.append(
                "mastering-display=G\(xy(c.g))B\(xy(c.b))R\(xy(c.r))WP\(xy(c.white))L"
                    + String(format: "(%.4f,%.4f)", c.max, c.min))
        }
        if let l = hdr.contentLight { parts.append("content-light=\(l.MaxCLL),\(l.MaxFALL)") }
        return parts.joined(separator: ":")
    }

    /// Moves every chapter's start and end to where `stretch` puts that moment of the input.
    static func retimeChapters(
        _ oc: UnsafeMutablePointer<AVFormatContext>, by stretch: TimeStretch, originMicros: Int64
    ) {
        let origin = Double(originMicros) / Double(AV_TIME_BASE)
        for i in 0..<oc.pointee.nb_chapters {
            guard let chapter = kineto_chapter(oc, i) else { continue }
            let timeBase = Rational(chapter.pointee.time_base)
            func moved(_ ticks: Int64) -> Int64 {
                let seconds = timeBase.seconds(of: ticks).doubleValue - origin
                return Int64(((stretch.map(seconds) + origin) / timeBase.doubleValue).rounded())
            }
            chapter.pointee.start = moved(chapter.pointee.start)
            chapter.pointee.end = moved(chapter.pointee.end)
        }
    }

    /// Codecs FFmpeg 5.1 lists for a container but writes there only with `-strict experimental`
    /// (FLAC and TrueHD in MP4/MOV): they are re-encoded rather than copied into a file players may reject.
    static func copyNeedsExperimentalMuxing(_ codec: AVCodecID, format: UnsafePointer<AVOutputFormat>) -> Bool {
        let name = format.pointee.name.map { String(cString: $0) } ?? ""
        guard ["mp4", "mov", "ipod", "ismv", "3gp", "3g2", "psp", "f4v"].contains(name) else { return false }
        return codec == AV_CODEC_ID_FLAC || codec == AV_CODEC_ID_TRUEHD
    }

    /// The encoder's 4:4:4 YUV format closest to `format` (same bit depth), for sizes subsampled chroma cannot cover.
    static func unsubsampled(like format: AVPixelFormat, for codec: UnsafePointer<AVCodec>) -> AVPixelFormat? {
        guard let list = kineto_codec_pix_fmts(codec), let wanted = av_pix_fmt_desc_get(format)?.pointee else {
            return nil
        }
        var candidates: [AVPixelFormat] = []
        var i = 0
        while list[i] != AV_PIX_FMT_NONE {
            if let d = av_pix_fmt_desc_get(list[i])?.pointee, d.log2_chroma_w == 0, d.log2_chroma_h == 0,
                d.nb_components >= 3,
                d.flags & UInt64(AV_PIX_FMT_FLAG_RGB) == 0, d.comp.0.depth == wanted.comp.0.depth
            {
                candidates.append(list[i])
            }
            i += 1
        }
        guard !candidates.isEmpty else { return nil }
        candidates.append(AV_PIX_FMT_NONE)
        let best = avcodec_find_best_pix_fmt_of_list(candidates, format, 0, nil)
        return best == AV_PIX_FMT_NONE ? candidates[0] : best
    }

    static func randomSuffix() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<8).map { _ in letters.randomElement()! })
    }
}
