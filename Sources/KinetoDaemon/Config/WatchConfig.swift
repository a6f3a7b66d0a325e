import Foundation
import KinetoMedia
import KinetoModels
import KinetoPipeline

/// One `[[watch]]` entry: a folder whose new videos become jobs, and what the jobs do.
public struct WatchConfig: Sendable, Equatable {
    /// A short name for logs and the API (default: the input folder's last component).
    public var name: String
    /// The watched folder (absolute, symlinks resolved). Only its top level is watched.
    public var input: String
    /// Where finished videos appear (never inside or equal to a watched folder).
    public var output: String
    /// Where failed jobs' `NAME.error.json` reports go (never inside the input folder).
    public var quarantine: String
    public var job: JobKind
    /// The `fps` text as written (`2x`, `60`, `60000/1001`), for display.
    public var fps: String
    /// The parsed rate (interpolate jobs).
    public var targetRate: TargetRate
    /// Interpolation method name (`rife`, `blend`, …), checked against the pipeline's registry.
    public var model: String
    /// RIFE's scale for this watch's jobs (nil: full detail; 0.5 for 4K sources).
    public var rifeScale: RIFEScale?
    /// Slow-motion factor (slowmo jobs): output frames per input frame, at the input's rate.
    public var factor: Int
    /// The still portrait that animate jobs bring to life (absolute path).
    public var portrait: String?
    public var codec: VideoCodecChoice
    public var crf: Int?
    public var preset: String?
    /// Output container extension, without the dot (`mp4`, `mkv`, `mov`, `webm`).
    public var container: String
    /// Case-insensitive globs a file name must match to be taken.
    public var patterns: [String]
    /// Seconds a file's size and modification time must stay unchanged before it is taken.
    public var stableSeconds: Double
    public var afterSuccess: AfterSuccess
    /// Seconds between full rescans of the input folder (inotify events are only hints).
    public var rescanSeconds: Double
    /// Labels a worker must have to take this watch's jobs (`["big-ram"]` for 4K).
    public var requiredLabels: [String] = []
    /// When this watch's jobs may start (nil: always).
    public var hours: TimeWindow?
    /// Videos longer than this many seconds are split into chunks that any worker can make, then joined
    /// (interpolate jobs; nil: never split).
    public var chunkSeconds: Double?

    /// Whether a worker with `labels` may take this watch's jobs at `date`.
    public func admits(labels: [String], at date: Date = Date()) -> Bool {
        requiredLabels.allSatisfy(labels.contains) && (hours?.isOpen(at: date) ?? true)
    }

    /// Video extensions taken when `patterns` is not set.
    public static let defaultPatterns = [
        "*.mp4", "*.m4v", "*.mkv", "*.mov", "*.avi", "*.webm", "*.ts", "*.mts", "*.m2ts",
        "*.mpg", "*.mpeg", "*.wmv", "*.flv", "*.3gp", "*.ogv", "*.y4m",
    ]

    public init(
        name: String, input: String, output: String, quarantine: String, job: JobKind = .interpolate,
        fps: String = "2x", model: String = "blend", factor: Int = 2, codec: VideoCodecChoice = .h264,
        crf: Int? = nil, preset: String? = nil, container: String = "mp4",
        patterns: [String] = WatchConfig.defaultPatterns, stableSeconds: Double = 10,
        afterSuccess: AfterSuccess = .keep, rescanSeconds: Double = 60, portrait: String? = nil
    ) throws {
        self.portrait = portrait
        self.name = name
        self.input = input
        self.output = output
        self.quarantine = quarantine
        self.job = job
        self.fps = fps
        self.targetRate = try TargetRate(parsing: fps)
        self.model = model
        self.factor = factor
        self.codec = codec
        self.crf = crf
        self.preset = preset
        self.container = container
        self.patterns = patterns
        self.stableSeconds = stableSeconds
        self.afterSuccess = afterSuccess
        self.rescanSeconds = rescanSeconds
    }

    /// Whether `fileName` is one this watch takes: matches a pattern and is not a hidden, partial or
    /// temporary file (dotfiles — Kineto's own `.NAME.kineto-partial*` among them —, `*.part`, `*.tmp`,
    /// `*.crdownload`, `*.error.json` reports).
    public func accepts(fileName: String) -> Bool {
        if FileNameFilter.isIgnored(fileName) { return false }
        return patterns.contains { Glob.matches($0, fileName, caseInsensitive: true) }
    }
}
