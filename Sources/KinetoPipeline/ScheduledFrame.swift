/// One output frame as the schedule decided it: where it goes on the output grid and what it is
/// made from. Input frames are named by their ordinal: the count of input frames accepted before them.
public struct ScheduledFrame: Sendable, Hashable {
    /// How the output frame is made.
    public enum Source: Sendable, Hashable {
        /// The input frame itself, untouched (the output time falls exactly on it, or the time
        /// rounded to it, or it is the last frame held to the end of the video).
        case input(ordinal: Int64)
        /// A new frame at `t` in (0, 1) between input `ordinal` (t = 0) and input `ordinal + 1` (t = 1).
        /// `dyadic` is set when the time was rounded to `numerator / 2^depth` (midpoint-only models).
        case between(ordinal: Int64, t: Double, dyadic: DyadicTime?)
    }

    /// Output frame number, 0-based.
    public let index: Int64
    /// Presentation time in the output time base (one tick per output frame, see `FrameSchedule.outputTimeBase`).
    public let pts: Int64
    public let source: Source
}

/// A time `numerator / 2^depth` in (0, 1), `numerator` odd (the fraction is in lowest terms).
public struct DyadicTime: Sendable, Hashable, CustomStringConvertible {
    public let numerator: Int64
    public let depth: Int

    public init(numerator: Int64, depth: Int) {
        self.numerator = numerator
        self.depth = depth
    }

    public var value: Double { Double(numerator) / Double(Int64(1) << depth) }
    public var description: String { "\(numerator)/\(Int64(1) << depth)" }

}
