import ArgumentParser
import Foundation
import KinetoEngine
import KinetoMedia
import KinetoModels
import KinetoPipeline

/// The options `interpolate` and `slowmo` share: how frames are made, how the output is encoded, and
/// how motion is analysed.
struct JobOptions: ParsableArguments {
    @Option(
        help:
            "How new frames are made: \(InterpolationMethodRegistry.standard.names.joined(separator: ", ")) (default: rife when installed, else blend)."
    )
    var model: String?

    @Option(
        help: "RIFE's scale: 0.25, 0.5, 1, 2, 4 (0.5 for 4K; 2 or 4 for small frames).",
        transform: { try RIFEScale(parsing: $0) })
    var scale: RIFEScale?

    @Option(help: "Model weights file or folder (models only).")
    var weights: String?

    @Option(
        help: "Cut score (0–100) from which a frame starts a new scene and nothing is interpolated across it; 0: off.")
    var sceneThreshold: Double = MotionDetection.standard.cutThreshold

    @Option(help: "Difference (0–100) under which a frame repeats the previous one and is skipped; 0: off.")
    var duplicateThreshold: Double = MotionDetection.standard.duplicateThreshold

    @Option(
        help:
            "Interlaced input: frame (deinterlace with bwdif, default), field (one frame per field: twice the rate), refuse, or off (interpolate the woven fields as they are)."
    )
    var deinterlace: String = Deinterlacing.frameRate.rawValue

    @Option(help: "For image-sequence inputs (frames/%04d.png): their frame rate (default 25).")
    var inputFps: String?

    @Option(help: "For stream inputs: seconds without data after which the stream counts as ended.")
    var networkTimeout: Double = 10

    @OptionGroup var encoding: EncodingOptions

    func validate() throws {
        if !(networkTimeout > 0) { throw ValidationError("--network-timeout must be positive") }
        if !(0...100).contains(sceneThreshold) { throw ValidationError("--scene-threshold must be between 0 and 100") }
        if !(0...100).contains(duplicateThreshold) {
            throw ValidationError("--duplicate-threshold must be between 0 and 100")
        }
    }

    func makeJob(input: String, output: String, rate: TargetRate) throws -> InterpolationJob {
        let method = try InterpolationMethodRegistry.standard.method(
            named: model ?? (InterpolationMethod.rifeIsInstalled ? "rife" : "blend"))
        var job = InterpolationJob(
            input: input, output: output, targetRate: rate, method: method,
            interpolatorOptions: InterpolatorOptions(weightsPath: weights, rifeScale: scale),
            codec: try encoding.codecChoice(output: output), crf: encoding.crf, preset: encoding.preset,
            encoderThreads: encoding.threads, overwrite: encoding.overwrite,
            networkTimeout: networkTimeout)
        switch deinterlace.lowercased() {
        case "off": job.deinterlacing = .keep
        case let name:
            guard let choice = Deinterlacing(rawValue: name), choice != .keep else {
                throw PipelineError(.usage, "--deinterlace must be frame, field, refuse or off, not '\(deinterlace)'")
            }
            job.deinterlacing = choice
        }
        if let inputFps {
            let parsed = try TargetRate(parsing: inputFps)
            guard case .fixed(let inputRate) = parsed else {
                throw PipelineError(.usage, "--input-fps must be a rate (25, 30000/1001), not a multiple")
            }
            guard FrameRate.usableRange.contains(inputRate.framesPerSecond) else {
                throw PipelineError(
                    .usage, "--input-fps \(inputFps) is out of range; frame rates from 1 to 1000 fps work")
            }
            job.imageSequenceRate = inputRate
        }
        job.motion = MotionDetection(
            cutThreshold: sceneThreshold, duplicateThreshold: duplicateThreshold,
            maxDuplicateRun: MotionDetection.standard.maxDuplicateRun)
        return job
    }

    /// Runs `job` with a progress line (unless quiet), Ctrl-C/SIGTERM cancelling it, and a summary.
    func run(_ job: InterpolationJob) throws {
        var job = job
        job.log = { CommandFailure.printError("kineto: \($0)") }
        let result = try encoding.withJobControls { progress, cancellation in
            try JobRunner.run(job, progress: progress, cancellation: cancellation)
        }
        for warning in result.warnings { CommandFailure.printError("kineto: warning: \(warning)") }
        let interpolated = result.framesOut - result.framesPassedThrough
        var notes: [String] = []
        if result.sceneCuts > 0 {
            notes.append("\(result.sceneCuts) scene cut\(result.sceneCuts == 1 ? "" : "s") not interpolated across")
        }
        if result.duplicatesSkipped > 0 {
            notes.append(
                "\(result.duplicatesSkipped) repeated input frame\(result.duplicatesSkipped == 1 ? "" : "s") skipped")
        }
        if let peak = ProcessStatistics.peakResidentMegabytes { notes.append("peak memory \(peak) MB") }
        notes.append(contentsOf: result.adjustments)
        if let lag = result.worstLiveLag { notes.append(String(format: "at most %.1f s behind the live input", lag)) }
        print(
            "\(result.output): \(result.framesOut) frames at \(result.outputRate) fps (\(interpolated) new) from \(result.framesIn) input frames, \(result.encoderName), in "
                + String(format: "%.1f s (%.1f fps)", result.elapsedSeconds, result.framesPerSecond)
                + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")))
    }
}
