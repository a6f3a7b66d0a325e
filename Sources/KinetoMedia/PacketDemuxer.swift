import CFFmpeg

/// Reads compressed packets of chosen streams from a file, without decoding: the keyframe index a
/// chunked job is planned from, the encoded chunks a join copies, the source's audio it adds.
/// Not thread-safe: one demuxer is driven by one thread.
final class PacketDemuxer {
    let path: String
    let formatContext: UnsafeMutablePointer<AVFormatContext>
    private let packet: UnsafeMutablePointer<AVPacket>

    /// Opens `path`; every stream not in `streams` is discarded at the demuxer (nil: keep the best video stream only).
    init(_ path: String, streams: Set<Int>? = nil) throws {
        _ = FFmpegLogging.quiet
        self.path = path
        try MediaReader.checkLocalFile(path)
        var fc: UnsafeMutablePointer<AVFormatContext>? = nil
        var ret = avformat_open_input(&fc, path, nil, nil)
        guard ret >= 0, let fc else { throw MediaReader.openError(ret, source: path) }
        formatContext = fc
        packet = av_packet_alloc()!
        ret = avformat_find_stream_info(fc, nil)
        if ret < 0 {
            throw MediaError(.corrupt, path: path, "cannot read the stream layout: \(MediaError.text(ret))")
        }
        let keep = streams ?? [Int(av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0))]
        for i in 0..<Int(fc.pointee.nb_streams) where !keep.contains(i) {
            kineto_stream(fc, UInt32(i)).pointee.discard = AVDISCARD_ALL
        }
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
        var f: UnsafeMutablePointer<AVFormatContext>? = formatContext
        avformat_close_input(&f)
    }

    /// The best video stream's index (negative when there is none).
    var videoStreamIndex: Int { Int(av_find_best_stream(formatContext, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> { kineto_stream(formatContext, UInt32(index))! }

    /// The next packet of a kept stream (owned by the caller), or nil at the end of the file.
    /// A read error other than the end is thrown: a damaged chunk must not be joined.
    func next() throws -> UnsafeMutablePointer<AVPacket>? {
        while true {
            let ret = av_read_frame(formatContext, packet)
            if ret == kineto_averror_eof() { return nil }
            guard ret >= 0 else {
                throw MediaError(.corrupt, path: path, "cannot read a packet: \(MediaError.text(ret))")
            }
            if kineto_stream(formatContext, UInt32(packet.pointee.stream_index)).pointee.discard == AVDISCARD_ALL {
                av_packet_unref(packet)
                continue
            }
            let owned = av_packet_alloc()!
            av_packet_move_ref(owned, packet)
            return owned
        }
    }
}

/// Where a video's keyframes are: the points a long job can be cut at.
public enum KeyframeIndex {
    /// The timestamps (in the video stream's time base) of the best video stream's keyframes, in order,
    /// read from the packets' flags without decoding. Memory grows with the keyframes, not the frames.
    public static func keyframes(of path: String) throws -> [Int64] {
        let demuxer = try PacketDemuxer(path)
        let video = demuxer.videoStreamIndex
        guard video >= 0 else { throw MediaError(.noVideoStream, path: path, "has no video stream") }
        var keyframes: [Int64] = []
        while let packet = try demuxer.next() {
            var owned: UnsafeMutablePointer<AVPacket>? = packet
            defer { av_packet_free(&owned) }
            guard Int(packet.pointee.stream_index) == video, packet.pointee.flags & AV_PKT_FLAG_KEY != 0 else {
                continue
            }
            let pts = packet.pointee.pts != kineto_nopts() ? packet.pointee.pts : packet.pointee.dts
            if pts != kineto_nopts() { keyframes.append(pts) }
        }
        return keyframes.sorted()
    }
}
