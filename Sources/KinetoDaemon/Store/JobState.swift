/// Where a job is in its life. `failed` means quarantined: attempts are used up (or the input can
/// never work) and a `NAME.error.json` report says why.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, done, failed, cancelled

    /// Whether the job will not run again unless someone retries it.
    public var isFinal: Bool { self == .done || self == .failed || self == .cancelled }
}
