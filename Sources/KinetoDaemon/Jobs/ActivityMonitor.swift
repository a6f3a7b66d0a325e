import Foundation

/// Whether the daemon is doing its work, for systemd's watchdog: the scheduler loop must be ticking
/// and every running job must have made progress within the stall window. A job stuck in a decoder
/// or a network read stops the watchdog pings, and systemd restarts the service.
public final class ActivityMonitor: @unchecked Sendable {
    private let lock = NSLock()
    private var lastProgress: [Int64: Double] = [:]
    private var lastSchedulerTick: Double

    public init(now: Double = ActivityMonitor.now()) {
        lastSchedulerTick = now
    }

    /// Monotonic seconds (immune to clock changes).
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public func jobStarted(_ id: Int64, now: Double = ActivityMonitor.now()) {
        lock.withLock { lastProgress[id] = now }
    }
    public func jobProgressed(_ id: Int64, now: Double = ActivityMonitor.now()) {
        lock.withLock { lastProgress[id] = now }
    }
    public func jobEnded(_ id: Int64) { lock.withLock { lastProgress[id] = nil } }
    public func schedulerTicked(now: Double = ActivityMonitor.now()) { lock.withLock { lastSchedulerTick = now } }

    /// Nil when healthy, else why not.
    public func stallReason(stallSeconds: Double, now: Double = ActivityMonitor.now()) -> String? {
        lock.withLock {
            if now - lastSchedulerTick > max(30, stallSeconds / 4) {
                return "the scheduler has not run for \(Int(now - lastSchedulerTick)) s"
            }
            for (id, last) in lastProgress where now - last > stallSeconds {
                return "job \(id) has made no progress for \(Int(now - last)) s"
            }
            return nil
        }
    }

    /// When job `id` last made progress (monotonic seconds), nil when it does not run.
    public func lastProgress(of id: Int64) -> Double? { lock.withLock { lastProgress[id] } }

    /// Ids of the jobs running now.
    public var runningJobs: [Int64] { lock.withLock { Array(lastProgress.keys).sorted() } }
}
