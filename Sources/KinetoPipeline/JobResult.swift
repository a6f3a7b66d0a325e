import KinetoMedia

/// What a finished job did.
public struct JobResult: Sendable {
    /// The file written.
    public var output: String
    /// The input's description (as `kineto probe` shows it).
    public var inputInfo: MediaInfo
    /// The output's frame rate.
    public var outputRate: FrameRate
    /// Input frames decoded.
    public var framesIn: Int64
    /// Output frames written.
    public var framesOut: Int64
    /// Output frames that are input frames passed through (not interpolated).
    public var framesPassedThrough: Int64
    /// Damage found in the input (truncation, corrupt packets); the job still succeeded.
    public var damage: DamageReport
    /// Things the user should know: streams dropped or re-encoded, damage.
    public var warnings: [String]
    /// Wall-clock seconds from opening the input to the output in place.
    public var elapsedSeconds: Double
    /// The video encoder used (`libx264`, …).
    public var encoderName: String
    /// Scene cuts found (output frames there repeat the frames beside the cut).
    public var sceneCuts: Int64 = 0
    /// Repeated input frames skipped (the motion around them was interpolated instead).
    public var duplicatesSkipped: Int64 = 0
    /// Things that happened on the way (a live stream's quality lowered and restored, …), in order.
    public var events: [String] = []
    /// For live inputs: the most the output fell behind real time, in seconds.
    public var worstLiveLag: Double?
    /// What was changed so the output plays right (deinterlaced, turned upright, alpha dropped), in words.
    public var adjustments: [String] = []

    /// Output frames per second of wall time.
    public var framesPerSecond: Double { elapsedSeconds > 0 ? Double(framesOut) / elapsedSeconds : 0 }
}
