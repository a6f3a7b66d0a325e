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
        if let chunks = request.joining {
            let started = ContinuousClock.now
            func seconds() -> Double {
                let elapsed = ContinuousClock.now - started
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            // The join reports as it copies, so its lease stays alive however long the video.
            let joined = try JobRunner.join(job, chunks: chunks) { written in
                progress(
                    JobProgress(
                        framesIn: Int64(written), framesOut: Int64(written), totalFrames: nil,
                        elapsedSeconds: seconds()))
            }
            let frames = Int64(joined.videoPackets)
            progress(JobProgress(framesIn: frames, framesOut: frames, totalFrames: frames, elapsedSeconds: seconds()))
            return ExecutionResult(
                framesIn: frames, framesOut: frames, elapsedSeconds: seconds(), warnings: joined.warnings)
        }
        job.chunk = request.chunk
        let result = try JobRunner.run(job, progress: progress, cancellation: cancellation)
        return ExecutionResult(
            framesIn: result.framesIn, framesOut: result.framesOut,
            elapsedSeconds: result.elapsedSeconds, warnings: result.warnings)
    }

    public func planChunks(_ request: ExecutionRequest, chunkSeconds: Double) throws -> [ChunkRange]? {
        guard request.watch.job == .interpolate else { return nil }
        let job = InterpolationJob(
            input: request.input, output: request.output, targetRate: request.watch.targetRate,
            method: try registry.method(named: request.watch.model), codec: request.watch.codec)
        return try ChunkPlanner.plan(job, chunkSeconds: chunkSeconds)
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
