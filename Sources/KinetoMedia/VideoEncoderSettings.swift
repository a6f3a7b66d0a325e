import CFFmpeg

/// Which video encoder a job uses.
public enum VideoCodecChoice: String, Sendable, Codable, CaseIterable {
    /// H.264 with libx264 (the default).
    case h264
    /// H.265/HEVC with libx265.
    case h265
    /// AV1 with SVT-AV1 (libaom if SVT-AV1 is missing).
    case av1
    /// FFV1, lossless.
    case ffv1
    /// VP9 with libvpx (the default for WebM, which cannot hold H.264).
    case vp9
    /// The input's own codec, when FFmpeg has an encoder for it.
    case same

    var encoderNames: [String] {
        switch self {
        case .h264: ["libx264"]
        case .h265: ["libx265"]
        case .av1: ["libsvtav1", "libaom-av1"]
        case .ffv1: ["ffv1"]
        case .vp9: ["libvpx-vp9"]
        case .same: []
        }
    }
}

extension VideoCodecChoice {
    /// The codec for an output when none is asked for: VP9 for WebM (which holds only VP8, VP9 and AV1),
    /// H.264 for every other container.
    public static func standard(forOutput path: String) -> VideoCodecChoice {
        path.lowercased().hasSuffix(".webm") ? .vp9 : .h264
    }
}

/// How the output video is encoded.
public struct VideoEncoderSettings: Sendable {
    public var codec: VideoCodecChoice
    /// Constant rate factor for x264/x265/SVT-AV1/libaom (lower is better quality); nil: 18 for H.264/H.265, 30 for AV1.
    public var crf: Int?
    /// Encoder speed preset (x264/x265 names like `medium`, SVT-AV1 numbers like `8`); nil: the encoder's default.
    public var preset: String?
    /// The output's nominal frame rate; frames are timestamped on its grid.
    public var frameRate: Rational
    /// Pixel format to encode in; nil keeps the input's where the encoder supports it, else the closest it does.
    public var pixelFormat: String?
    /// Encoder threads; 0 lets the encoder choose.
    public var threads: Int
    /// Unit of the output's video timestamps; nil: one tick per frame (`1/frameRate`). A finer base (such as
    /// the source's, or 1/90000) keeps variable-rate timing exact while `frameRate` stays the nominal rate.
    public var timeBase: Rational?
    /// Output picture size; nil: the source's. Frames passed to `write` must have this size.
    public var width: Int?
    public var height: Int?

    public init(
        codec: VideoCodecChoice = .h264, crf: Int? = nil, preset: String? = nil, frameRate: Rational,
        pixelFormat: String? = nil, threads: Int = 0, width: Int? = nil, height: Int? = nil, timeBase: Rational? = nil
    ) {
        self.timeBase = timeBase
        self.codec = codec
        self.crf = crf
        self.preset = preset
        self.frameRate = frameRate
        self.pixelFormat = pixelFormat
        self.threads = threads
        self.width = width
        self.height = height
    }
}

extension VideoEncoderSettings {
    /// Pictures above this many pixels (more than 1440p) get x264's memory-saving parameters.
    static let x264LargePicturePixels = 2560 * 1440

    /// libx264 parameters that bound its memory for pictures above 1440p, nil for smaller ones. x264 keeps every
    /// frame of its lookahead (40 at `medium`, 25 MB each at 4K) and, with frame threads, more frames per thread:
    /// at 4K `medium` alone holds 1.4–1.6 GB. A lookahead of at most 10 frames and slice threads (one frame at a time,
    /// split in rows: no frames per thread, whatever the core count) bring it to about 0.55 GB; encoding
    /// is a small part of a 4K model job's time. Threads asked for (`threads`) stay frame threads.
    public func x264Parameters(width: Int, height: Int) -> String? {
        guard width * height > Self.x264LargePicturePixels else { return nil }
        // Each preset's own lookahead (x264's `rc-lookahead`); only ever lowered here.
        let presetLookahead = [
            "ultrafast": 0, "superfast": 0, "veryfast": 10, "faster": 20, "fast": 30, "medium": 40, "slow": 50,
            "slower": 60, "veryslow": 60, "placebo": 60,
        ]
        var parameters = ["rc-lookahead=\(min(presetLookahead[preset?.lowercased() ?? "medium"] ?? 40, 10))"]
        if threads == 0 { parameters.append("sliced-threads=1") }
        return parameters.joined(separator: ":")
    }
}
