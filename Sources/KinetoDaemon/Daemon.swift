import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The whole daemon: state folder, job store, folder watcher, scheduler, status HTTP, systemd
/// notifications and SIGHUP reloads, as `Service`s in one `ServiceGroup` that turns SIGTERM (and
/// SIGINT) into a graceful shutdown: stop taking jobs, stop the running ones at their next frame,
/// remove their temporary files, leave them queued, exit.
public final class Daemon: @unchecked Sendable {
    public let config: ConfigBox
    public let store: any JobStore
    public let metrics = DaemonMetrics()
    public let activity = ActivityMonitor()
    public let notifier: SystemdNotifier
    public let scheduler: JobScheduler
    public let watcher: FolderWatcher
    public let processor: JobProcessor
    public let logger: Logger
    private let lock = NSLock()
    private var port: Int?
    private var group: ServiceGroup?

    /// Prepares the state folder and the store, recovers from a crash (jobs left running go back to the
    /// queue, stale temporary files are removed). Nothing runs until `run()`.
    public init(
        config: DaemonConfig, executor: any JobExecutor = PipelineExecutor(),
        logger: Logger = Logger(label: "kineto.daemon"),
        notifier: SystemdNotifier = SystemdNotifier(), watchTick: Double = 0.5, schedulerPoll: Double = 0.25,
        availableBytes: @escaping @Sendable (String) -> Int64? = DiskSpace.available(at:)
    ) throws {
        self.config = ConfigBox(config)
        self.logger = logger
        self.notifier = notifier
        try Self.prepareFolders(config)
        store = try JobStoreFactory.open(config, logger: logger)
        metrics.identify(worker: store.workerID, host: WorkerIdentity.hostName, version: WorkerIdentity.kinetoVersion)
        logger.info("job store open", metadata: ["store": "\(store.location)", "worker": "\(store.workerID)"])
        let thumbnails = (config.stateDirectory as NSString).appendingPathComponent("thumbnails")
        processor = JobProcessor(
            store: store, executor: executor, metrics: metrics, activity: activity, logger: logger,
            thumbnailDirectory: thumbnails, maxAttempts: config.maxAttempts,
            retryBackoffSeconds: config.retryBackoffSeconds, availableBytes: availableBytes)
        let placed = PlacedOutputRecovery.recover(
            store: store, folders: Array(Set(config.watches.map(\.output))),
            worker: store.isShared ? store.workerID : nil)
        if !placed.isEmpty {
            logger.notice(
                "jobs whose output was placed just before the last stop are recorded as done",
                metadata: ["jobs": "\(placed)"])
            // The stop also skipped the steps between placing and recording: thumbnails and after_success.
            let watches = Dictionary(config.watches.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for id in placed {
                guard let job = try? store.job(id: id), let watch = watches[job.watch] else { continue }
                processor.completeRecovered(job, watch: watch)
            }
        }
        let recovered = try store.recoverInterruptedJobs()
        if !recovered.isEmpty {
            logger.notice(
                "jobs interrupted by the last stop are queued again",
                metadata: ["jobs": "\(recovered.compactMap(\.id))"])
        }
        // Thumbnails are written through a temporary name too (`.ID-after.png.kineto-partial`).
        // A shared output folder also holds other hosts' live staging files: only this worker's go.
        let ownTag = store.isShared ? store.workerID : nil
        for folder in Set(config.watches.flatMap { [$0.output, $0.quarantine] } + [thumbnails]) {
            let removed = TemporaryFileCleaner.clean(folder: folder, worker: ownTag)
            if !removed.isEmpty { logger.notice("removed stale temporary files", metadata: ["files": "\(removed)"]) }
        }
        scheduler = JobScheduler(
            config: self.config, store: store, processor: processor, activity: activity, logger: logger,
            pollInterval: schedulerPoll)
        watcher = FolderWatcher(config: self.config, store: store, logger: logger, tick: watchTick)
    }

    /// Creates the state folder, the thumbnail folder and default quarantine folders.
    static func prepareFolders(_ config: DaemonConfig) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
            try manager.createDirectory(
                atPath: (config.stateDirectory as NSString).appendingPathComponent("thumbnails"),
                withIntermediateDirectories: true)
            for watch in config.watches {
                try manager.createDirectory(atPath: watch.quarantine, withIntermediateDirectories: true)
            }
        } catch {
            throw DaemonError("cannot prepare the state folder \(config.stateDirectory): \(error)")
        }
    }

    /// The port the HTTP server listens on, once it does (useful with port 0 in tests).
    public var boundPort: Int? { lock.withLock { port } }

    /// Runs until SIGTERM/SIGINT or `shutdown()`.
    public func run() async throws {
        let current = config.current
        let thumbnails = (current.stateDirectory as NSString).appendingPathComponent("thumbnails")
        let api = StatusAPI(
            config: config, store: store, scheduler: scheduler, metrics: metrics, activity: activity,
            thumbnailDirectory: thumbnails)
        var httpLogger = logger
        httpLogger.logLevel = max(logger.logLevel, .notice)
        let app = Application(
            router: api.makeRouter(),
            configuration: .init(address: .hostname(current.http.host, port: current.http.port), serverName: "kineto"),
            onServerRunning: { [self] channel in
                lock.withLock { port = channel.localAddress?.port }
                logger.info(
                    "listening",
                    metadata: ["address": "http://\(current.http.host):\(channel.localAddress?.port ?? 0)/"])
                notifier.ready(status: "watching \(current.watches.count) folder(s)")
            },
            logger: httpLogger)
        let systemd = SystemdService(
            notifier: notifier, activity: activity, store: store, config: config, logger: logger)
        let reload = ReloadService(
            config: config, notifier: notifier, logger: logger,
            prepare: { new in
                try? Self.prepareFolders(new)
            })
        // Graceful shutdown runs from the last service to the first: systemd hears STOPPING=1 first, the
        // watcher stops queueing, the scheduler returns its jobs to the queue, and the API answers to the end.
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: app), .init(service: scheduler), .init(service: watcher), .init(service: reload),
                    .init(service: systemd),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        lock.withLock { self.group = group }
        logger.info(
            "kineto daemon starting",
            metadata: ["state": "\(current.stateDirectory)", "watches": "\(current.watches.map(\.name))"])
        try await group.run()
        logger.info("kineto daemon stopped")
    }

    /// Starts a graceful shutdown, as SIGTERM does.
    public func shutdown() async {
        let group = lock.withLock { self.group }
        await group?.triggerGracefulShutdown()
    }
}
