/// Decides, one input frame at a time, which output frames to make and from what.
///
/// Output frame `k` is shown at `start + k / rate` seconds, where `start` is the first input frame's
/// time: an exact grid computed in integers (128-bit), so there is no drift after hours. Each output
/// time is bracketed by the two input frames around it by their real timestamps (variable frame rate
/// input works), giving a timestep `t` in [0, 1); `t = 0` passes the input frame through untouched
/// (as does an output within half a time-base tick of an input frame, when ticks are small against
/// the frame gap: such timestamps were rounded by the container).
///
/// Streaming: `push` takes the next input frame's timestamp and returns the outputs that lie before
/// it; it needs only the previous and the current frame, so a pipeline keeps a window of two frames.
/// `finish` returns the outputs after the last frame (that frame held) up to the end of the input,
/// so the output lasts as long as the input, within one output frame.
public struct FrameSchedule: Sendable {
    /// The output rate.
    public let rate: FrameRate
    /// How intermediate times are chosen.
    public let policy: TimestepPolicy
    /// Input time base: one tick is `timeBaseNumerator / timeBaseDenominator` seconds.
    public let timeBaseNumerator: Int64
    public let timeBaseDenominator: Int64

    /// Input frames accepted so far.
    public private(set) var inputCount: Int64 = 0
    /// Output frames scheduled so far (the next output's index).
    public private(set) var outputCount: Int64 = 0
    /// Timestamp of the last accepted input frame.
    public private(set) var lastInputPTS: Int64?
    private var previousInputPTS: Int64?
    private var firstInputPTS: Int64 = 0
    /// `firstInputPTS` rounded onto the output grid: output `k` gets pts `startTick + k`.
    private var startTick: Int64 = 0
    private var finished = false
    /// For a chunk of a longer job: the full job's grid and the outputs this chunk makes (nil: all).
    public let window: OutputWindow?

    /// A schedule from input timestamps in ticks of `timeBaseNumerator / timeBaseDenominator` seconds
    /// to `rate`. Returns nil for a non-positive time base.
    public init?(
        timeBaseNumerator: Int64, timeBaseDenominator: Int64, rate: FrameRate,
        policy: TimestepPolicy = .arbitrary, window: OutputWindow? = nil
    ) {
        guard timeBaseNumerator > 0, timeBaseDenominator > 0 else { return nil }
        if let window, window.first < 0 || (window.end.map { $0 <= window.first } ?? false) { return nil }
        self.window = window
        if case .dyadic(let depth) = policy, !(1...30).contains(depth) { return nil }
        self.timeBaseNumerator = timeBaseNumerator
        self.timeBaseDenominator = timeBaseDenominator
        self.rate = rate
        self.policy = policy
    }

    /// The output time base, one tick per output frame: `rate.seconds / rate.frames` seconds.
    public var outputTimeBase: (numerator: Int64, denominator: Int64) { (rate.seconds, rate.frames) }

    /// Whether `push(pts:)` would take a frame with this timestamp: timestamps must strictly increase
    /// (a decoder's duplicate or out-of-order timestamp is damage; the caller drops the frame).
    public func accepts(pts: Int64) -> Bool {
        guard !finished else { return false }
        guard let last = lastInputPTS else { return true }
        return pts > last
    }

    /// Takes the next input frame (ordinal `inputCount`) and returns the output frames that lie
    /// before it. Ignores (returns nothing for) a frame that `accepts(pts:)` rejects.
    public mutating func push(pts: Int64) -> [ScheduledFrame] {
        guard accepts(pts: pts) else { return [] }
        defer {
            previousInputPTS = lastInputPTS
            lastInputPTS = pts
            inputCount += 1
        }
        guard let last = lastInputPTS else {
            firstInputPTS = window?.originPTS ?? pts
            startTick = Int64(
                FrameSchedule.roundedDivision(
                    Int128(firstInputPTS) * tickScale,
                    Int128(timeBaseDenominator) * Int128(rate.seconds)))
            if window != nil {
                // A chunk starts reading mid-video: the outputs before its first frame belong to earlier input.
                outputCount = firstOutputIndex(atOrAfter: pts, originPTS: firstInputPTS)
            }
            return []
        }
        return inWindow(schedule(upTo: fine(pts), from: last, to: pts, ordinal: inputCount - 1))
    }

    /// Whether every output of the window has been scheduled: a chunk needs no further input.
    public var windowComplete: Bool {
        guard let end = window?.end else { return false }
        return outputCount >= end
    }

    /// The outputs that belong to the window (all of them without one).
    private func inWindow(_ outputs: [ScheduledFrame]) -> [ScheduledFrame] {
        guard let window else { return outputs }
        let end = window.end ?? .max
        return outputs.filter { $0.index >= window.first && $0.index < end }
    }

    /// Ends the input: returns the outputs from the last frame to `endPTS` (the end of the last
    /// frame, i.e. its pts plus its duration), all showing the last frame. When `endPTS` is nil or
    /// not after the last frame, the last frame lasts as long as the gap before it (or, for a
    /// single frame, exactly one output frame is made).
    public mutating func finish(endPTS: Int64?) -> [ScheduledFrame] {
        guard !finished, let last = lastInputPTS else {
            finished = true
            return []
        }
        finished = true
        let end: Int128
        if let endPTS, endPTS > last {
            end = fine(endPTS)
        } else if let previous = previousInputPTS {
            end = fine(last) + (fine(last) - fine(previous))
        } else {
            end = fine(last) + 1
        }
        var result: [ScheduledFrame] = []
        while outputFine(outputCount) < end {
            result.append(
                ScheduledFrame(
                    index: outputCount, pts: startTick + outputCount,
                    source: .input(ordinal: inputCount - 1)))
            outputCount += 1
        }
        return inWindow(result)
    }

    /// How many output frames an input from `startPTS` to `endPTS` (the end of its last frame) gives:
    /// `ceil((end - start) × rate)`. For progress totals before the job runs.
    public func expectedOutputCount(startPTS: Int64, endPTS: Int64) -> Int64 {
        guard endPTS > startPTS else { return startPTS == endPTS ? 1 : 0 }
        let span = fine(endPTS) - fine(startPTS)
        let step = outputStep
        return Int64((span + step - 1) / step)
    }

    // MARK: - Exact arithmetic
    //
    // Times are compared in "fine" units of 1 / (timeBaseDenominator × rate.frames) seconds, in which
    // both input timestamps (pts × tbNum × rateFrames) and output times (k × rateSeconds × tbDen) are
    // whole numbers. Int128 keeps hours of 90 kHz timestamps times NTSC rates far from overflow.

    private var tickScale: Int128 { Int128(timeBaseNumerator) * Int128(rate.frames) }
    private var outputStep: Int128 { Int128(rate.seconds) * Int128(timeBaseDenominator) }
    private func fine(_ pts: Int64) -> Int128 { Int128(pts) * tickScale }
    private func outputFine(_ k: Int64) -> Int128 { fine(firstInputPTS) + Int128(k) * outputStep }

    private mutating func schedule(
        upTo limit: Int128, from previous: Int64, to current: Int64,
        ordinal: Int64
    ) -> [ScheduledFrame] {
        var result: [ScheduledFrame] = []
        let base = fine(previous)
        let span = limit - base
        // Containers with a coarse clock (Matroska's milliseconds) store rounded times: 33 ms for
        // 1/30 s. An output within half a tick of an input frame may be that frame's true time, so
        // it passes the frame through instead of interpolating at t ≈ 0.01. Only when ticks are
        // small against the frame gap: with a tick of one frame (1/24 at 24 fps) times are exact.
        let tick = tickScale
        let snaps = 4 * tick <= span
        while true {
            let time = outputFine(outputCount)
            guard time < limit else { break }
            let offset = time - base  // in [0, span)
            let source: ScheduledFrame.Source
            if offset == 0 || (snaps && 2 * offset <= tick) {
                source = .input(ordinal: ordinal)
            } else if snaps && 2 * (span - offset) <= tick {
                source = .input(ordinal: ordinal + 1)
            } else {
                switch policy {
                case .arbitrary:
                    source = .between(ordinal: ordinal, t: Double(offset) / Double(span), dyadic: nil)
                case .dyadic(let depth):
                    let steps = Int128(1) << depth
                    let j = FrameSchedule.roundedDivision(offset * steps, span)
                    if j == 0 {
                        source = .input(ordinal: ordinal)
                    } else if j == steps {
                        source = .input(ordinal: ordinal + 1)
                    } else {
                        var numerator = Int64(j)
                        var reduced = depth
                        while numerator & 1 == 0 {
                            numerator >>= 1
                            reduced -= 1
                        }
                        let time = DyadicTime(numerator: numerator, depth: reduced)
                        source = .between(ordinal: ordinal, t: time.value, dyadic: time)
                    }
                }
            }
            result.append(ScheduledFrame(index: outputCount, pts: startTick + outputCount, source: source))
            outputCount += 1
        }
        return result
    }

    /// The index of the first output frame shown at or after input time `pts`, on the grid that starts
    /// at `originPTS`: where a chunk that begins with the input frame at `pts` starts its window.
    public func firstOutputIndex(atOrAfter pts: Int64, originPTS: Int64) -> Int64 {
        let span = fine(pts) - fine(originPTS)
        return span <= 0 ? 0 : Int64((span + outputStep - 1) / outputStep)
    }

    /// `numerator / denominator` rounded to nearest, halves up; `denominator > 0`.
    static func roundedDivision(_ numerator: Int128, _ denominator: Int128) -> Int128 {
        let twice = 2 * numerator + denominator
        let twiceDenominator = 2 * denominator
        // Floor division (Swift's `/` truncates toward zero).
        let quotient = twice / twiceDenominator
        return (twice % twiceDenominator != 0 && twice < 0) ? quotient - 1 : quotient
    }
}

/// Which output frames of a longer job one chunk makes: outputs `first ..< end` (nil `end`: to the end
/// of the input) on the full job's grid, which starts at the full input's first frame, `originPTS`.
/// A chunk decodes from a keyframe before its first output and stops once its last output is
/// scheduled, so the frames it makes are exactly the full run's frames with those indices.
public struct OutputWindow: Sendable, Hashable, Codable {
    /// The full input's first video timestamp, in input ticks.
    public var originPTS: Int64
    public var first: Int64
    public var end: Int64?

    public init(originPTS: Int64, first: Int64, end: Int64?) {
        self.originPTS = originPTS
        self.first = first
        self.end = end
    }

    /// How many outputs the window holds (nil when it runs to the end of the input).
    public var count: Int64? { end.map { $0 - first } }
}
