import Foundation
import Logging
import ServiceLifecycle

/// Runs queued jobs, up to `concurrency` at once, each on its own thread (the pipeline blocks and
/// starts threads of its own; it must not sit on Swift's cooperative pool).
///
/// Every claim is a lease: while a job makes progress the scheduler extends it (a heartbeat every
/// third of the lease); a job that stops moving loses it, and so does a job whose worker froze or
/// lost the network. The scheduler also returns other workers' expired jobs to the queue, and stops
/// a job of its own at once when the store says another worker has taken it.
///
/// On graceful shutdown (SIGTERM) it stops taking jobs, stops the running ones at their next frame,
/// waits for them to clean up their temporary files and go back to the queue, then returns. A drained
/// scheduler finishes its jobs and takes no new ones.
public final class JobScheduler: Service, @unchecked Sendable {
    private let config: ConfigBox
    private let store: any JobStore
    private let processor: JobProcessor
    private let activity: ActivityMonitor
    private let logger: Logger
    /// Seconds between looks at the queue when nothing wakes the scheduler.
    private let pollInterval: Double

    private struct Running {
        let control: RunControl
        let run: Int64
    }

    private let lock = NSLock()
    private var running: [Int64: Running] = [:]
    private var shuttingDown = false
    private var draining = false
    private var lastHeartbeat = 0.0
    private var lastLeaseSweep = 0.0
    private var lastWorkerReport = -Double.infinity
    private var lastPurge = -Double.infinity
    private var storeProblem: String?
    private var jobsDone: Int64 = 0
    private let startedAt = Date().timeIntervalSince1970

    public init(
        config: ConfigBox, store: any JobStore, processor: JobProcessor, activity: ActivityMonitor, logger: Logger,
        pollInterval: Double = 0.25
    ) {
        self.config = config
        self.store = store
        self.processor = processor
        self.activity = activity
        self.logger = logger
        self.pollInterval = pollInterval
    }

    /// Ids of the jobs running now.
    public var runningJobIDs: [Int64] { lock.withLock { running.keys.sorted() } }

    /// Whether the scheduler takes no new jobs (it finishes those it has).
    public var isDraining: Bool { lock.withLock { draining } }

    /// Finishes the running jobs and takes no new ones (`false` takes jobs again).
    public func drain(_ on: Bool = true) {
        lock.withLock { draining = on }
        logger.notice(on ? "draining: finishing running jobs, taking no new ones" : "taking jobs again")
        reportWorker(force: true)
    }

    /// The last error the store gave, nil while it answers.
    public var storeTrouble: String? { lock.withLock { storeProblem } }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            while !isShuttingDown {
                activity.schedulerTicked()
                maintainLeases()
                startJobs()
                reportWorker(force: false)
                purgeReports()
                try? await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
                if Task.isCancelled { beginShutdown() }
            }
            // Wait for the stopped jobs to clean up and go back to the queue.
            while !lock.withLock({ running.isEmpty }) {
                activity.schedulerTicked()
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
            reportWorker(force: true)
            logger.info("scheduler stopped")
        } onGracefulShutdown: { [self] in
            beginShutdown()
        }
    }

    /// Stops taking jobs and stops the running ones (they go back to the queue).
    public func beginShutdown() {
        let controls: [RunControl] = lock.withLock {
            shuttingDown = true
            return running.values.map(\.control)
        }
        for control in controls { control.stop(.shutdown) }
    }

    private var isShuttingDown: Bool { lock.withLock { shuttingDown } }

    /// Cancels job `id`: a queued job is marked cancelled, a running one stopped at its next frame.
    /// Returns the job as it now stands, nil if unknown.
    @discardableResult
    public func cancel(id: Int64) throws -> JobRecord? {
        let job = try store.cancel(id: id)
        if let entry = lock.withLock({ running[id] }) { entry.control.stop(.userCancelled) }
        return job
    }

    /// Heartbeats for the jobs that move, and expired leases (anyone's) back to the queue.
    func maintainLeases(now: Double = ActivityMonitor.now()) {
        let lease = store.leaseSeconds
        let stallSeconds = config.current.stallSeconds
        let (beat, sweep, jobs): (Bool, Bool, [Int64: Running]) = lock.withLock {
            let beat = now - lastHeartbeat >= lease / 3
            if beat { lastHeartbeat = now }
            let sweep = now - lastLeaseSweep >= max(0.5, lease / 4)
            if sweep { lastLeaseSweep = now }
            return (beat, sweep, running)
        }
        if beat {
            for (id, entry) in jobs {
                // A job that made no progress for the stall window (or a whole lease, if longer) gets no
                // heartbeat: its lease runs out and another worker may try it.
                guard let last = activity.lastProgress(of: id), now - last < max(lease, stallSeconds) else { continue }
                do {
                    if try !store.heartbeat(id: id, run: entry.run, now: Date().timeIntervalSince1970) {
                        // A run that has just recorded its own end no longer needs the lease.
                        let now = try store.job(id: id)
                        if now?.run == entry.run && now?.state != .running { continue }
                        logger.warning("job \(id) run \(entry.run): lease lost to another worker; stopping it")
                        entry.control.stop(.leaseLost)
                    }
                    noteStoreAnswered()
                } catch {
                    noteStoreTrouble("\(error)")
                }
            }
        }
        if sweep {
            do {
                let recovered = try store.recoverExpiredLeases(interruptionLimit: 10, now: Date().timeIntervalSince1970)
                for job in recovered {
                    try? store.addEvent(
                        JobEvent(
                            jobID: job.id ?? 0, worker: store.workerID, run: job.run, kind: "lease-expired",
                            message:
                                "worker \(job.worker ?? "?") stopped renewing its lease; \(job.state == .failed ? "failed after \(job.interruptions) interruptions" : "back in the queue")"
                        ))
                    logger.notice(
                        "job \(job.id ?? 0)'s lease ended (worker \(job.worker ?? "?") stopped answering); back in the queue",
                        metadata: ["state": "\(job.state.rawValue)", "interruptions": "\(job.interruptions)"])
                }
                noteStoreAnswered()
            } catch {
                noteStoreTrouble("\(error)")
            }
        }
    }

    private func startJobs() {
        let current = config.current
        let watches = Dictionary(current.watches.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Outside this worker's hours nothing starts; a watch's jobs need its labels and its hours.
        if let hours = current.hours, !hours.isOpen() { return }
        let admitted = Set(current.watches.filter { $0.admits(labels: current.labels) }.map(\.name))
        if admitted.isEmpty { return }
        while true {
            let slotFree = lock.withLock { !shuttingDown && !draining && running.count < current.concurrency }
            guard slotFree else { return }
            let claimed: JobRecord?
            do {
                claimed = try store.claimNext(watches: admitted)
                noteStoreAnswered()
            } catch {
                noteStoreTrouble("\(error)")
                return
            }
            guard let job = claimed, let id = job.id, let watch = watches[job.watch] else { return }
            let control = RunControl()
            lock.withLock { running[id] = Running(control: control, run: job.run) }
            let thread = Thread { [self] in
                let outcome = processor.process(job, watch: watch, control: control)
                lock.withLock {
                    running[id] = nil
                    if case .done = outcome { jobsDone += 1 }
                }
            }
            thread.name = "kineto-job-\(id)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func noteStoreTrouble(_ message: String) {
        let first = lock.withLock { () -> Bool in
            defer { storeProblem = message }
            return storeProblem == nil
        }
        if first { logger.error("cannot reach the job queue: \(message)") }
    }

    private func noteStoreAnswered() {
        let was = lock.withLock { () -> String? in
            defer { storeProblem = nil }
            return storeProblem
        }
        if was != nil { logger.notice("the job queue answers again") }
    }

    /// Job reports older than `report_days` go, once an hour.
    func purgeReports(now: Double = ActivityMonitor.now()) {
        let due = lock.withLock { () -> Bool in
            guard now - lastPurge >= 3600 else { return false }
            lastPurge = now
            return true
        }
        guard due else { return }
        let days = config.current.reportDays
        if let removed = try? store.purgeEvents(before: Date().timeIntervalSince1970 - days * 86400), removed > 0 {
            logger.info("removed \(removed) job report lines older than \(days) days")
        }
    }

    /// Tells the store this worker is alive (for `kineto workers` and the dashboard), every 5 s.
    func reportWorker(force: Bool) {
        let now = ActivityMonitor.now()
        let due = lock.withLock { () -> Bool in
            guard force || now - lastWorkerReport >= 5 else { return false }
            lastWorkerReport = now
            return true
        }
        guard due else { return }
        let record = workerRecord()
        do { try store.recordWorker(record) } catch { noteStoreTrouble("\(error)") }
    }

    /// This worker as `kineto workers` shows it.
    public func workerRecord() -> WorkerRecord {
        let (ids, done, isDraining) = lock.withLock { (running.keys.sorted(), jobsDone, draining) }
        return WorkerRecord(
            id: store.workerID, host: WorkerIdentity.hostName, version: WorkerIdentity.kinetoVersion,
            labels: config.current.labels, startedAt: startedAt, lastSeen: Date().timeIntervalSince1970,
            runningJobs: ids, jobsDone: done, framesPerSecond: processor.metrics.currentSpeed,
            draining: isDraining || isShuttingDown)
    }
}
