import CFFmpeg
import Foundation

/// What a file or stream holds, as `kineto probe` reports it.
public struct MediaInfo: Codable, Sendable, Equatable {
    /// The input path or URL.
    public var source: String
    /// Container format (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `avi`, `mpegts`, …).
    public var format: String
    public var formatLongName: String
    /// Seconds, when the container knows it.
    public var duration: Double?
    /// Seconds of the first timestamp (non-zero in MPEG-TS and some edits).
    public var startTime: Double?
    public var bitRate: Int64?
    public var metadata: [String: String]
    public var chapters: [Chapter]
    /// The stream Kineto processes (`av_find_best_stream`).
    public var video: VideoStreamInfo
    public var audio: [AudioStreamInfo]
    public var subtitles: [SubtitleStreamInfo]
    /// Streams of other kinds (data, attachments) by index and type.
    public var otherStreams: [String]

    public struct Chapter: Codable, Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var title: String?
    }
}

public struct VideoStreamInfo: Codable, Sendable, Equatable {
    public var index: Int
    public var codec: String
    public var codecLongName: String
    public var profile: String?
    public var width: Int
    public var height: Int
    public var sampleAspectRatio: Rational?
    public var pixelFormat: String
    /// Bits per component of the pixel format (8, 10, 12, 16).
    public var bitDepth: Int
    /// The stream's base rate (`r_frame_rate`): the least rate all timestamps fit on.
    public var frameRate: Rational?
    /// Frames over duration (`avg_frame_rate`); differs from `frameRate` for variable-rate video.
    public var averageFrameRate: Rational?
    public var timeBase: Rational
    public var duration: Double?
    /// Frame count as the container states it (0/absent when unknown: count by decoding).
    public var frameCount: Int?
    /// Display rotation in degrees clockwise (0, 90, 180, 270), from the display matrix.
    public var rotation: Int
    public var colorPrimaries: String
    public var colorTransfer: String
    public var colorMatrix: String
    public var colorRange: String
    public var metadata: [String: String]
}

public struct AudioStreamInfo: Codable, Sendable, Equatable {
    public var index: Int
    public var codec: String
    public var sampleRate: Int
    public var channels: Int
    public var channelLayout: String
    public var duration: Double?
    public var language: String?
}

public struct SubtitleStreamInfo: Codable, Sendable, Equatable {
    public var index: Int
    public var codec: String
    public var language: String?
}

extension MediaInfo {
    /// Builds the description of an opened input whose best video stream is `videoIndex`.
    init(context fc: UnsafeMutablePointer<AVFormatContext>, source: String, videoIndex: Int) {
        let format = fc.pointee.iformat.pointee
        self.source = source
        self.format = String(cString: format.name)
        self.formatLongName = format.long_name.map { String(cString: $0) } ?? ""
        let timeBase = Double(AV_TIME_BASE)
        self.duration = fc.pointee.duration > 0 ? Double(fc.pointee.duration) / timeBase : nil
        self.startTime = fc.pointee.start_time != kineto_nopts() ? Double(fc.pointee.start_time) / timeBase : nil
        self.bitRate = fc.pointee.bit_rate > 0 ? fc.pointee.bit_rate : nil
        self.metadata = Self.dictionary(fc.pointee.metadata)
        self.chapters = (0..<fc.pointee.nb_chapters).compactMap { i in
            guard let c = kineto_chapter(fc, i)?.pointee else { return nil }
            let tb = Rational(c.time_base)
            return Chapter(
                start: tb.seconds(of: c.start).doubleValue, end: tb.seconds(of: c.end).doubleValue,
                title: Self.dictionary(c.metadata)["title"])
        }
        var audio: [AudioStreamInfo] = []
        var subtitles: [SubtitleStreamInfo] = []
        var others: [String] = []
        var video: VideoStreamInfo?
        for i in 0..<Int(fc.pointee.nb_streams) {
            guard let st = kineto_stream(fc, UInt32(i)) else { continue }
            let par = st.pointee.codecpar.pointee
            let codecName = String(cString: avcodec_get_name(par.codec_id))
            let streamDuration =
                st.pointee.duration > 0
                ? Rational(st.pointee.time_base).seconds(of: st.pointee.duration).doubleValue : nil
            let meta = Self.dictionary(st.pointee.metadata)
            switch par.codec_type {
            case AVMEDIA_TYPE_VIDEO where i == videoIndex:
                video = VideoStreamInfo(stream: st, codecName: codecName, duration: streamDuration, metadata: meta)
            case AVMEDIA_TYPE_AUDIO:
                var layout = [CChar](repeating: 0, count: 128)
                var chLayout = par.ch_layout
                av_channel_layout_describe(&chLayout, &layout, layout.count)
                audio.append(
                    AudioStreamInfo(
                        index: i, codec: codecName, sampleRate: Int(par.sample_rate),
                        channels: Int(par.ch_layout.nb_channels), channelLayout: String(cString: layout),
                        duration: streamDuration, language: meta["language"]))
            case AVMEDIA_TYPE_SUBTITLE:
                subtitles.append(SubtitleStreamInfo(index: i, codec: codecName, language: meta["language"]))
            default:
                others.append(
                    "\(i): \((av_get_media_type_string(par.codec_type).map { String(cString: $0) } ?? "unknown")) \(codecName)"
                )
            }
        }
        self.video = video!
        self.audio = audio
        self.subtitles = subtitles
        self.otherStreams = others
    }

    static func dictionary(_ dict: OpaquePointer?) -> [String: String] {
        var result: [String: String] = [:]
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let e = av_dict_get(dict, "", entry, AV_DICT_IGNORE_SUFFIX) {
            result[String(cString: e.pointee.key)] = String(cString: e.pointee.value)
            entry = e
        }
        return result
    }
}

extension VideoStreamInfo {
    init(stream st: UnsafeMutablePointer<AVStream>, codecName: String, duration: Double?, metadata: [String: String]) {
        let par = st.pointee.codecpar.pointee
        let pixFmt = AVPixelFormat(rawValue: par.format)
        index = Int(st.pointee.index)
        codec = codecName
        codecLongName = avcodec_descriptor_get(par.codec_id).map { String(cString: $0.pointee.long_name) } ?? codecName
        profile = avcodec_profile_name(par.codec_id, par.profile).map { String(cString: $0) }
        width = Int(par.width)
        height = Int(par.height)
        sampleAspectRatio = par.sample_aspect_ratio.num > 0 ? Rational(par.sample_aspect_ratio) : nil
        pixelFormat = av_get_pix_fmt_name(pixFmt).map { String(cString: $0) } ?? "unknown"
        bitDepth = av_pix_fmt_desc_get(pixFmt).map { Int($0.pointee.comp.0.depth) } ?? 8
        frameRate = st.pointee.r_frame_rate.num > 0 ? Rational(st.pointee.r_frame_rate) : nil
        averageFrameRate = st.pointee.avg_frame_rate.num > 0 ? Rational(st.pointee.avg_frame_rate) : nil
        timeBase = Rational(st.pointee.time_base)
        self.duration = duration
        frameCount = st.pointee.nb_frames > 0 ? Int(st.pointee.nb_frames) : nil
        let degrees = kineto_stream_rotation(st)
        // FFmpeg reports counter-clockwise degrees; players rotate the picture clockwise by the negation.
        rotation = degrees.isNaN ? 0 : ((Int((-degrees).rounded()) % 360) + 360) % 360
        colorPrimaries = av_color_primaries_name(par.color_primaries).map { String(cString: $0) } ?? "unknown"
        colorTransfer = av_color_transfer_name(par.color_trc).map { String(cString: $0) } ?? "unknown"
        colorMatrix = av_color_space_name(par.color_space).map { String(cString: $0) } ?? "unknown"
        colorRange = av_color_range_name(par.color_range).map { String(cString: $0) } ?? "unknown"
        self.metadata = metadata
    }
}
