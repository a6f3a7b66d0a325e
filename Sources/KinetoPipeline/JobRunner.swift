import Dispatch
import Foundation
import KinetoEngine
import KinetoMedia
import KinetoModels

/// Runs an `InterpolationJob`: decode → schedule → interpolate → reorder → encode, each stage on its
/// own thread(s), joined by `BoundedQueue`s so a fast stage waits for a slow one and memory stays
/// bounded by the queue capacities (a few frames per queue), whatever the video's length.
///
/// Audio and subtitle packets travel through the same queues as the video work, numbered in input
/// order, so the writer receives everything in order. The first error in any stage stops every
/// stage and is thrown naming the stage; cancelling the token does the same and throws
/// `PipelineError.cancelled`. Either way the writer is aborted: no output file remains.
public enum JobRunner {
    /// Runs `job` on the calling thread (plus its worker threads) and returns when the output is in
    /// place. `progress` is called from the calling thread a few times a second and once at the end.
    /// Interpolation workers, and the threads each may use for its model (nil: the process-wide setting).
    /// `job.workers` when given; else 2 for `blend` (one frame each), and for models one worker using every core,
    /// unless the model makes several frames at once better (`InterpolationMethod.parallelFrames`: RIFE up to
    /// 720p) and the job is a file (a live input keeps each frame's latency low) whose model threads were not set.
    static func workers(for job: InterpolationJob, video: VideoStreamInfo, isLive: Bool) -> (count: Int, threads: Int?)
    {
        if let workers = job.workers { return (workers, nil) }
        switch job.method.engine {
        case .crossFade: return (2, nil)
        case .nearestFrame: return (1, nil)
        case .model:
            let cores = Parallel.maxThreads
            guard !isLive, job.interpolatorOptions.threads == 0, let parallel = job.method.parallelFrames else {
                return (1, nil)
            }
            let count = max(1, min(cores, parallel(video.width, video.height, cores)))
            return count == 1 ? (1, nil) : (count, max(1, cores / count))
        }
    }

    public static func run(
        _ job: InterpolationJob,
        progress: (@Sendable (JobProgress) -> Void)? = nil,
        cancellation: CancellationToken = CancellationToken()
    ) throws -> JobResult {
        let started = DispatchTime.now().uptimeNanoseconds
        if cancellation.isCancelled { throw PipelineError.cancelled }
        guard job.queueCapacity >= 1 else { throw PipelineError(.usage, "the queue capacity must be at least 1") }
        if let workers = job.workers, workers < 1 { throw PipelineError(.usage, "at least one worker is needed") }
        try job.method.check(job.interpolatorOptions)

        let reader: MediaReader
        do {
            // Slow motion without stretched audio carries no other stream: none would stay in sync.
            // A chunk is video only: the join takes the audio from the source, in one piece.
            let passthrough = job.chunk == nil && (job.slowMotion.map { $0.audio == .stretch } ?? true)
            var options = readerOptions(for: job, passthrough: passthrough)
            options.startPTS = job.chunk?.readFromPTS
            reader = try MediaReader(job.input, options: options)
        } catch {
            throw PipelineError(wrapping: error, stage: .open)
        }
        let info = reader.info
        guard let inputRate = JobRunner.nominalRate(of: info.video) else {
            throw PipelineError(
                .input, "\(job.input): the video stream states no frame rate; give --fps as a number (not a multiple)")
        }
        guard let rate = job.targetRate.resolved(inputRate: inputRate) else {
            throw PipelineError(.usage, "\(job.targetRate) of \(inputRate) fps is not a usable frame rate")
        }
        guard FrameRate.usableRange.contains(rate.framesPerSecond) else {
            throw PipelineError(
                .usage,
                String(
                    format: "an output rate of %g fps (--fps %@) is out of range; frame rates from 1 to 1000 fps work",
                    rate.framesPerSecond, job.targetRate.description))
        }

        // Interpolators are made before the output is created, so a missing model file fails fast. A live
        // input also gets the model's cheaper settings, one interpolator each, to fall back on.
        let isLive = reader.isNetworkSource && job.adaptsToLiveInput
        let (workerCount, threadsPerWorker) = JobRunner.workers(for: job, video: info.video, isLive: isLive)
        var interpolators: [[any FrameInterpolator]] = Array(repeating: [], count: workerCount)
        var modelOptions = [job.interpolatorOptions]
        var policy = TimestepPolicy.arbitrary
        if case .model(let make) = job.method.engine {
            if isLive, let cheaper = job.method.cheaper {
                while let next = cheaper(modelOptions[modelOptions.count - 1]) { modelOptions.append(next) }
            }
            do {
                interpolators[0] = try modelOptions.map { try make($0) }
                // Further workers share the first one's weights (and what else the model can share) where it can.
                for i in 1..<max(1, workerCount) {
                    interpolators[i] = try interpolators[0].enumerated().map { index, model in
                        try model.sibling() ?? make(modelOptions[index])
                    }
                }
            } catch let error as PipelineError {
                throw error
            } catch {
                throw PipelineError(
                    .usage, "cannot load the '\(job.method.name)' model: \(error)", stage: .open,
                    underlying: error)
            }
            if interpolators[0].first?.supportsArbitraryTimestep == false { policy = .midpointsOnly }
        }

        let timeBase = reader.info.video.timeBase
        guard timeBase.numerator > 0, timeBase.denominator > 0 else {
            throw PipelineError(.input, "\(job.input): the video stream has an invalid time base \(timeBase)")
        }
        if job.chunk != nil && (job.slowMotion != nil || reader.isNetworkSource) {
            throw PipelineError(
                .usage, "\(job.input): only a file converted without slow motion can be split into chunks")
        }
        var clock: StretchedClock?
        if let slow = job.slowMotion {
            if reader.isNetworkSource {
                throw PipelineError(
                    .usage, "\(job.input): slow motion needs a file; a live stream cannot be slowed down")
            }
            let origin = Int64(
                ((info.startTime ?? 0) * Double(timeBase.denominator) / Double(timeBase.numerator)).rounded())
            clock = StretchedClock(slow.stretch, timeBase: timeBase, origin: origin, outputRate: rate)
        }
        guard
            let schedule = FrameSchedule(
                timeBaseNumerator: timeBase.numerator,
                timeBaseDenominator: timeBase.denominator * (clock?.q ?? 1),
                rate: rate, policy: policy, window: job.chunk?.window)
        else {
            throw PipelineError(.input, "\(job.input): the video stream has an invalid time base \(timeBase)")
        }
        var totalFrames = expectedFrames(
            info: info, rate: rate, isNetwork: reader.isNetworkSource, stretch: job.slowMotion?.stretch)
        if let chunk = job.chunk {
            totalFrames = chunk.window.count ?? totalFrames.map { max(1, $0 - chunk.window.first) }
        }

        let writer: MediaWriter
        do {
            let settings = VideoEncoderSettings(
                codec: job.codec, crf: job.crf, preset: job.preset,
                frameRate: Rational(rate.frames, rate.seconds), threads: job.encoderThreads)
            let stretch = job.slowMotion.flatMap { $0.audio == .stretch ? clock?.stretch : nil }
            writer = try MediaWriter(
                destination: job.output, settings: settings, source: reader, overwrite: job.overwrite,
                stretch: stretch, chapterStretch: clock?.stretch)
        } catch {
            throw PipelineError(wrapping: error, stage: .open)
        }
        if case .crossFade = job.method.engine, !FrameBlender.canBlend(writer.pixelFormat) {
            writer.abort()
            throw PipelineError(
                .usage,
                "\(job.output): blend cannot mix frames in pixel format \(writer.pixelFormatName); use --model repeat or another --codec"
            )
        }

        var governor: LiveQualityGovernor?
        if isLive {
            var levels: [LiveQualityGovernor.Level] = []
            if case .model = job.method.engine {
                for (index, options) in modelOptions.enumerated() {
                    levels.append(.model(index: index, label: job.method.name + options.label))
                }
            }
            switch job.method.engine {
            case .model, .crossFade:
                if FrameBlender.canBlend(writer.pixelFormat) { levels.append(.crossFade) }
                levels.append(.nearestFrame)
            case .nearestFrame:
                break
            }
            if levels.count > 1 { governor = LiveQualityGovernor(levels: levels) }
        }

        let run = PipelineRun(
            job: job, reader: reader, writer: writer, rate: rate, workerCount: workerCount,
            threadsPerWorker: threadsPerWorker,
            interpolators: interpolators, clock: clock, governor: governor, cancellation: cancellation)
        let outcome = run.execute(schedule: schedule, totalFrames: totalFrames, started: started, progress: progress)
        if let failure = outcome.failure {
            writer.abort()
            throw failure
        }
        if cancellation.isCancelled {
            writer.abort()
            throw PipelineError.cancelled
        }
        if outcome.framesOut == 0 {
            writer.abort()
            let damage = reader.damage.isClean ? "" : " (\(reader.damage.summary))"
            throw PipelineError(
                .input, "\(job.input): no video frame could be decoded\(damage); nothing was written", stage: .decode)
        }
        do {
            try writer.finish()
        } catch {
            throw PipelineError(wrapping: error, stage: .finish)
        }
        var warnings = writer.warnings
        if !reader.damage.isClean {
            warnings.append("\(job.input): damaged input, \(reader.damage.summary); every decodable frame was used")
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let result = JobResult(
            output: job.output, inputInfo: info, outputRate: rate, framesIn: outcome.framesIn,
            framesOut: outcome.framesOut, framesPassedThrough: outcome.framesPassedThrough,
            damage: reader.damage, warnings: warnings, elapsedSeconds: elapsed, encoderName: writer.encoderName,
            sceneCuts: outcome.sceneCuts, duplicatesSkipped: outcome.duplicatesSkipped,
            events: governor?.events ?? [], worstLiveLag: governor?.worstLag,
            adjustments: reader.adjustments + writer.adjustments)
        progress?(
            JobProgress(
                framesIn: outcome.framesIn, framesOut: outcome.framesOut,
                totalFrames: outcome.framesOut, elapsedSeconds: elapsed))
        return result
    }

    /// The input's rate that multiples (`2x`) apply to: the stream's base rate (`r_frame_rate`, exact
    /// like 24000/1001) when the average agrees with it within 0.5% (containers often state the average
    /// rounded, 5994/250), else the average (variable frame rate: the base rate is then a common
    /// multiple of the frame gaps, not the rate the video plays at).
    static func nominalRate(of video: VideoStreamInfo) -> FrameRate? {
        let base = FrameRate(video.frameRate)
        let average = FrameRate(video.averageFrameRate)
        guard let base else { return average }
        guard let average else { return base }
        return abs(average.framesPerSecond / base.framesPerSecond - 1) <= 0.005 ? base : average
    }

    /// Output frames for the input's stated duration (nil for live streams and unknown durations).
    static func expectedFrames(info: MediaInfo, rate: FrameRate, isNetwork: Bool, stretch: TimeStretch? = nil) -> Int64?
    {
        guard !isNetwork, let duration = info.video.duration ?? info.duration, duration > 0 else { return nil }
        let length = stretch?.stretchedDuration(duration) ?? duration
        return Int64((length * rate.framesPerSecond).rounded(.up))
    }
}

extension FrameRate {
    /// The rate of an exact rational, when positive.
    init?(_ rational: Rational?) {
        guard let rational, rational.numerator > 0, rational.denominator > 0 else { return nil }
        self.init(frames: rational.numerator, seconds: rational.denominator)
    }
}

extension PipelineError {
    /// A pipeline error for anything a stage threw: media errors keep their message (which names the
    /// file) and get the code their kind implies; pipeline errors pass through.
    public init(wrapping error: any Error, stage: Stage? = nil) {
        if let error = error as? PipelineError {
            self = error
            if self.stage == nil { self.stage = stage }
            return
        }
        guard let media = error as? MediaError else {
            self.init(.internal, "\(error)", stage: stage, underlying: error)
            return
        }
        let code: Code
        switch media.kind {
        case .fileNotFound, .emptyFile, .notMedia, .noVideoStream, .unsupportedCodec, .truncated, .corrupt, .network:
            code = .input
        case .unwritableDestination, .diskFull, .sameAsInput, .outputExists:
            code = .output
        case .unsupportedEncoder, .invalidArgument:
            // While opening, these are the user's choices (codec, container); later they are bugs.
            code = stage == nil || stage == .open ? .usage : .internal
        case .internalFailure:
            code = .internal
        }
        self.init(code, media.description, stage: stage, underlying: media)
    }
}
