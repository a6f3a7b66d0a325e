import ArgumentParser
import KinetoMedia
import KinetoPipeline

/// How a command encodes its output video, and how it reports: the options `interpolate`, `slowmo` and
/// `animate` share.
struct EncodingOptions: ParsableArguments {
    @Option(
        help:
            "Video codec: \(VideoCodecChoice.allCases.filter { $0 != .same }.map(\.rawValue).joined(separator: ", ")) (interpolate and slowmo also take same: the input's codec; default: vp9 for .webm, else h264)."
    )
    var codec: String?

    @Option(help: "Constant rate factor, lower is better (default: 18 for h264/h265, 30 for av1, 32 for vp9).")
    var crf: Int?

    @Option(help: "Encoder speed preset (x264/x265: ultrafast … veryslow, default medium).")
    var preset: String?

    @Option(help: "Encoder threads (default: the encoder decides).")
    var threads: Int = 0

    @Flag(help: "Replace OUTPUT if it exists (never an input).")
    var overwrite = false

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let crf, !(0...63).contains(crf) { throw ValidationError("--crf must be between 0 and 63") }
        if threads < 0 { throw ValidationError("--threads must not be negative") }
    }

    /// The chosen codec; `same` only where the command has an input video codec to keep. Without
    /// `--codec`, the one `output`'s container takes by default (VP9 for .webm, else H.264).
    func codecChoice(allowingSame: Bool = true, output: String? = nil) throws -> VideoCodecChoice {
        guard let codec else { return output.map(VideoCodecChoice.standard(forOutput:)) ?? .h264 }
        let allowed = VideoCodecChoice.allCases.filter { allowingSame || $0 != .same }
        guard let choice = VideoCodecChoice(rawValue: codec.lowercased()), allowed.contains(choice) else {
            throw PipelineError(
                .usage, "unknown codec '\(codec)'; use one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }

    /// Runs `body` with a progress printer (unless quiet) and a cancellation token that Ctrl-C and SIGTERM
    /// cancel; finishes the progress line afterwards.
    func withJobControls<T>(_ body: ((@Sendable (JobProgress) -> Void)?, CancellationToken) throws -> T) throws -> T {
        let cancellation = CancellationToken()
        let interrupt = InterruptWatcher(cancellation: cancellation)
        defer { interrupt.stop() }
        let printer = quiet ? nil : ProgressPrinter()
        let progress: (@Sendable (JobProgress) -> Void)? = printer.map { p in { @Sendable in p.report($0) } }
        let result = try body(progress, cancellation)
        printer?.finish()
        return result
    }
}
