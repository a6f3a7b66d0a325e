import Foundation
import Logging
import ServiceLifecycle

/// The daemon's side of systemd supervision: `WATCHDOG=1` at half the watchdog interval, but only
/// while the daemon is healthy (the scheduler runs and every running job moves), so a stalled job
/// makes systemd restart the service; `STATUS=` with the queue's state; `STOPPING=1` on shutdown.
/// `READY=1` is sent by the daemon once the HTTP server listens.
public final class SystemdService: Service, @unchecked Sendable {
    private let notifier: SystemdNotifier
    private let activity: ActivityMonitor
    private let store: any JobStore
    private let config: ConfigBox
    private let logger: Logger
    private var lastStatus = ""
    private var lastStallReason: String?

    public init(
        notifier: SystemdNotifier, activity: ActivityMonitor, store: any JobStore, config: ConfigBox, logger: Logger
    ) {
        self.notifier = notifier
        self.activity = activity
        self.store = store
        self.config = config
        self.logger = logger
    }

    public func run() async throws {
        let interval = min(max((notifier.watchdogInterval ?? 10) / 2, 0.05), 5)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.beat()
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
            }
        }
        notifier.stopping(status: "stopping: running jobs go back to the queue")
    }

    /// One heartbeat: a watchdog ping when healthy, a status line when it changed.
    func beat() {
        let stall = activity.stallReason(stallSeconds: config.current.stallSeconds)
        if let stall {
            if lastStallReason != stall { logger.error("not feeding the watchdog: \(stall)") }
        } else {
            notifier.watchdog()
        }
        lastStallReason = stall
        let counts = (try? store.countsByState()) ?? [:]
        let status =
            "\(counts[.running] ?? 0) running, \(counts[.queued] ?? 0) queued, \(counts[.done] ?? 0) done, \(counts[.failed] ?? 0) failed"
            + (stall.map { "; STALLED: \($0)" } ?? "")
        if status != lastStatus {
            notifier.status(status)
            lastStatus = status
        }
    }
}
