import Foundation
import Logging
import ServiceLifecycle

/// Runs queued jobs, up to `concurrency` at once, each on its own thread (the pipeline blocks and
/// starts threads of its own; it must not sit on Swift's cooperative pool).
///
/// On graceful shutdown (SIGTERM) it stops taking jobs, stops the running ones at their next frame,
/// waits for them to clean up their temporary files and go back to the queue, then returns.
public final class JobScheduler: Service, @unchecked Sendable {
    private let config: ConfigBox
    private let store: JobStore
    private let processor: JobProcessor
    private let activity: ActivityMonitor
    private let logger: Logger
    /// Seconds between looks at the queue when nothing wakes the scheduler.
    private let pollInterval: Double

    private let lock = NSLock()
    private var running: [Int64: RunControl] = [:]
    private var shuttingDown = false
    private var paused = false

    public init(config: ConfigBox, store: JobStore, processor: JobProcessor, activity: ActivityMonitor, logger: Logger,
                pollInterval: Double = 0.25) {
        self.config = config
        self.store = store
        self.processor = processor
        self.activity = activity
        self.logger = logger
        self.pollInterval = pollInterval
    }

    /// Ids of the jobs running now.
    public var runningJobIDs: [Int64] { lock.withLock { running.keys.sorted() } }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            while !isShuttingDown {
                activity.schedulerTicked()
                startJobs()
                try? await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
                if Task.isCancelled { beginShutdown() }
            }
            // Wait for the stopped jobs to clean up and go back to the queue.
            while !lock.withLock({ running.isEmpty }) {
                activity.schedulerTicked()
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
            logger.info("scheduler stopped")
        } onGracefulShutdown: { [self] in
            beginShutdown()
        }
    }

    /// Stops taking jobs and stops the running ones (they go back to the queue).
    public func beginShutdown() {
        let controls: [RunControl] = lock.withLock {
            shuttingDown = true
            return Array(running.values)
        }
        for control in controls { control.stop(.shutdown) }
    }

    private var isShuttingDown: Bool { lock.withLock { shuttingDown } }

    /// Cancels job `id`: a queued job is marked cancelled, a running one stopped at its next frame.
    /// Returns the job as it now stands, nil if unknown.
    @discardableResult
    public func cancel(id: Int64) throws -> JobRecord? {
        let job = try store.cancel(id: id)
        if let control = lock.withLock({ running[id] }) { control.stop(.userCancelled) }
        return job
    }

    private func startJobs() {
        let current = config.current
        let watches = Dictionary(current.watches.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        while true {
            let slotFree = lock.withLock { !shuttingDown && running.count < current.concurrency }
            guard slotFree else { return }
            let claimed: JobRecord?
            do {
                claimed = try store.claimNext(watches: Set(watches.keys))
            } catch {
                logger.error("cannot read the job queue: \(error)")
                return
            }
            guard let job = claimed, let id = job.id, let watch = watches[job.watch] else { return }
            let control = RunControl()
            lock.withLock { running[id] = control }
            let thread = Thread { [self] in
                _ = processor.process(job, watch: watch, control: control)
                lock.withLock { running[id] = nil }
            }
            thread.name = "kineto-job-\(id)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
