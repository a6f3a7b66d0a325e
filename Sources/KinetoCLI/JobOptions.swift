import ArgumentParser
import Foundation
import KinetoMedia
import KinetoPipeline

/// The options `interpolate` and `slowmo` share: how frames are made, how the output is encoded, and
/// how motion is analysed.
struct JobOptions: ParsableArguments {
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

    @Option(help: "Cut score (0–100) from which a frame starts a new scene and nothing is interpolated across it; 0: off.")
    var sceneThreshold: Double = MotionDetection.standard.cutThreshold

    @Option(help: "Difference (0–100) under which a frame repeats the previous one and is skipped; 0: off.")
    var duplicateThreshold: Double = MotionDetection.standard.duplicateThreshold

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
        if !(0...100).contains(sceneThreshold) { throw ValidationError("--scene-threshold must be between 0 and 100") }
        if !(0...100).contains(duplicateThreshold) { throw ValidationError("--duplicate-threshold must be between 0 and 100") }
    }

    func makeJob(input: String, output: String, rate: TargetRate) throws -> InterpolationJob {
        let method = try InterpolationMethodRegistry.standard.method(named: model ?? (InterpolationMethod.rifeIsInstalled ? "rife" : "blend"))
        guard let codecChoice = VideoCodecChoice(rawValue: codec.lowercased()) else {
            throw PipelineError(.usage, "unknown codec '\(codec)'; use one of \(VideoCodecChoice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var job = InterpolationJob(input: input, output: output, targetRate: rate, method: method,
                                   interpolatorOptions: InterpolatorOptions(weightsPath: weights,
                                                                            settings: scale.map { ["scale": "\($0)"] } ?? [:]),
                                   codec: codecChoice, crf: crf, preset: preset, encoderThreads: threads, overwrite: overwrite,
                                   networkTimeout: networkTimeout)
        job.motion = MotionDetection(cutThreshold: sceneThreshold, duplicateThreshold: duplicateThreshold,
                                     maxDuplicateRun: MotionDetection.standard.maxDuplicateRun)
        return job
    }

    /// Runs `job` with a progress line (unless quiet), Ctrl-C/SIGTERM cancelling it, and a summary.
    func run(_ job: InterpolationJob) throws {
        var job = job
        job.log = { CommandFailure.printError("kineto: \($0)") }
        let cancellation = CancellationToken()
        let interrupt = InterruptWatcher(cancellation: cancellation)
        defer { interrupt.stop() }
        let printer = quiet ? nil : ProgressPrinter()
        let progress: (@Sendable (JobProgress) -> Void)? = printer.map { p in { @Sendable in p.report($0) } }
        let result = try JobRunner.run(job, progress: progress, cancellation: cancellation)
        printer?.finish()
        for warning in result.warnings { CommandFailure.printError("kineto: warning: \(warning)") }
        let interpolated = result.framesOut - result.framesPassedThrough
        var notes: [String] = []
        if result.sceneCuts > 0 { notes.append("\(result.sceneCuts) scene cut\(result.sceneCuts == 1 ? "" : "s") not interpolated across") }
        if result.duplicatesSkipped > 0 { notes.append("\(result.duplicatesSkipped) repeated input frame\(result.duplicatesSkipped == 1 ? "" : "s") skipped") }
        notes.append("peak memory \(BenchModelsCommand.maxResidentMegabytes()) MB")
        if let lag = result.worstLiveLag { notes.append(String(format: "at most %.1f s behind the live input", lag)) }
        print("\(result.output): \(result.framesOut) frames at \(result.outputRate) fps (\(interpolated) new) from \(result.framesIn) input frames, \(result.encoderName), in " + String(format: "%.1f s (%.1f fps)", result.elapsedSeconds, result.framesPerSecond)
              + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")))
    }
}
