import Foundation
import KinetoPipeline

/// The handle of one running job: its cancellation token and why it was stopped, so the scheduler can
/// tell a user's cancel (the job stays cancelled) from a shutdown (the job goes back to the queue).
public final class RunControl: @unchecked Sendable {
    /// `leaseLost`: another worker took the job after this worker's lease ended (it froze, lost the
    /// network): stop without touching the job.
    public enum StopReason: Sendable, Equatable { case userCancelled, shutdown, leaseLost }

    public let token = CancellationToken()
    private let lock = NSLock()
    private var reason: StopReason?

    public init() {}

    /// Stops the job at its next frame; the first reason given wins.
    public func stop(_ reason: StopReason) {
        lock.withLock { if self.reason == nil { self.reason = reason } }
        token.cancel()
    }

    public var stopReason: StopReason? { lock.withLock { reason } }
}
