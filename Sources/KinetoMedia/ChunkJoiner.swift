import CFFmpeg
import Foundation

/// Joins the encoded chunks of one long job into its output by stream copy: no picture is encoded
/// again. The chunks hold video only, each on the full job's timeline; the source's audio, subtitles,
/// metadata and chapters are carried over by the same `MediaWriter` a single run uses, so the joined
/// file has the single run's streams and timestamps.
///
/// Packets go out in time order, a chunk at a time and the source's audio beside them, so memory stays
/// a few packets whatever the length. The output appears only when the join is complete (`MediaWriter`'s
/// hidden temporary file): an interrupted join leaves nothing under the destination's name.
public enum ChunkJoiner {
    public struct Result: Sendable {
        public var videoPackets: Int
        public var warnings: [String]
    }

    /// Joins `chunks` (in order) into `destination`, with the audio and subtitles of `source` (read with
    /// `sourceOptions`, as the single run read it). `settings` must be the chunks' encoding: the output's
    /// video stream is described by it, and a chunk of another codec or size is refused. `progress` hears
    /// the video packets written so far, every 500.
    public static func join(
        chunks: [String], source: String, sourceOptions: ReaderOptions, destination: String,
        settings: VideoEncoderSettings, overwrite: Bool = false, progress: ((Int) -> Void)? = nil
    ) throws -> Result {
        guard !chunks.isEmpty else { throw MediaError(.invalidArgument, path: destination, "no chunks to join") }
        var options = sourceOptions
        options.passthrough = true
        let reader = try MediaReader(source, options: options)
        let writer = try MediaWriter(destination: destination, settings: settings, source: reader, overwrite: overwrite)
        do {
            // Only the streams a single run carries over are read (none: the source is not read again).
            let audio =
                reader.passthroughStreams.isEmpty ? nil : try PacketDemuxer(source, streams: reader.passthroughStreams)
            let ic = reader.formatContext
            let originMicros = ic.pointee.start_time != kineto_nopts() ? ic.pointee.start_time : 0
            let origin = Rational(originMicros, Int64(AV_TIME_BASE))
            var pendingAudio = try audio?.next()
            defer { if pendingAudio != nil { av_packet_free(&pendingAudio) } }
            /// The source packet's time on the output's timeline (what `MediaWriter` makes of it).
            func audioTime(_ packet: UnsafeMutablePointer<AVPacket>) -> Rational? {
                guard let audio else { return nil }
                let ts = packet.pointee.dts != kineto_nopts() ? packet.pointee.dts : packet.pointee.pts
                guard ts != kineto_nopts() else { return nil }
                return Rational(audio.stream(Int(packet.pointee.stream_index)).pointee.time_base).seconds(of: ts)
                    - origin
            }
            func writeAudio(upTo limit: Rational?) throws {
                guard let audio else { return }
                while let packet = pendingAudio {
                    if let limit, let time = audioTime(packet), time > limit { return }
                    pendingAudio = nil
                    let index = Int(packet.pointee.stream_index)
                    let wrapped = PassthroughPacket(
                        taking: packet, streamIndex: index, timeBase: Rational(audio.stream(index).pointee.time_base))
                    try writer.write(wrapped)
                    pendingAudio = try audio.next()
                }
            }
            var packets = 0
            var lastShown: Rational?
            for (number, path) in chunks.enumerated() {
                let chunk = try PacketDemuxer(path)
                let index = chunk.videoStreamIndex
                guard index >= 0 else { throw MediaError(.noVideoStream, path: path, "chunk has no video stream") }
                let parameters = chunk.stream(index).pointee.codecpar.pointee
                let expected = writer.videoParameters.pointee
                guard parameters.codec_id == expected.codec_id, parameters.width == expected.width,
                    parameters.height == expected.height
                else {
                    throw MediaError(
                        .invalidArgument, path: path,
                        "chunk \(number) is not encoded like the output (codec or size differs); it cannot be joined")
                }
                let timeBase = chunk.stream(index).pointee.time_base
                let toAnnexB = try AnnexBConverter(
                    parameters: chunk.stream(index).pointee.codecpar, timeBase: timeBase, path: path)
                var first = true
                func nextPacket() throws -> UnsafeMutablePointer<AVPacket>? {
                    guard let toAnnexB else { return try chunk.next() }
                    return try toAnnexB.next(from: chunk.next)
                }
                while let packet = try nextPacket() {
                    var owned: UnsafeMutablePointer<AVPacket>? = packet
                    defer { av_packet_free(&owned) }
                    let stamp = packet.pointee.pts != kineto_nopts() ? packet.pointee.pts : packet.pointee.dts
                    let time = Rational(timeBase).seconds(of: stamp)
                    // A chunk starts with a keyframe shown first, after everything the previous chunk showed.
                    if first, let lastShown, time <= lastShown {
                        throw MediaError(
                            .invalidArgument, path: path,
                            "chunk \(number) starts at \(time.doubleValue) s, not after the previous chunk's last frame (\(lastShown.doubleValue) s)"
                        )
                    }
                    first = false
                    let decodeTime =
                        packet.pointee.dts != kineto_nopts() ? Rational(timeBase).seconds(of: packet.pointee.dts) : time
                    try writeAudio(upTo: decodeTime)
                    lastShown = max(lastShown ?? time, time)
                    try writer.writeEncoded(packet, timeBase: timeBase)
                    packets += 1
                    if packets % 500 == 0 { progress?(packets) }
                }
            }
            try writeAudio(upTo: nil)
            try writer.finish()
            return Result(videoPackets: packets, warnings: writer.warnings)
        } catch {
            writer.abort()
            throw error
        }
    }
}

/// Turns a chunk's H.264/H.265 packets as MP4 and Matroska store them (length-prefixed NAL units) back
/// into the start-code form the encoder hands a muxer: the output's muxer converts what it gets from
/// that form, exactly as for a single run's packets. Nil for codecs stored as they are encoded.
final class AnnexBConverter {
    private var context: UnsafeMutablePointer<AVBSFContext>?
    private let path: String
    private var drained = false

    init?(parameters: UnsafeMutablePointer<AVCodecParameters>, timeBase: AVRational, path: String) throws {
        let codec = parameters.pointee.codec_id
        let name: String
        switch codec {
        case AV_CODEC_ID_H264: name = "h264_mp4toannexb"
        case AV_CODEC_ID_HEVC: name = "hevc_mp4toannexb"
        default: return nil
        }
        // Extradata that starts with 1 is an avcC/hvcC record: the packets are length-prefixed.
        guard parameters.pointee.extradata_size > 0, parameters.pointee.extradata[0] == 1 else { return nil }
        self.path = path
        guard let filter = av_bsf_get_by_name(name), av_bsf_alloc(filter, &context) >= 0, let context else {
            throw MediaError(.internalFailure, path: path, "FFmpeg has no \(name) filter to join this chunk")
        }
        avcodec_parameters_copy(context.pointee.par_in, parameters)
        context.pointee.time_base_in = timeBase
        let ret = av_bsf_init(context)
        guard ret >= 0 else {
            throw MediaError(.internalFailure, path: path, "cannot start \(name): \(MediaError.text(ret))")
        }
    }

    deinit { av_bsf_free(&context) }

    /// The next converted packet, feeding the filter from `source` (nil at its end) as it needs.
    func next(from source: () throws -> UnsafeMutablePointer<AVPacket>?) throws -> UnsafeMutablePointer<AVPacket>? {
        guard let context else { return nil }
        let output = av_packet_alloc()!
        while true {
            let ret = av_bsf_receive_packet(context, output)
            if ret >= 0 { return output }
            if ret == kineto_averror_eof() || (ret == kineto_averror_eagain() && drained) {
                var unused: UnsafeMutablePointer<AVPacket>? = output
                av_packet_free(&unused)
                return nil
            }
            guard ret == kineto_averror_eagain() else {
                var unused: UnsafeMutablePointer<AVPacket>? = output
                av_packet_free(&unused)
                throw MediaError(.corrupt, path: path, "cannot convert a packet: \(MediaError.text(ret))")
            }
            var input = try source()
            if input == nil { drained = true }
            let sent = av_bsf_send_packet(context, input)
            av_packet_free(&input)
            if sent < 0 && sent != kineto_averror_eof() {
                var unused: UnsafeMutablePointer<AVPacket>? = output
                av_packet_free(&unused)
                throw MediaError(.corrupt, path: path, "cannot convert a packet: \(MediaError.text(sent))")
            }
        }
    }
}
