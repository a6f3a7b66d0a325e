import Foundation

/// Cancels a running job from any thread (a signal handler's watcher, the daemon's API, a test).
///
/// The pipeline checks `isCancelled` between frames and registers handlers that wake its blocked
/// stages, so a cancelled job stops within about one frame's work; its output file is removed.
public final class CancellationToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var handlers: [Int: @Sendable () -> Void] = [:]
    private var nextHandlerID = 0

    public init() {}

    /// Whether `cancel()` has been called.
    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    /// Cancels: runs every registered handler once (on this thread). Later calls do nothing.
    public func cancel() {
        lock.lock()
        guard !cancelled else {
            lock.unlock()
            return
        }
        cancelled = true
        let toRun = handlers.values
        handlers.removeAll()
        lock.unlock()
        for handler in toRun { handler() }
    }

    /// Runs `handler` when the token is cancelled (now, if it already is). Returns an id for
    /// `removeHandler`, or nil when the handler already ran.
    @discardableResult
    public func onCancel(_ handler: @escaping @Sendable () -> Void) -> Int? {
        lock.lock()
        if cancelled {
            lock.unlock()
            handler()
            return nil
        }
        let id = nextHandlerID
        nextHandlerID += 1
        handlers[id] = handler
        lock.unlock()
        return id
    }

    /// Forgets a handler registered with `onCancel` (a finished job no longer needs waking).
    public func removeHandler(_ id: Int?) {
        guard let id else { return }
        lock.lock()
        handlers[id] = nil
        lock.unlock()
    }
}
