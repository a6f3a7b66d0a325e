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
        let rate: TargetRate
        switch watch.job {
        case .interpolate:
            rate = watch.targetRate
        case .slowmo:
            throw PipelineError(.usage, "job = \"slowmo\" needs the pipeline's slow-motion mode, which this build does not have yet; use job = \"interpolate\"")
        }
        let method = try registry.method(named: watch.model)
        let job = InterpolationJob(input: request.input, output: request.output, targetRate: rate, method: method,
                                   codec: watch.codec, crf: watch.crf, preset: watch.preset,
                                   encoderThreads: encoderThreads, overwrite: false)
        let result = try JobRunner.run(job, progress: progress, cancellation: cancellation)
        return ExecutionResult(framesIn: result.framesIn, framesOut: result.framesOut,
                               elapsedSeconds: result.elapsedSeconds, warnings: result.warnings)
    }
}
