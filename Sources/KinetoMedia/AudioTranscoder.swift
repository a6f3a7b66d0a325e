import CFFmpeg

/// Re-encodes one audio stream for a container that cannot hold its codec (AAC, or Opus for WebM), or
/// to re-time it (`TimeStretch`: slow motion with the pitch kept, through a libavfilter graph).
final class AudioTranscoder {
    let outputStream: UnsafeMutablePointer<AVStream>
    private let decoder: UnsafeMutablePointer<AVCodecContext>
    private let encoder: UnsafeMutablePointer<AVCodecContext>
    private var resampler: OpaquePointer?
    private let fifo: OpaquePointer
    private let inputTimeBase: Rational
    private let originInInput: Int64
    private var nextPts: Int64?
    private let path: String
    /// The re-timing filter graph (nil: samples go straight to the resampler).
    private var filter: AudioFilter?

    init(
        input: UnsafeMutablePointer<AVStream>, output oc: UnsafeMutablePointer<AVFormatContext>, originMicros: Int64,
        path: String,
        stretch: TimeStretch? = nil
    ) throws {
        self.path = path
        // Built in locals and freed here on failure; the properties take them over only once nothing can throw.
        var dec: UnsafeMutablePointer<AVCodecContext>?
        var enc: UnsafeMutablePointer<AVCodecContext>?
        var swr: OpaquePointer?
        var succeeded = false
        defer {
            if !succeeded {
                avcodec_free_context(&dec)
                avcodec_free_context(&enc)
                swr_free(&swr)
            }
        }
        let par = input.pointee.codecpar!
        let inputCodecName = String(cString: avcodec_get_name(par.pointee.codec_id))
        guard let decCodec = avcodec_find_decoder(par.pointee.codec_id) else {
            throw MediaError(.unsupportedCodec, path: path, "no decoder for audio codec \(inputCodecName)")
        }
        dec = avcodec_alloc_context3(decCodec)
        guard let decoder = dec else { throw MediaError(.internalFailure, path: path, "out of memory") }
        var ret = avcodec_parameters_to_context(decoder, par)
        decoder.pointee.pkt_timebase = input.pointee.time_base
        if ret >= 0 { ret = avcodec_open2(decoder, decCodec, nil) }
        guard ret >= 0 else {
            throw MediaError(
                .unsupportedCodec, path: path,
                "cannot open the \(inputCodecName) audio decoder: \(MediaError.text(ret))")
        }
        guard decoder.pointee.sample_rate > 0, decoder.pointee.ch_layout.nb_channels > 0 else {
            throw MediaError(
                .corrupt, path: path, "the \(inputCodecName) audio stream states no sample rate or channels")
        }

        let audioFilter = try stretch.map { stretch in
            let lead = try AudioFilter.lead(
                of: stretch.atempoChain, factor: stretch.factor.doubleValue, sampleRate: decoder.pointee.sample_rate)
            return try AudioFilter(graph: stretch.audioFilterGraph(lead: lead), decoder: decoder, path: path)
        }

        // AAC where the container takes it, else Opus (WebM), else Vorbis.
        let candidates: [(AVCodecID, String)] = [
            (AV_CODEC_ID_AAC, "aac"), (AV_CODEC_ID_OPUS, "libopus"), (AV_CODEC_ID_OPUS, "opus"),
            (AV_CODEC_ID_VORBIS, "libvorbis"),
        ]
        var chosen: UnsafePointer<AVCodec>?
        for (id, name) in candidates where avformat_query_codec(oc.pointee.oformat, id, FF_COMPLIANCE_NORMAL) == 1 {
            if let c = avcodec_find_encoder_by_name(name) {
                chosen = c
                break
            }
        }
        guard let encCodec = chosen else {
            throw MediaError(.unsupportedEncoder, path: path, "no audio encoder for this container")
        }
        enc = avcodec_alloc_context3(encCodec)
        guard let encoder = enc else { throw MediaError(.internalFailure, path: path, "out of memory") }
        var sampleRate = decoder.pointee.sample_rate
        if let rates = kineto_codec_sample_rates(encCodec) {
            var best: Int32 = 0
            var i = 0
            while rates[i] != 0 {
                if rates[i] == sampleRate { best = rates[i] }
                i += 1
            }
            sampleRate = best == 0 ? 48000 : best
        }
        encoder.pointee.sample_rate = sampleRate
        var layout = AVChannelLayout()
        if decoder.pointee.ch_layout.nb_channels > 2 && encCodec.pointee.id != AV_CODEC_ID_AAC {
            av_channel_layout_default(&layout, 2)
        } else {
            av_channel_layout_copy(&layout, &decoder.pointee.ch_layout)
            if layout.order == AV_CHANNEL_ORDER_UNSPEC {
                av_channel_layout_uninit(&layout)
                av_channel_layout_default(&layout, decoder.pointee.ch_layout.nb_channels)
            }
        }
        av_channel_layout_copy(&encoder.pointee.ch_layout, &layout)
        av_channel_layout_uninit(&layout)
        encoder.pointee.sample_fmt = kineto_codec_sample_fmts(encCodec)?[0] ?? AV_SAMPLE_FMT_FLTP
        encoder.pointee.bit_rate = Int64(encoder.pointee.ch_layout.nb_channels) * 96_000
        encoder.pointee.time_base = AVRational(num: 1, den: sampleRate)
        if oc.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            encoder.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        ret = avcodec_open2(encoder, encCodec, nil)
        guard ret >= 0 else {
            throw MediaError(
                .unsupportedEncoder, path: path,
                "cannot open the \(String(cString: encCodec.pointee.name)) audio encoder: \(MediaError.text(ret))")
        }

        ret = swr_alloc_set_opts2(
            &swr, &encoder.pointee.ch_layout, encoder.pointee.sample_fmt, encoder.pointee.sample_rate,
            &decoder.pointee.ch_layout, decoder.pointee.sample_fmt, decoder.pointee.sample_rate, 0, nil)
        guard ret >= 0, swr_init(swr) >= 0 else {
            throw MediaError(.internalFailure, path: path, "cannot set up audio resampling")
        }
        guard
            let audioFifo = av_audio_fifo_alloc(encoder.pointee.sample_fmt, encoder.pointee.ch_layout.nb_channels, 4096)
        else {
            throw MediaError(.internalFailure, path: path, "out of memory")
        }
        // The stream is added last: a failure above leaves the output without a half-made stream.
        guard let st = avformat_new_stream(oc, nil) else {
            av_audio_fifo_free(audioFifo)
            throw MediaError(.internalFailure, path: path, "cannot add an audio stream")
        }
        avcodec_parameters_from_context(st.pointee.codecpar, encoder)
        st.pointee.time_base = encoder.pointee.time_base
        av_dict_copy(&st.pointee.metadata, input.pointee.metadata, 0)
        st.pointee.disposition = input.pointee.disposition

        outputStream = st
        self.decoder = decoder
        self.encoder = encoder
        resampler = swr
        fifo = audioFifo
        filter = audioFilter
        inputTimeBase = Rational(input.pointee.time_base)
        originInInput = av_rescale_q(originMicros, AVRational(num: 1, den: AV_TIME_BASE), input.pointee.time_base)
        succeeded = true
    }

    deinit {
        var d: UnsafeMutablePointer<AVCodecContext>? = decoder
        avcodec_free_context(&d)
        var e: UnsafeMutablePointer<AVCodecContext>? = encoder
        avcodec_free_context(&e)
        swr_free(&resampler)
        av_audio_fifo_free(fifo)
    }

    /// Decodes `packet` and encodes what is ready; `emit` writes each encoded packet.
    func push(_ packet: UnsafeMutablePointer<AVPacket>?, emit: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        let sent = avcodec_send_packet(decoder, packet)
        if sent < 0 && sent != kineto_averror_eof() { return }  // a damaged audio packet: skip it, keep going
        let frame = av_frame_alloc()!
        defer {
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
        }
        while avcodec_receive_frame(decoder, frame) >= 0 {
            let ts =
                frame.pointee.best_effort_timestamp != kineto_nopts()
                ? frame.pointee.best_effort_timestamp : originInInput
            if let filter {
                // The filter's times count from the input's start, as the stretch's range does.
                frame.pointee.pts = av_rescale_q(ts - originInInput, inputTimeBase.avRational, filter.inputTimeBase)
                try filter.push(frame)
                av_frame_unref(frame)
                try drainFilter(emit: emit)
                continue
            }
            if nextPts == nil {
                nextPts = av_rescale_q(ts - originInInput, inputTimeBase.avRational, encoder.pointee.time_base)
            }
            try resample(frame)
            av_frame_unref(frame)
            try encodeFull(emit: emit)
        }
        if packet == nil {
            if let filter {
                try filter.push(nil)
                try drainFilter(emit: emit)
            }
            try resample(nil)
            try encodeFull(emit: emit, flushing: true)
            try encode(nil, emit: emit)
        }
    }

    /// Moves what the filter has ready through the resampler into the encoder.
    private func drainFilter(emit: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        guard let filter else { return }
        while let filtered = try filter.pull() {
            defer {
                var f: UnsafeMutablePointer<AVFrame>? = filtered
                av_frame_free(&f)
            }
            if nextPts == nil {
                let pts = filtered.pointee.pts != kineto_nopts() ? filtered.pointee.pts : 0
                nextPts = av_rescale_q(pts, filter.outputTimeBase, encoder.pointee.time_base)
            }
            try resample(filtered)
            try encodeFull(emit: emit)
        }
    }

    private func resample(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        let inSamples = frame?.pointee.nb_samples ?? 0
        let outCapacity = swr_get_out_samples(resampler, inSamples) + 32
        guard outCapacity > 0 else { return }
        var buffers: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?
        var lineSize: Int32 = 0
        guard
            av_samples_alloc_array_and_samples(
                &buffers, &lineSize, encoder.pointee.ch_layout.nb_channels, outCapacity,
                encoder.pointee.sample_fmt, 0) >= 0, let buffers
        else {
            throw MediaError(.internalFailure, path: path, "out of memory for audio")
        }
        defer {
            av_freep(UnsafeMutableRawPointer(buffers))  // the sample buffer, held in buffers[0]
            var array: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>? = buffers
            av_freep(&array)
        }
        let converted: Int32
        if let frame {
            let input = UnsafeMutableRawPointer(kineto_frame_data_array(frame)!).assumingMemoryBound(
                to: UnsafePointer<UInt8>?.self)
            converted = swr_convert(resampler, buffers, outCapacity, input, inSamples)
        } else {
            converted = swr_convert(resampler, buffers, outCapacity, nil, 0)
        }
        if converted > 0 {
            let raw = UnsafeMutableRawPointer(buffers).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
            _ = av_audio_fifo_write(fifo, raw, converted)
        }
    }

    private func encodeFull(emit: (UnsafeMutablePointer<AVPacket>) throws -> Void, flushing: Bool = false) throws {
        let frameSize = encoder.pointee.frame_size > 0 ? encoder.pointee.frame_size : 1024
        while av_audio_fifo_size(fifo) >= frameSize || (flushing && av_audio_fifo_size(fifo) > 0) {
            let count = Swift.min(frameSize, av_audio_fifo_size(fifo))
            let frame = av_frame_alloc()!
            defer {
                var f: UnsafeMutablePointer<AVFrame>? = frame
                av_frame_free(&f)
            }
            frame.pointee.nb_samples = count
            frame.pointee.format = encoder.pointee.sample_fmt.rawValue
            frame.pointee.sample_rate = encoder.pointee.sample_rate
            av_channel_layout_copy(&frame.pointee.ch_layout, &encoder.pointee.ch_layout)
            guard av_frame_get_buffer(frame, 0) >= 0 else {
                throw MediaError(.internalFailure, path: path, "out of memory for audio")
            }
            _ = av_audio_fifo_read(
                fifo,
                UnsafeMutableRawPointer(kineto_frame_data_array(frame)!).assumingMemoryBound(
                    to: UnsafeMutableRawPointer?.self), count)
            frame.pointee.pts = nextPts ?? 0
            nextPts = (nextPts ?? 0) + Int64(count)
            try encode(frame, emit: emit)
        }
    }

    private func encode(_ frame: UnsafeMutablePointer<AVFrame>?, emit: (UnsafeMutablePointer<AVPacket>) throws -> Void)
        throws
    {
        var ret = avcodec_send_frame(encoder, frame)
        if ret < 0 && ret != kineto_averror_eof() {
            throw MediaError(.internalFailure, path: path, "audio encoding failed: \(MediaError.text(ret))")
        }
        let packet = av_packet_alloc()!
        defer {
            var p: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&p)
        }
        while true {
            ret = avcodec_receive_packet(encoder, packet)
            if ret < 0 { break }
            av_packet_rescale_ts(packet, encoder.pointee.time_base, outputStream.pointee.time_base)
            packet.pointee.stream_index = outputStream.pointee.index
            try emit(packet)
        }
    }
}
