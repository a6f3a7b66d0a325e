import Dispatch
import Foundation
import KinetoEngine
import KinetoMedia
import KinetoModels

/// The threads and queues of one running job (see `JobRunner`).
///
/// Stages and their threads:
///   decode (1)      `MediaReader.next()` → `decoded`
///   schedule (1)    `FrameSchedule` → numbered work items (one per input frame pair, or one packet) → `work`
///   interpolate (N) work item → output frames → `results`
///   encode (caller) reorders results by number → `MediaWriter`
/// The reader is touched only by the decode thread and the writer only by the encode thread.
///
/// Each queue holds at most `job.queueCapacity` items and at most `queueByteLimit` bytes of pictures, so a
/// 4K job keeps one or two big frames in flight where a 1080p job keeps its four.
final class PipelineRun: @unchecked Sendable {
    /// Bytes of pictures one queue may hold. A float RGB frame is 25 MB at 1080p (the item counts apply) and
    /// 100 MB at 4K (one item a queue).
    static let queueByteLimit = 128 << 20

    struct Outcome {
        var failure: PipelineError?
        var framesIn: Int64 = 0
        var framesOut: Int64 = 0
        var framesPassedThrough: Int64 = 0
        var sceneCuts: Int64 = 0
        var duplicatesSkipped: Int64 = 0
    }

    /// An input frame shared by the work items of the two pairs it belongs to. Its RGB version
    /// (for models) is made once, by whichever worker needs it first.
    final class InputFrame: @unchecked Sendable {
        let frame: VideoFrame
        let ordinal: Int64
        private let lock = NSLock()
        private var rgb: RGBImage?
        private var alpha: [Float]??

        init(frame: VideoFrame, ordinal: Int64) {
            self.frame = frame
            self.ordinal = ordinal
        }

        func rgbImage(using converter: FrameConverter) throws -> RGBImage {
            lock.lock()
            defer { lock.unlock() }
            if let rgb { return rgb }
            let image = try converter.rgbImage(from: frame)
            rgb = image
            return image
        }

        /// The frame's alpha plane for models (nil when its format has none), made once.
        func alphaPlane(using converter: FrameConverter) throws -> [Float]? {
            lock.lock()
            defer { lock.unlock() }
            if let alpha { return alpha }
            let plane = try converter.alphaPlane(from: frame)
            alpha = .some(plane)
            return plane
        }
    }

    /// One unit of work, numbered in input order.
    enum WorkItem {
        case packet(sequence: Int64, PassthroughPacket)
        /// The outputs between `first` and `second` (nil after the last frame: the tail holding it).
        /// `interpolates` is false across a scene cut and over a held (repeated) picture: the nearest
        /// frame is shown instead of a made one.
        case frames(
            sequence: Int64, first: InputFrame, second: InputFrame?, outputs: [ScheduledFrame], interpolates: Bool)
    }

    /// An output frame, or a model's picture still to be converted to one (by the encode thread, so
    /// the conversion overlaps the next inference instead of delaying it).
    enum OutputFrame {
        case frame(VideoFrame)
        case picture(RGBImage, alpha: [Float]?, like: VideoFrame, pts: Int64)
    }

    /// A finished unit, still numbered so the encoder can restore input order.
    struct WorkResult {
        enum Payload {
            case packet(PassthroughPacket)
            case frames([OutputFrame], passedThrough: Int64)
        }
        let sequence: Int64
        let payload: Payload
    }

    let job: InterpolationJob
    let reader: MediaReader
    let writer: MediaWriter
    let outputTimeBase: Rational
    let workerCount: Int
    /// Threads each worker's model may use (nil: the process-wide `Parallel.maxThreads`).
    let threadsPerWorker: Int?
    /// Per worker (an interpolator serves one thread), for `.model` methods: the model at each of its
    /// settings, best first (more than one only for live inputs); empty otherwise.
    let interpolators: [[any FrameInterpolator]]
    /// For live inputs: the quality level to work at.
    let governor: LiveQualityGovernor?
    let cancellation: CancellationToken
    /// Slow motion's re-timing of input timestamps (nil: none).
    let clock: StretchedClock?

    let decoded: BoundedQueue<MediaEvent>
    let work: BoundedQueue<WorkItem>
    let results: BoundedQueue<WorkResult>

    private let lock = NSLock()
    private var firstFailure: PipelineError?
    private var framesIn: Int64 = 0
    private var workersRunning: Int
    private var sceneCuts: Int64 = 0
    /// When the first video frame came in (the live clock's zero).
    private var firstFrameDecoded: UInt64?
    private var duplicatesSkipped: Int64 = 0

    init(
        job: InterpolationJob, reader: MediaReader, writer: MediaWriter, rate: FrameRate, workerCount: Int,
        threadsPerWorker: Int?,
        interpolators: [[any FrameInterpolator]], clock: StretchedClock?, governor: LiveQualityGovernor?,
        cancellation: CancellationToken
    ) {
        self.clock = clock
        self.governor = governor
        self.job = job
        self.reader = reader
        self.writer = writer
        self.outputTimeBase = Rational(rate.seconds, rate.frames)
        self.workerCount = workerCount
        self.threadsPerWorker = threadsPerWorker
        self.interpolators = interpolators
        self.cancellation = cancellation
        decoded = BoundedQueue(capacity: job.queueCapacity, byteLimit: Self.queueByteLimit) { event in
            if case .video(let frame) = event { frame.byteCount } else { 0 }
        }
        let modelInput: Bool
        if case .model = job.method.engine { modelInput = true } else { modelInput = false }
        work = BoundedQueue(capacity: max(job.queueCapacity, 2 * workerCount), byteLimit: Self.queueByteLimit) {
            $0.bytes(modelInput: modelInput)
        }
        results = BoundedQueue(capacity: max(job.queueCapacity, 2 * workerCount), byteLimit: Self.queueByteLimit) {
            $0.bytes
        }
        workersRunning = workerCount
    }

    /// Runs every stage; returns when all threads have stopped.
    func execute(
        schedule: FrameSchedule, totalFrames: Int64?, started: UInt64,
        progress: (@Sendable (JobProgress) -> Void)?
    ) -> Outcome {
        let handler = cancellation.onCancel { [self] in stopAll() }
        defer { cancellation.removeHandler(handler) }
        let group = DispatchGroup()
        func spawn(_ name: String, _ body: @escaping () -> Void) {
            group.enter()
            let thread = Thread {
                body()
                group.leave()
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
        spawn("kineto.decode") { self.decodeStage() }
        spawn("kineto.schedule") { self.scheduleStage(schedule) }
        for index in 0..<workerCount {
            spawn("kineto.interpolate.\(index)") {
                if let threads = self.threadsPerWorker {
                    Parallel.withMaxThreads(threads) { self.interpolateStage(worker: index) }
                } else {
                    self.interpolateStage(worker: index)
                }
            }
        }
        var outcome = encodeStage(totalFrames: totalFrames, started: started, progress: progress)
        group.wait()
        lock.lock()
        outcome.failure = firstFailure
        outcome.framesIn = framesIn
        outcome.sceneCuts = sceneCuts
        outcome.duplicatesSkipped = duplicatesSkipped
        lock.unlock()
        return outcome
    }

    // MARK: - Failure

    /// Records the first failure (with its stage) and stops every stage.
    private func fail(_ error: any Error, stage: PipelineError.Stage) {
        lock.lock()
        if firstFailure == nil && !cancellation.isCancelled {
            firstFailure = PipelineError(wrapping: error, stage: stage)
        }
        lock.unlock()
        stopAll()
    }

    private func stopAll() {
        decoded.cancel()
        work.cancel()
        results.cancel()
    }

    // MARK: - Stages

    private func decodeStage() {
        do {
            while !cancellation.isCancelled, let event = try reader.next() {
                if case .video = event {
                    lock.lock()
                    framesIn += 1
                    if firstFrameDecoded == nil { firstFrameDecoded = DispatchTime.now().uptimeNanoseconds }
                    lock.unlock()
                }
                guard decoded.push(event) else { return }
            }
            decoded.close()
        } catch {
            fail(error, stage: .decode)
        }
    }

    private func scheduleStage(_ initial: FrameSchedule) {
        var schedule = initial
        var sequence: Int64 = 0
        var previous: InputFrame?
        /// The last repeat of `previous` skipped so far, kept in case the run turns out to be a hold.
        var heldRepeat: (frame: VideoFrame, run: Int)?
        var endPTS: Int64?
        let converter = FrameConverter()
        let thumbnails = LumaThumbnailMaker()
        var detector = MotionDetector(settings: job.motion)
        let targetFormat = writer.pixelFormat
        let clock = self.clock
        func retimed(_ pts: Int64) -> Int64 { clock?.map(pts) ?? pts }

        /// Schedules `frame` as the next kept input frame; false when the queue was cancelled.
        func keep(_ frame: VideoFrame, interpolates: Bool) throws -> Bool {
            let input = InputFrame(frame: frame, ordinal: schedule.inputCount)
            let outputs = schedule.push(pts: retimed(frame.pts))
            if let previous, !outputs.isEmpty {
                guard
                    work.push(
                        .frames(
                            sequence: sequence, first: previous, second: input, outputs: outputs,
                            interpolates: interpolates))
                else { return false }
                sequence += 1
            }
            previous = input
            // Models get RGB: converted here, on this thread, while the workers infer, once the frame's pair is
            // queued (a worker taking it meanwhile waits for the conversion), so that a schedule thread waiting
            // for room in the queue holds no RGB copy. A live job may be blending or repeating instead; its
            // workers convert what a model rung asks for.
            if case .model = job.method.engine, governor == nil { _ = try input.rgbImage(using: converter) }
            return true
        }

        /// Set when a chunk's last output is scheduled: the input after it is the next chunk's.
        var windowDone = false
        do {
            reading: while let event = decoded.pop() {
                switch event {
                case .packet(let packet):
                    guard work.push(.packet(sequence: sequence, packet)) else { return }
                    sequence += 1
                case .video(let decodedFrame):
                    // The reader makes timestamps strictly increasing; anything else is skipped as damage.
                    guard schedule.accepts(pts: retimed(decodedFrame.pts)) else { continue }
                    if let first = previous?.frame,
                        first.width != decodedFrame.width || first.height != decodedFrame.height
                    {
                        throw PipelineError(
                            .input,
                            "\(job.input): the picture size changes from \(first.width)×\(first.height) to \(decodedFrame.width)×\(decodedFrame.height) at \(decodedFrame.time.doubleValue) s; Kineto needs one size throughout"
                        )
                    }
                    endPTS = decodedFrame.duration.map { decodedFrame.pts + $0 }
                    // Converted once per input frame here rather than once per output frame in the writer.
                    let frame =
                        decodedFrame.pixelFormat == targetFormat
                        ? decodedFrame : try converter.convert(decodedFrame, to: targetFormat)
                    var interpolates = true
                    if !job.motion.isOff {
                        switch detector.classify(try thumbnails.thumbnail(of: frame)) {
                        case .first:
                            break
                        case .duplicate(let run):
                            heldRepeat = (frame, run)
                            continue
                        case .new(_, let cut):
                            if let held = heldRepeat {
                                heldRepeat = nil
                                if held.run > job.motion.maxDuplicateRun {
                                    // A hold: the picture stays still until its last repeat, then moves on.
                                    guard try keep(held.frame, interpolates: false) else { return }
                                } else {
                                    lock.lock()
                                    duplicatesSkipped += Int64(held.run)
                                    lock.unlock()
                                }
                            }
                            if cut {
                                interpolates = false
                                lock.lock()
                                sceneCuts += 1
                                lock.unlock()
                            }
                        }
                    }
                    guard try keep(frame, interpolates: interpolates) else { return }
                    if schedule.windowComplete {
                        windowDone = true
                        decoded.cancel()
                        break reading
                    }
                }
            }
            if decoded.isCancelled && !windowDone { return }
            if let held = heldRepeat, held.run > job.motion.maxDuplicateRun {
                guard try keep(held.frame, interpolates: false) else { return }
            } else if let held = heldRepeat {
                lock.lock()
                duplicatesSkipped += Int64(held.run)
                lock.unlock()
            }
            let tail = schedule.finish(endPTS: endPTS.map(retimed))
            if let previous, !tail.isEmpty {
                guard
                    work.push(
                        .frames(sequence: sequence, first: previous, second: nil, outputs: tail, interpolates: false))
                else { return }
            }
            work.close()
        } catch {
            fail(error, stage: .schedule)
        }
    }

    private func interpolateStage(worker: Int) {
        let converter = FrameConverter()
        let models = interpolators[worker]
        while let item = work.pop() {
            if cancellation.isCancelled { return }
            do {
                let result: WorkResult
                switch item {
                case .packet(let sequence, let packet):
                    result = WorkResult(sequence: sequence, payload: .packet(packet))
                case .frames(let sequence, let first, let second, let outputs, let interpolates):
                    let maker: FrameMaker
                    // Live inputs: measured as work starts, so a change of level applies to this very item;
                    // an item already far behind is made the cheapest way to catch up.
                    let level = governor.flatMap { governor in
                        liveLag(outputPTS: outputs.first?.pts).map { governor.level(forLag: $0, log: job.log) }
                    }
                    switch level {
                    case .model(let index, _)?: maker = .model(models[index])
                    case .crossFade?: maker = .crossFade
                    case .nearestFrame?: maker = .nearestFrame
                    case nil:
                        switch job.method.engine {
                        case .nearestFrame: maker = .nearestFrame
                        case .crossFade: maker = .crossFade
                        case .model:
                            guard let model = models.first else {
                                throw PipelineError(.internal, "no interpolator for worker", stage: .interpolate)
                            }
                            maker = .model(model)
                        }
                    }
                    let (frames, passed) = try makeFrames(
                        first: first, second: second, outputs: outputs,
                        maker: interpolates ? maker : .previousFrame, converter: converter)
                    result = WorkResult(sequence: sequence, payload: .frames(frames, passedThrough: passed))
                }
                guard results.push(result) else { return }
            } catch {
                fail(error, stage: .interpolate)
                return
            }
        }
        if work.isCancelled { return }
        lock.lock()
        workersRunning -= 1
        let last = workersRunning == 0
        lock.unlock()
        if last { results.close() }
    }

    /// How one work item's new frames are made.
    enum FrameMaker {
        /// The earlier frame until the later one's time: across a scene cut the new shot starts on its own
        /// first frame, not half a frame early; over a hold both frames are the same picture anyway.
        case previousFrame
        case nearestFrame
        case crossFade
        case model(any FrameInterpolator)
    }

    private func makeFrames(
        first: InputFrame, second: InputFrame?, outputs: [ScheduledFrame], maker: FrameMaker,
        converter: FrameConverter
    ) throws -> ([OutputFrame], Int64) {
        var frames: [OutputFrame] = []
        frames.reserveCapacity(outputs.count)
        var passed: Int64 = 0
        // Midpoint images of this pair, for midpoint-only models (0.5 is shared by 0.25 and 0.75…).
        var midpoints: [DyadicTime: RGBImage] = [:]
        for output in outputs {
            switch output.source {
            case .input(let ordinal):
                guard let source = ordinal == first.ordinal ? first : (ordinal == second?.ordinal ? second : nil) else {
                    throw PipelineError(
                        .internal, "schedule named input frame \(ordinal) outside its pair", stage: .interpolate)
                }
                frames.append(.frame(source.frame.retimed(pts: output.pts, timeBase: outputTimeBase, duration: 1)))
                passed += 1
            case .between(_, let t, let dyadic):
                guard let second else {
                    throw PipelineError(
                        .internal, "schedule asked for a new frame after the last input frame", stage: .interpolate)
                }
                switch maker {
                case .previousFrame:
                    frames.append(.frame(first.frame.retimed(pts: output.pts, timeBase: outputTimeBase, duration: 1)))
                case .nearestFrame:
                    let nearest = t < 0.5 ? first : second
                    frames.append(.frame(nearest.frame.retimed(pts: output.pts, timeBase: outputTimeBase, duration: 1)))
                case .crossFade:
                    frames.append(
                        .frame(
                            try FrameBlender.blend(
                                first.frame, second.frame, t: t, pts: output.pts, timeBase: outputTimeBase)))
                case .model(let interpolator):
                    let a = try first.rgbImage(using: converter)
                    let b = try second.rgbImage(using: converter)
                    var image: RGBImage
                    var alpha: [Float]?
                    // Transparency moves with the picture where the model can move it (RIFE warps it with its
                    // flows); elsewhere it is mixed linearly.
                    let alphas = try first.alphaPlane(using: converter).flatMap { a in
                        try second.alphaPlane(using: converter).map { (a, $0) }
                    }
                    if case (let alphaA, let alphaB)? = alphas, dyadic == nil,
                        let carrier = interpolator as? any AlphaInterpolating
                    {
                        (image, alpha) = try carrier.interpolate(a, b, alpha: alphaA, alphaB, at: t)
                    } else {
                        if let dyadic {
                            image = try midpoint(dyadic, a, b, interpolator, &midpoints)
                        } else {
                            image = try interpolator.interpolate(a, b, at: t)
                        }
                        if case (let alphaA, let alphaB)? = alphas {
                            let w = Float(t)
                            alpha = zip(alphaA, alphaB).map { $0 * (1 - w) + $1 * w }
                        }
                    }
                    frames.append(.picture(image, alpha: alpha, like: first.frame, pts: output.pts))
                }
            }
        }
        return (frames, passed)
    }

    /// The image at dyadic time `time` between `a` (0) and `b` (1) by recursive midpoints: the
    /// midpoint of its two dyadic neighbours one level up (3/8 is the midpoint of 1/4 and 1/2).
    private func midpoint(
        _ time: DyadicTime, _ a: RGBImage, _ b: RGBImage, _ interpolator: any FrameInterpolator,
        _ memo: inout [DyadicTime: RGBImage]
    ) throws -> RGBImage {
        if let known = memo[time] { return known }
        func neighbour(_ numerator: Int64) throws -> RGBImage {
            if numerator == 0 { return a }
            if numerator == Int64(1) << time.depth { return b }
            var n = numerator
            var depth = time.depth
            while n & 1 == 0 {
                n >>= 1
                depth -= 1
            }
            return try midpoint(DyadicTime(numerator: n, depth: depth), a, b, interpolator, &memo)
        }
        let image = try interpolator.interpolate(
            try neighbour(time.numerator - 1), try neighbour(time.numerator + 1), at: 0.5)
        memo[time] = image
        return image
    }

    private var firstOutputPTS: Int64?

    /// How far behind the live input's clock a work item starting at output time `outputPTS` is: the wall
    /// time since the first frame arrived minus the item's media time since the first output.
    private func liveLag(outputPTS: Int64?) -> Double? {
        guard let outputPTS else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let zero = firstFrameDecoded else { return nil }
        if firstOutputPTS == nil { firstOutputPTS = outputPTS }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - zero) / 1e9
        let media = outputTimeBase.seconds(of: outputPTS - firstOutputPTS!).doubleValue
        return wall - media
    }

    /// Reorders results by sequence number and writes them; returns the counts.
    private func encodeStage(totalFrames: Int64?, started: UInt64, progress: (@Sendable (JobProgress) -> Void)?)
        -> Outcome
    {
        var outcome = Outcome()
        var pending: [Int64: WorkResult] = [:]
        var next: Int64 = 0
        var lastReport: UInt64 = 0
        let converter = FrameConverter()
        do {
            while let result = results.pop() {
                pending[result.sequence] = result
                while let ready = pending.removeValue(forKey: next) {
                    next += 1
                    switch ready.payload {
                    case .packet(let packet):
                        try writer.write(packet)
                    case .frames(let frames, let passed):
                        for output in frames {
                            switch output {
                            case .frame(let frame):
                                try writer.write(frame)
                            case .picture(let image, let alpha, let template, let pts):
                                try writer.write(
                                    try converter.frame(
                                        from: image, alpha: alpha, pixelFormat: template.pixelFormat,
                                        like: template, pts: pts, timeBase: outputTimeBase))
                            }
                            outcome.framesOut += 1
                        }
                        outcome.framesPassedThrough += passed
                        let now = DispatchTime.now().uptimeNanoseconds
                        if let progress, now - lastReport >= 250_000_000 {
                            lastReport = now
                            lock.lock()
                            let framesIn = self.framesIn
                            lock.unlock()
                            progress(
                                JobProgress(
                                    framesIn: framesIn, framesOut: outcome.framesOut, totalFrames: totalFrames,
                                    elapsedSeconds: Double(now - started) / 1e9))
                        }
                    }
                }
            }
        } catch {
            fail(error, stage: .encode)
        }
        return outcome
    }
}

extension PipelineRun.WorkItem {
    /// The bytes a queued item holds or will hold: its later frame, and that frame's float RGB copy where a model
    /// reads it (made as the item is queued). The earlier frame is counted with the item before.
    func bytes(modelInput: Bool) -> Int {
        guard case .frames(_, _, let second?, _, _) = self else { return 0 }
        let frame = second.frame
        return frame.byteCount + (modelInput ? 3 * MemoryLayout<Float>.size * frame.width * frame.height : 0)
    }
}

extension PipelineRun.WorkResult {
    /// The bytes of its frames and pictures (frames shown again share their input's pixels, but are counted).
    var bytes: Int {
        guard case .frames(let frames, _) = payload else { return 0 }
        return frames.reduce(0) { total, output in
            switch output {
            case .frame(let frame):
                total + frame.byteCount
            case .picture(let image, let alpha, _, _):
                total + MemoryLayout<Float>.size * (image.pixels.count + (alpha?.count ?? 0))
            }
        }
    }
}
