/// An exact frame rate in frames per second, `frames / seconds` in lowest terms (e.g. 30000/1001).
///
/// Kept exact so that output timestamps sit on the target grid without drift over hours of video:
/// output frame `k` is at `k × seconds / frames` seconds, computed in integers.
public struct FrameRate: Sendable, Hashable, CustomStringConvertible {
    /// Frames counted over `seconds` seconds (positive).
    public let frames: Int64
    /// Seconds over which `frames` frames are shown (positive).
    public let seconds: Int64

    /// A rate of `frames / seconds` fps, reduced to lowest terms; nil unless both are positive.
    public init?(frames: Int64, seconds: Int64 = 1) {
        guard frames > 0, seconds > 0 else { return nil }
        let divisor = FrameRate.gcd(frames, seconds)
        self.frames = frames / divisor
        self.seconds = seconds / divisor
    }

    /// The rates a job takes, in and out: below 1 fps a rate is more likely a typo (`--fps 0.0001` would make
    /// hours from seconds), above 1000 no display or encoder level is meant for it.
    public static let usableRange: ClosedRange<Double> = 1...1000

    /// Frames per second as a floating-point number (for display and progress only).
    public var framesPerSecond: Double { Double(frames) / Double(seconds) }

    /// `60`, `30000/1001`, or `29.97 (30000/1001)` when the fraction is not a whole number.
    public var description: String {
        if seconds == 1 { return "\(frames)" }
        let decimal = (framesPerSecond * 1000).rounded() / 1000
        return "\(frames)/\(seconds) (\(decimal))"
    }

    /// This rate multiplied by `numerator / denominator`; nil if that is not a positive rate or overflows.
    public func multiplied(by numerator: Int64, over denominator: Int64) -> FrameRate? {
        guard numerator > 0, denominator > 0 else { return nil }
        let (f, o1) = frames.multipliedReportingOverflow(by: numerator)
        let (s, o2) = seconds.multipliedReportingOverflow(by: denominator)
        guard !o1, !o2 else { return nil }
        return FrameRate(frames: f, seconds: s)
    }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a.magnitude, b.magnitude)
        while y != 0 { (x, y) = (y, x % y) }
        return Int64(max(x, 1))
    }
}
