import Foundation

/// The one-euro filter (Casiez et al. 2012) for one value: a low-pass filter whose cutoff rises with speed, so
/// still landmarks stop jittering while fast motion lags little.
public struct OneEuroFilter: Sendable {
    /// Cutoff (Hz) at rest, and how much the cutoff grows per unit of speed.
    public var minCutoff: Double
    public var beta: Double
    /// Cutoff (Hz) of the speed estimate.
    public var derivativeCutoff: Double
    private var last: (time: Double, value: Double, speed: Double)?

    public init(minCutoff: Double = 1, beta: Double = 0.05, derivativeCutoff: Double = 1) {
        self.minCutoff = minCutoff
        self.beta = beta
        self.derivativeCutoff = derivativeCutoff
    }

    private static func alpha(cutoff: Double, interval: Double) -> Double {
        let tau = 1 / (2 * Double.pi * cutoff)
        return 1 / (1 + tau / interval)
    }

    /// The filtered value of `value` observed at `time` seconds (times must increase; a repeated or earlier time
    /// restarts the filter).
    public mutating func filter(_ value: Double, at time: Double) -> Double {
        guard let previous = last, time > previous.time else {
            last = (time, value, 0)
            return value
        }
        let interval = time - previous.time
        let rawSpeed = (value - previous.value) / interval
        let speed =
            previous.speed + Self.alpha(cutoff: derivativeCutoff, interval: interval) * (rawSpeed - previous.speed)
        let cutoff = minCutoff + beta * abs(speed)
        let filtered = previous.value + Self.alpha(cutoff: cutoff, interval: interval) * (value - previous.value)
        last = (time, filtered, speed)
        return filtered
    }

    /// Forgets the history (after the face was lost).
    public mutating func reset() { last = nil }
}
