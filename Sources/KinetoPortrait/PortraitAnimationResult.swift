import KinetoMedia

/// Seconds spent in each stage of a portrait animation (summed over frames; stages run one after another).
public struct PortraitStageTimes: Sendable, Equatable, Codable {
    /// Portrait loading, landmarks, crop, segmentation, mesh (once).
    public var setup: Double = 0
    /// Driving video decoding and conversion to RGB.
    public var decode: Double = 0
    /// Landmark tracking on the driving frames.
    public var track: Double = 0
    /// Retargeting, warping, compositing and mouth filling.
    public var render: Double = 0
    /// Conversion to the output pixel format and encoding (audio copying included).
    public var encode: Double = 0
    /// Measuring (landmarks on the output frames), when asked for.
    public var measure: Double = 0

    public init() {}
}

/// What a finished portrait animation produced.
public struct PortraitAnimationResult: Sendable {
    public var output: String
    public var width: Int
    public var height: Int
    /// Frames written (one per driving frame).
    public var frames: Int
    /// Driving frames in which a face was tracked.
    public var framesWithFace: Int
    /// The driving video's nominal frame rate, kept by the output.
    public var frameRate: Rational
    public var encoderName: String
    public var warnings: [String]
    public var elapsedSeconds: Double
    public var stages: PortraitStageTimes
    /// Landmark accuracy, identity and jitter (when the job asked to measure).
    public var metrics: PortraitMetrics?

    /// Frames per second of wall time, end to end (setup included).
    public var framesPerSecond: Double { elapsedSeconds > 0 ? Double(frames) / elapsedSeconds : 0 }
}
