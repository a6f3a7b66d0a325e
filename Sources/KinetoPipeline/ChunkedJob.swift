import KinetoMedia

/// One chunk of a long job: the outputs of `window` on the full job's grid, decoded from the keyframe
/// at `readFromPTS` (nil: from the start). The keyframe lies before the window, so the frames before
/// its first output settle what the schedule remembers (scene-cut scores, repeated frames, the
/// deinterlacer's fields) as the full run has them there; their outputs are not made.
public struct ChunkRange: Sendable, Hashable, Codable {
    public var index: Int
    public var readFromPTS: Int64?
    public var window: OutputWindow

    public init(index: Int, readFromPTS: Int64?, window: OutputWindow) {
        self.index = index
        self.readFromPTS = readFromPTS
        self.window = window
    }
}

/// Splits a long job into chunks that workers can make independently and `JobRunner.join` joins
/// into the very file a single run makes (same frames, same timestamps, the source's audio).
public enum ChunkPlanner {
    /// Chunks of about `chunkSeconds` of input, cut at the keyframes nearest each multiple of it; nil when
    /// the input is not longer than `chunkSeconds` (or cannot be chunked: a stream, slow motion).
    public static func plan(_ job: InterpolationJob, chunkSeconds: Double) throws -> [ChunkRange]? {
        guard chunkSeconds > 0, job.slowMotion == nil, !job.input.contains("://")
        else { return nil }
        let setup = try Setup(job)
        let tick = setup.timeBase.doubleValue
        let end = setup.endPTS
        guard Double(end - setup.originPTS) * tick > chunkSeconds else { return nil }
        let step = Int64((chunkSeconds / tick).rounded())
        var boundaries: [Int64] = []
        var target = setup.originPTS + step
        // The last chunk is at least half a chunk long: a short tail joins the chunk before it.
        while target + step / 2 < end {
            let last = boundaries.last ?? setup.originPTS
            let candidates = setup.keyframes.filter { $0 > last + step / 2 && $0 + step / 2 < end }
            guard let nearest = candidates.min(by: { abs($0 - target) < abs($1 - target) }) else { break }
            boundaries.append(nearest)
            target = nearest + step
        }
        guard !boundaries.isEmpty else { return nil }
        return setup.chunks(at: boundaries)
    }

    /// Chunks that begin at the given keyframe timestamps (video time base), in order.
    public static func plan(_ job: InterpolationJob, boundaries: [Int64]) throws -> [ChunkRange] {
        let setup = try Setup(job)
        for boundary in boundaries where !setup.keyframes.contains(boundary) {
            throw PipelineError(
                .usage, "\(job.input): timestamp \(boundary) is not a keyframe; chunks start at keyframes")
        }
        return setup.chunks(at: boundaries)
    }

    /// What planning needs to know of the input: its first frame, keyframes, end and output grid.
    private struct Setup {
        let originPTS: Int64
        let endPTS: Int64
        let keyframes: [Int64]
        let timeBase: Rational
        let schedule: FrameSchedule

        init(_ job: InterpolationJob) throws {
            let reader: MediaReader
            do {
                reader = try MediaReader(job.input, options: JobRunner.readerOptions(for: job, passthrough: false))
            } catch {
                throw PipelineError(wrapping: error, stage: .open)
            }
            let info = reader.info
            timeBase = info.video.timeBase
            guard let inputRate = JobRunner.nominalRate(of: info.video),
                let rate = job.targetRate.resolved(inputRate: inputRate),
                let schedule = FrameSchedule(
                    timeBaseNumerator: timeBase.numerator, timeBaseDenominator: timeBase.denominator, rate: rate)
            else {
                throw PipelineError(.input, "\(job.input): no usable frame rate or time base to plan chunks on")
            }
            self.schedule = schedule
            // The grid starts at the first frame the pipeline sees: the reader's, as it gives it.
            guard let first = try reader.nextVideoFrame() else {
                throw PipelineError(.input, "\(job.input): no video frame could be decoded", stage: .decode)
            }
            originPTS = first.pts
            do {
                keyframes = try KeyframeIndex.keyframes(of: job.input)
            } catch {
                throw PipelineError(wrapping: error, stage: .open)
            }
            let seconds = info.video.duration ?? info.duration ?? 0
            endPTS = originPTS + Int64((seconds / timeBase.doubleValue).rounded())
        }

        /// Chunk `i` makes the outputs from the first one at or after boundary `i - 1` up to the next
        /// chunk's first; it reads from the keyframe before its boundary.
        func chunks(at boundaries: [Int64]) -> [ChunkRange] {
            var starts: [(first: Int64, readFrom: Int64?)] = [(0, nil)]
            for boundary in boundaries.sorted() {
                let first = schedule.firstOutputIndex(atOrAfter: boundary, originPTS: originPTS)
                guard first > starts[starts.count - 1].first else { continue }
                let before = keyframes.last { $0 < boundary }
                starts.append((first, before ?? boundary))
            }
            return starts.enumerated().map { index, start in
                let end = index + 1 < starts.count ? starts[index + 1].first : nil
                return ChunkRange(
                    index: index, readFromPTS: start.readFrom,
                    window: OutputWindow(originPTS: originPTS, first: start.first, end: end))
            }
        }
    }
}

extension JobRunner {
    /// The reader settings a job's input is read with (by its run, its chunks and their join alike).
    static func readerOptions(for job: InterpolationJob, passthrough: Bool) -> ReaderOptions {
        var options = ReaderOptions(
            passthrough: passthrough, networkTimeout: job.networkTimeout, decoderThreads: job.decoderThreads)
        options.imageSequenceRate = job.imageSequenceRate.map { Rational($0.frames, $0.seconds) }
        options.deinterlacing = job.deinterlacing
        options.uprightPixels = !MediaWriter.containerKeepsRotation(destination: job.output)
        return options
    }

    /// Joins the chunk files of `job` (made by running it with each of its `ChunkRange`s, in order) into
    /// `job.output` by stream copy, adding the source's audio and subtitles as a single run does.
    public static func join(
        _ job: InterpolationJob, chunks: [String], progress: ((_ framesWritten: Int) -> Void)? = nil
    ) throws -> ChunkJoiner.Result {
        let rate: FrameRate
        do {
            let probe = try MediaReader(job.input, options: readerOptions(for: job, passthrough: false))
            guard let inputRate = nominalRate(of: probe.info.video),
                let resolved = job.targetRate.resolved(inputRate: inputRate)
            else {
                throw PipelineError(.input, "\(job.input): the video stream states no usable frame rate")
            }
            rate = resolved
        } catch {
            throw PipelineError(wrapping: error, stage: .open)
        }
        let settings = VideoEncoderSettings(
            codec: job.codec, crf: job.crf, preset: job.preset, frameRate: Rational(rate.frames, rate.seconds),
            threads: job.encoderThreads)
        do {
            return try ChunkJoiner.join(
                chunks: chunks, source: job.input, sourceOptions: readerOptions(for: job, passthrough: true),
                destination: job.output, settings: settings, overwrite: job.overwrite, progress: progress)
        } catch {
            throw PipelineError(wrapping: error, stage: .finish)
        }
    }
}
