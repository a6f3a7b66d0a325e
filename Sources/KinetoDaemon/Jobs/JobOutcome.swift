/// How one run of a job ended, as the scheduler records it.
public enum JobOutcome: Sendable, Equatable {
    /// The output is in place at this path.
    case done(output: String)
    /// The run failed and will be retried after a backoff.
    case willRetry(error: String)
    /// The job failed for good: a report is in the quarantine folder.
    case quarantined(error: String)
    /// Cancelled by a user (stays cancelled until retried).
    case cancelled
    /// Stopped by a shutdown: back in the queue, the attempt not counted.
    case requeued
    /// The source changed or vanished before processing; a changed file is a new job of its own.
    case superseded(reason: String)
    /// A long video split into this many chunk jobs; the job itself waits in the queue to join them.
    case split(chunks: Int)
}
