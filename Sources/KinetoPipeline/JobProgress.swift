/// A snapshot of a running job, passed to the progress callback (at most a few times a second).
public struct JobProgress: Sendable, Equatable {
    /// Input frames decoded so far.
    public var framesIn: Int64
    /// Output frames encoded so far.
    public var framesOut: Int64
    /// Output frames the job will write, when the input's duration is known (files; not live streams).
    public var totalFrames: Int64?
    /// Seconds since the job started.
    public var elapsedSeconds: Double

    public init(framesIn: Int64, framesOut: Int64, totalFrames: Int64?, elapsedSeconds: Double) {
        self.framesIn = framesIn
        self.framesOut = framesOut
        self.totalFrames = totalFrames
        self.elapsedSeconds = elapsedSeconds
    }

    /// Output frames per second of wall time so far.
    public var framesPerSecond: Double { elapsedSeconds > 0 ? Double(framesOut) / elapsedSeconds : 0 }

    /// Fraction done in [0, 1], when the total is known.
    public var fractionDone: Double? {
        guard let totalFrames, totalFrames > 0 else { return nil }
        return min(1, Double(framesOut) / Double(totalFrames))
    }

    /// Seconds left at the current speed, when the total is known and some frames are done.
    public var etaSeconds: Double? {
        guard let totalFrames, framesOut > 0, framesPerSecond > 0 else { return nil }
        return Double(max(0, totalFrames - framesOut)) / framesPerSecond
    }
}
