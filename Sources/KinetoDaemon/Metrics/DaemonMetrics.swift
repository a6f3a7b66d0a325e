import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The daemon's metrics, in Prometheus text format at `/metrics`: jobs by state, queue depth, frames
/// processed, frames per second, failures, model load time.
///
/// Each daemon has its own registry (no process-wide bootstrap), so tests can run several daemons in
/// one process. Counters and gauges are swift-metrics values backed by that registry.
public final class DaemonMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let jobsByState: [JobState: CoreMetrics.Gauge]
    private let queueDepth: CoreMetrics.Gauge
    private let runningJobs: CoreMetrics.Gauge
    private let framesProcessed: CoreMetrics.Counter
    private let framesPerSecond: CoreMetrics.Gauge
    private let jobsFinished: CoreMetrics.Counter
    private let jobsFailedAttempts: CoreMetrics.Counter
    private let jobsQuarantined: CoreMetrics.Counter
    private let modelLoadSeconds: CoreMetrics.Gauge
    private let jobSeconds: Metrics.Timer
    private let lastSpeed = LockedDouble()

    public init() {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        self.registry = registry
        self.factory = factory
        jobsByState = Dictionary(
            uniqueKeysWithValues: JobState.allCases.map {
                ($0, CoreMetrics.Gauge(label: "kineto_jobs", dimensions: [("state", $0.rawValue)], factory: factory))
            })
        queueDepth = CoreMetrics.Gauge(label: "kineto_queue_depth", factory: factory)
        runningJobs = CoreMetrics.Gauge(label: "kineto_running_jobs", factory: factory)
        framesProcessed = CoreMetrics.Counter(label: "kineto_frames_processed_total", factory: factory)
        framesPerSecond = CoreMetrics.Gauge(label: "kineto_frames_per_second", factory: factory)
        jobsFinished = CoreMetrics.Counter(label: "kineto_jobs_done_total", factory: factory)
        jobsFailedAttempts = CoreMetrics.Counter(label: "kineto_job_failures_total", factory: factory)
        jobsQuarantined = CoreMetrics.Counter(label: "kineto_jobs_quarantined_total", factory: factory)
        modelLoadSeconds = CoreMetrics.Gauge(label: "kineto_model_load_seconds", factory: factory)
        jobSeconds = Metrics.Timer(label: "kineto_job_duration_seconds", factory: factory)
    }

    /// Sets the per-state gauges from the store's counts (called before each scrape).
    public func update(counts: [JobState: Int]) {
        for (state, gauge) in jobsByState { gauge.record(Double(counts[state] ?? 0)) }
        queueDepth.record(Double(counts[.queued] ?? 0))
        runningJobs.record(Double(counts[.running] ?? 0))
    }

    public func framesWritten(_ count: Int64) {
        if count > 0 { framesProcessed.increment(by: Int(count)) }
    }

    public func speed(_ fps: Double) {
        framesPerSecond.record(fps)
        lastSpeed.set(fps)
    }

    /// The last speed recorded (output frames per second).
    public var currentSpeed: Double { lastSpeed.get() }

    public func jobDone(seconds: Double) {
        jobsFinished.increment()
        jobSeconds.recordNanoseconds(Int64(seconds * 1e9))
    }

    public func attemptFailed() { jobsFailedAttempts.increment() }
    public func jobQuarantined() { jobsQuarantined.increment() }
    public func modelLoaded(seconds: Double) { modelLoadSeconds.record(seconds) }

    /// Which worker these metrics are from (a constant 1 with the worker's id, host and version), so a
    /// farm's scrapes can be told apart.
    public func identify(worker: String, host: String, version: String) {
        CoreMetrics.Gauge(
            label: "kineto_worker_info", dimensions: [("worker", worker), ("host", host), ("version", version)],
            factory: factory
        ).record(1)
    }

    /// Workers seen by the shared store within the last minute, by state (`busy`, `idle`, `draining`).
    public func update(workers: [WorkerRecord]) {
        var counts = ["busy": 0, "idle": 0, "draining": 0]
        for worker in workers {
            counts[worker.draining ? "draining" : (worker.runningJobs.isEmpty ? "idle" : "busy"), default: 0] += 1
        }
        for (state, count) in counts {
            CoreMetrics.Gauge(label: "kineto_workers", dimensions: [("state", state)], factory: factory).record(
                Double(count))
        }
    }

    /// The exposition text.
    public func render() -> String { registry.emitToString() }
}

final class LockedDouble: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0.0
    func set(_ new: Double) { lock.withLock { value = new } }
    func get() -> Double { lock.withLock { value } }
}
