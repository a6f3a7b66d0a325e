import ArgumentParser
import Dispatch
import Foundation
import KinetoMedia
import KinetoPipeline

/// `kineto interpolate INPUT OUTPUT --fps RATE`: converts a video to another frame rate.
struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Convert a video to another frame rate, making the new frames with a model.",
        discussion: """
        The container follows OUTPUT's extension (.mp4, .mkv, .mov, .webm, .ts). Audio and subtitles are \
        copied (audio the container cannot hold is re-encoded). The output appears only when complete; \
        the input is never modified.

        Exit codes: 0 done, 64 usage error, 65 unusable input, 70 internal error, 73 output not writable, \
        130 interrupted.
        """
    )

    @Argument(help: "Input video file or URL (udp://…, http://…).")
    var input: String

    @Argument(help: "Output video file.")
    var output: String

    @Option(help: "Output frame rate: 60, 60000/1001, 29.97, or a multiple of the input's rate: 2x, 2.5x.")
    var fps: String

    @Option(help: "How new frames are made: \(InterpolationMethodRegistry.standard.names.joined(separator: ", ")) (default: rife when installed, else blend).")
    var model: String?

    @Option(help: "RIFE's scale: 0.25, 0.5, 1, 2, 4 (0.5 for 4K; 2 or 4 for small frames).")
    var scale: Double?

    @Option(help: "Video codec: \(VideoCodecChoice.allCases.map(\.rawValue).joined(separator: ", ")) (same: the input's codec).")
    var codec: String = "h264"

    @Option(help: "Constant rate factor, lower is better (default: 18 for h264/h265, 30 for av1).")
    var crf: Int?

    @Option(help: "Encoder speed preset (x264/x265: ultrafast … veryslow, default medium).")
    var preset: String?

    @Option(help: "Encoder threads (default: the encoder decides).")
    var threads: Int = 0

    @Option(help: "Model weights file or folder (models only).")
    var weights: String?

    @Option(help: "For stream inputs: seconds without data after which the stream counts as ended.")
    var networkTimeout: Double = 10

    @Flag(help: "Replace OUTPUT if it exists (never the input itself).")
    var overwrite = false

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let crf, !(0...63).contains(crf) { throw ValidationError("--crf must be between 0 and 63") }
        if threads < 0 { throw ValidationError("--threads must not be negative") }
        if !(networkTimeout > 0) { throw ValidationError("--network-timeout must be positive") }
    }

    func run() throws {
        do {
            let job = try makeJob()
            let cancellation = CancellationToken()
            let interrupt = InterruptWatcher(cancellation: cancellation)
            defer { interrupt.stop() }
            let printer = quiet ? nil : ProgressPrinter()
            let progress: (@Sendable (JobProgress) -> Void)? = printer.map { p in { @Sendable in p.report($0) } }
            let result = try JobRunner.run(job, progress: progress, cancellation: cancellation)
            printer?.finish()
            for warning in result.warnings { CommandFailure.printError("kineto: warning: \(warning)") }
            let interpolated = result.framesOut - result.framesPassedThrough
            print("\(result.output): \(result.framesOut) frames at \(result.outputRate) fps (\(interpolated) new) from \(result.framesIn) input frames, \(result.encoderName), in " + String(format: "%.1f s (%.1f fps)", result.elapsedSeconds, result.framesPerSecond))
        } catch {
            throw CommandFailure.exit(error)
        }
    }

    func makeJob() throws -> InterpolationJob {
        let rate = try TargetRate(parsing: fps)
        let method = try InterpolationMethodRegistry.standard.method(named: model ?? (InterpolationMethod.rifeIsInstalled ? "rife" : "blend"))
        guard let codecChoice = VideoCodecChoice(rawValue: codec.lowercased()) else {
            throw PipelineError(.usage, "unknown codec '\(codec)'; use one of \(VideoCodecChoice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return InterpolationJob(input: input, output: output, targetRate: rate, method: method,
                                interpolatorOptions: InterpolatorOptions(weightsPath: weights,
                                                                         settings: scale.map { ["scale": "\($0)"] } ?? [:]),
                                codec: codecChoice, crf: crf, preset: preset, encoderThreads: threads, overwrite: overwrite,
                                networkTimeout: networkTimeout)
    }
}

/// Turns Ctrl-C (SIGINT) and SIGTERM into cancelling the job, so the partial output is removed.
final class InterruptWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(cancellation: CancellationToken) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { cancellation.cancel() }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
