import KinetoMedia

/// One frame-rate conversion: an input file or stream, an output file, the rate, the method and the
/// encoding. A value: the command line builds one from its arguments, the daemon from a request;
/// `JobRunner.run` executes it.
public struct InterpolationJob: Sendable {
    /// Input path or URL (`udp://…`, `http://…`, anything libavformat reads). Never modified.
    public var input: String
    /// Output path; the container follows its extension (`.mp4`, `.mkv`, `.mov`, `.webm`, `.ts`).
    public var output: String
    public var targetRate: TargetRate
    public var method: InterpolationMethod
    /// Options passed to a model's factory (unused by `repeat` and `blend`).
    public var interpolatorOptions: InterpolatorOptions

    /// Video codec of the output (default H.264).
    public var codec: VideoCodecChoice
    /// Constant rate factor (nil: the codec's default, 18 for H.264/H.265).
    public var crf: Int?
    /// Encoder speed preset (nil: `medium` for x264/x265, the encoder's default otherwise).
    public var preset: String?
    /// Encoder threads (0: the encoder decides).
    public var encoderThreads: Int
    /// Decoder threads (0: FFmpeg decides).
    public var decoderThreads: Int
    /// Replace an existing output file (never the input itself).
    public var overwrite: Bool
    /// Interpolation worker threads (nil: 2 for `blend`, 1 otherwise — models use all cores inside one call).
    public var workers: Int?
    /// Capacity of each queue between stages; with `workers` it bounds the frames in memory.
    public var queueCapacity: Int
    /// For network inputs: seconds without data after which the input counts as ended.
    public var networkTimeout: Double
    /// Interlaced input is deinterlaced (bwdif) at the frame rate by default: interpolating woven fields
    /// would comb every new frame.
    public var deinterlacing: Deinterlacing = .frameRate
    /// For image-sequence inputs (`frames/%04d.png`): their frame rate (nil: 25 fps, libavformat's default).
    public var imageSequenceRate: FrameRate?
    /// Scene cuts (never interpolated across) and repeated frames (skipped, motion interpolated across them).
    public var motion: MotionDetection = .standard
    /// Slow motion: the input (or a range of it) re-timed before frames are scheduled at `targetRate`.
    /// Multiples in `targetRate` (`2x`) still refer to the input's own rate.
    public var slowMotion: SlowMotion?
    /// For live inputs (network URLs): step down to cheaper ways of making frames when the output falls
    /// behind real time, and back up when it catches up (`LiveQualityGovernor`).
    public var adaptsToLiveInput = true
    /// One chunk of a longer job (nil: the whole input): only the outputs of `chunk.window`, video only,
    /// read from the keyframe at `chunk.readFromPTS`. `ChunkJoiner` joins the chunks and adds the audio.
    public var chunk: ChunkRange?
    /// Receives notable events as they happen (a live job changing quality); they also end up in `JobResult.events`.
    public var log: (@Sendable (String) -> Void)?

    public init(
        input: String, output: String, targetRate: TargetRate, method: InterpolationMethod = .blend,
        interpolatorOptions: InterpolatorOptions = InterpolatorOptions(),
        codec: VideoCodecChoice = .h264, crf: Int? = nil, preset: String? = nil,
        encoderThreads: Int = 0, decoderThreads: Int = 0, overwrite: Bool = false,
        workers: Int? = nil, queueCapacity: Int = 4, networkTimeout: Double = 10
    ) {
        self.input = input
        self.output = output
        self.targetRate = targetRate
        self.method = method
        self.interpolatorOptions = interpolatorOptions
        self.codec = codec
        self.crf = crf
        self.preset = preset
        self.encoderThreads = encoderThreads
        self.decoderThreads = decoderThreads
        self.overwrite = overwrite
        self.workers = workers
        self.queueCapacity = queueCapacity
        self.networkTimeout = networkTimeout
    }
}
