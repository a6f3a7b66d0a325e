import KinetoModels

/// How a job makes its in-between frames: by name on the command line (`--model repeat`), with the
/// engine behind the name.
public struct InterpolationMethod: Sendable {
    /// What computes the frames.
    public enum Engine: Sendable {
        /// The nearest input frame, re-timestamped (no pixel is copied): `t < 0.5` shows the earlier
        /// frame, `t ≥ 0.5` the later one.
        case nearestFrame
        /// `(1 - t)·a + t·b` on the decoded frames in their own pixel format (no RGB conversion).
        case crossFade
        /// A network: frames go to RGB, through `FrameInterpolator.interpolate`, and back. The factory
        /// is called once per worker thread (an interpolator serves one thread at a time).
        case model(@Sendable (InterpolatorOptions) throws -> any FrameInterpolator)
    }

    /// The name used on the command line and in job files (`repeat`, `blend`, `rife`, `featureflow`).
    public let name: String
    /// One line for `--help` and error messages.
    public let summary: String
    public let engine: Engine

    /// For live inputs that fall behind: the options of a cheaper run of the same model (RIFE at half
    /// its scale), or nil when there is none. Nil for methods without cheaper settings.
    public let cheaper: (@Sendable (InterpolatorOptions) -> InterpolatorOptions?)?

    /// For models that run better several frames at once than one frame on every core: how many frames (one
    /// worker each, the cores shared out among them) for a video of `width × height` on `cores` cores. Nil: one.
    public let parallelFrames: (@Sendable (_ width: Int, _ height: Int, _ cores: Int) -> Int)?

    public init(
        name: String, summary: String, engine: Engine,
        cheaper: (@Sendable (InterpolatorOptions) -> InterpolatorOptions?)? = nil,
        parallelFrames: (@Sendable (_ width: Int, _ height: Int, _ cores: Int) -> Int)? = nil
    ) {
        self.name = name
        self.summary = summary
        self.engine = engine
        self.cheaper = cheaper
        self.parallelFrames = parallelFrames
    }

    /// `repeat`: the nearest input frame (what players do when the rate does not match).
    public static let repeatFrames = InterpolationMethod(
        name: "repeat", summary: "show the nearest input frame (no new pictures; fastest)", engine: .nearestFrame)
    /// `blend`: cross-fade of the two neighbouring frames (ffmpeg's `framerate` filter does the same).
    public static let blend = InterpolationMethod(
        name: "blend", summary: "cross-fade the two neighbouring frames by time distance", engine: .crossFade)
}

/// Settings passed to a model's factory when a job starts. Each is a checked value (made where a person wrote it:
/// the command line, the config file), so a factory never parses or re-validates text.
public struct InterpolatorOptions: Sendable, Equatable {
    /// Where the model's weights are, when not the model's default location.
    public var weightsPath: String?
    /// Threads the model may use for its own computation (0: all cores).
    public var threads: Int
    /// RIFE's scale (nil: full detail, 1). Other models refuse it (`InterpolationMethod.check`).
    public var rifeScale: RIFEScale?
    /// FeatureFlow's DetailEnhance tiling (nil: `FeatureFlowTiling.standard`).
    public var featureFlowTiling: FeatureFlowTiling?

    public init(
        weightsPath: String? = nil, threads: Int = 0, rifeScale: RIFEScale? = nil,
        featureFlowTiling: FeatureFlowTiling? = nil
    ) {
        self.weightsPath = weightsPath
        self.threads = threads
        self.rifeScale = rifeScale
        self.featureFlowTiling = featureFlowTiling
    }

    /// What a log line or summary says of the options beyond the model's name (" at scale 0.5"), empty by default.
    public var label: String {
        rifeScale.map { " at scale \($0)" } ?? ""
    }
}

extension InterpolationMethod {
    /// A usage error when `options` set something this method has no use for (a scale for `blend`), so a setting is
    /// never silently ignored.
    public func check(_ options: InterpolatorOptions) throws {
        if options.rifeScale != nil, name != InterpolationMethod.rife.name {
            throw PipelineError(.usage, "a scale applies to the rife model only, not to '\(name)'")
        }
        if options.featureFlowTiling != nil, name != InterpolationMethod.featureflow.name {
            throw PipelineError(.usage, "a tiling applies to the featureflow model only, not to '\(name)'")
        }
    }
}
