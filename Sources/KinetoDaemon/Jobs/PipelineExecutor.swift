import KinetoMedia
import KinetoPipeline

/// The real executor: runs the job through `KinetoPipeline.JobRunner` as a library call.
public struct PipelineExecutor: JobExecutor {
    public var registry: InterpolationMethodRegistry
    /// Encoder threads per job (0: the encoder decides).
    public var encoderThreads: Int

    public init(registry: InterpolationMethodRegistry = .standard, encoderThreads: Int = 0) {
        self.registry = registry
        self.encoderThreads = encoderThreads
    }

    public func run(_ request: ExecutionRequest, progress: @escaping @Sendable (JobProgress) -> Void,
                    cancellation: CancellationToken) throws -> ExecutionResult {
        let watch = request.watch
        let method = try registry.method(named: watch.model)
        var job = InterpolationJob(input: request.input, output: request.output, targetRate: watch.targetRate, method: method,
                                   codec: watch.codec, crf: watch.crf, preset: watch.preset,
                                   encoderThreads: encoderThreads, overwrite: false)
        switch watch.job {
        case .interpolate:
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
        return ExecutionResult(framesIn: result.framesIn, framesOut: result.framesOut,
                               elapsedSeconds: result.elapsedSeconds, warnings: result.warnings)
    }
}
