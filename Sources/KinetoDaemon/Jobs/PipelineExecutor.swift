import KinetoMedia
import KinetoPipeline
import KinetoPortrait

/// The real executor: runs the job through `KinetoPipeline.JobRunner` as a library call.
public struct PipelineExecutor: JobExecutor {
    public var registry: InterpolationMethodRegistry
    /// Encoder threads per job (0: the encoder decides).
    public var encoderThreads: Int

    public init(registry: InterpolationMethodRegistry = .standard, encoderThreads: Int = 0) {
        self.registry = registry
        self.encoderThreads = encoderThreads
    }

    public func run(
        _ request: ExecutionRequest, progress: @escaping @Sendable (JobProgress) -> Void,
        cancellation: CancellationToken
    ) throws -> ExecutionResult {
        let watch = request.watch
        if watch.job == .animate { return try animate(request, progress: progress, cancellation: cancellation) }
        let method = try registry.method(named: watch.model)
        var job = InterpolationJob(
            input: request.input, output: request.output, targetRate: watch.targetRate, method: method,
            interpolatorOptions: InterpolatorOptions(rifeScale: watch.rifeScale),
            codec: watch.codec, crf: watch.crf, preset: watch.preset,
            encoderThreads: encoderThreads, overwrite: false)
        switch watch.job {
        case .interpolate, .animate:
            break
        case .slowmo:
            // The whole video `factor` times longer at its own rate; audio dropped, as `kineto slowmo` does by default.
            guard let stretch = TimeStretch(factor: Rational(Int64(watch.factor))) else {
                throw PipelineError(.usage, "slow-motion factor \(watch.factor) is outside 1…64")
            }
            job.targetRate = .multiple(numerator: 1, denominator: 1)
            job.slowMotion = SlowMotion(stretch: stretch, audio: .drop)
        }
        let result = try JobRunner.run(job, progress: progress, cancellation: cancellation)
        return ExecutionResult(
            framesIn: result.framesIn, framesOut: result.framesOut,
            elapsedSeconds: result.elapsedSeconds, warnings: result.warnings)
    }

    /// The dropped video drives the watch's portrait (`kineto animate`, relative mode, the portrait's size).
    private func animate(
        _ request: ExecutionRequest, progress: @escaping @Sendable (JobProgress) -> Void,
        cancellation: CancellationToken
    ) throws -> ExecutionResult {
        guard let portrait = request.watch.portrait else {
            throw PipelineError(.usage, "watch '\(request.watch.name)' has job = \"animate\" but no portrait")
        }
        let watch = request.watch
        let job = PortraitAnimationJob(
            portrait: portrait, driving: request.input, output: request.output,
            codec: watch.codec, crf: watch.crf, preset: watch.preset,
            encoderThreads: encoderThreads, overwrite: false)
        let result = try PortraitAnimator.run(job, progress: progress, cancellation: cancellation)
        return ExecutionResult(
            framesIn: Int64(result.frames), framesOut: Int64(result.frames),
            elapsedSeconds: result.elapsedSeconds, warnings: result.warnings)
    }
}
