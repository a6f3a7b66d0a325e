import Foundation
import Glibc
import KinetoMedia
import KinetoPipeline
import Logging

/// Everything that happens to one job, start to finish, on the calling thread: check the source is
/// still the file that was queued, check free space, run the pipeline into a hidden staging file in
/// the output folder, verify and sync it, give it its final name without replacing anything, make
/// thumbnails, apply `after_success`, and record the result — or, on failure, remove the staging
/// file and schedule a retry or quarantine the job with an error report.
public struct JobProcessor: Sendable {
    public var store: any JobStore
    public var executor: any JobExecutor
    public var metrics: DaemonMetrics
    public var activity: ActivityMonitor
    public var logger: Logger
    /// Where thumbnails go (`<state_dir>/thumbnails`).
    public var thumbnailDirectory: String
    public var maxAttempts: Int
    public var retryBackoffSeconds: Double
    /// Free bytes in a folder (statvfs); replaceable so a test can simulate a full disk.
    public var availableBytes: @Sendable (String) -> Int64?

    public init(
        store: any JobStore, executor: any JobExecutor, metrics: DaemonMetrics, activity: ActivityMonitor,
        logger: Logger, thumbnailDirectory: String, maxAttempts: Int, retryBackoffSeconds: Double,
        availableBytes: @escaping @Sendable (String) -> Int64? = DiskSpace.available(at:)
    ) {
        self.store = store
        self.executor = executor
        self.metrics = metrics
        self.activity = activity
        self.logger = logger
        self.thumbnailDirectory = thumbnailDirectory
        self.maxAttempts = maxAttempts
        self.retryBackoffSeconds = retryBackoffSeconds
        self.availableBytes = availableBytes
    }

    /// The staging file of job `id` for an output called `stem.ext`: hidden, marked as Kineto's, in the
    /// output folder (so the final rename stays on one file system).
    /// With a run and a worker, the name also says which run of which worker wrote it: workers on
    /// several hosts may run the same job into one shared folder (after a lease ended).
    public static func stagingPath(
        folder: String, stem: String, extension ext: String, jobID: Int64,
        run: Int64? = nil, worker: String? = nil
    ) -> String {
        var name = ".\(stem)\(FileNameFilter.kinetoPartialMarker).job\(jobID)"
        if let run { name += ".r\(run)" }
        if let worker { name += ".w\(WorkerIdentity.fileSafe(worker))" }
        return (folder as NSString).appendingPathComponent("\(name).\(ext)")
    }

    /// Where chunk `index` of job `parentID` lies once made: hidden, in the output folder (which every
    /// worker shares), under a name no other run uses, kept until the job that joins the chunks is done.
    public static func chunkPath(folder: String, stem: String, extension ext: String, parentID: Int64, index: Int)
        -> String
    {
        (folder as NSString).appendingPathComponent(".\(stem)\(chunkMarker).job\(parentID).c\(index).\(ext)")
    }

    /// Marks a finished chunk's name (not a temporary file: the start-up cleaning leaves it).
    public static let chunkMarker = ".kineto-chunk"

    /// The part of a staging name that names its worker.
    public static func workerTag(_ worker: String) -> String { ".w\(WorkerIdentity.fileSafe(worker))." }

    /// The output's name without extension: the source's file name without its extension, or for a
    /// stream URL its last path component (`stream-ID` when there is none).
    public static func outputStem(source: String, jobID: Int64) -> String {
        var name = (source as NSString).lastPathComponent
        if source.contains("://") {
            name = URL(string: source)?.lastPathComponent ?? ""
            if name.isEmpty || name == "/" { return "stream-\(jobID)" }
        }
        let stem = (name as NSString).deletingPathExtension
        let cleaned = stem.hasPrefix(".") ? String(stem.drop { $0 == "." }) : stem
        return cleaned.isEmpty ? "video-\(jobID)" : cleaned
    }

    public func thumbnailPath(jobID: Int64, which: String) -> String {
        (thumbnailDirectory as NSString).appendingPathComponent("\(jobID)-\(which).png")
    }

    /// Runs `job` (already marked running) with `watch`'s settings and records the outcome.
    public func process(_ job: JobRecord, watch: WatchConfig, control: RunControl) -> JobOutcome {
        guard let id = job.id else { return .superseded(reason: "job has no id") }
        var log = logger
        log[metadataKey: "job"] = "\(id)"
        log[metadataKey: "source"] = "\(job.source)"
        activity.jobStarted(id)
        defer { activity.jobEnded(id) }
        let isStream = job.source.contains("://")
        let run = job.run
        // This host's path of the input: jobs found by a watcher name it relative to the watch folder.
        let source = job.localSource(watchInput: watch.input)
        log[metadataKey: "run"] = "\(run)"

        // An earlier run of this job may have placed its output and died before recording it.
        if let placedRun = job.placedRun, placedRun < run {
            if let placed = PlacedOutputRecovery.placedOutput(folder: watch.output, id: id, run: placedRun) {
                try? store.markDone(
                    id: id, run: run, output: placed, framesOut: job.framesOut, framesPerSecond: job.framesPerSecond)
                log.notice(
                    "an earlier run placed this job's output before it stopped; recorded as done",
                    metadata: ["output": "\(placed)"])
                return .done(output: placed)
            }
        }

        // The file must still be the one that was queued: a file replaced meanwhile is a new job.
        if !isStream {
            guard let identity = FileIdentity(path: source) else {
                return supersede(id, log, "the source file disappeared before it was processed")
            }
            // Inode numbers of one file differ between hosts (SMB): a shared store compares size and time.
            // A chunk's inode column is not the file's (see `SQLiteJobStore.split`): size and time identify it.
            if identity.size != job.size || identity.mtimeNanoseconds != job.mtimeNanoseconds
                || (!store.isShared && job.chunk == nil && identity.inode != job.inode)
            {
                return supersede(
                    id, log, "the source file changed after it was queued; the new version is a job of its own")
            }
        }

        let stem = Self.outputStem(source: job.source, jobID: job.parentID ?? id)
        // A chunk made by an earlier run that died before recording it is not made again.
        if let chunk = job.chunk, let parentID = job.parentID {
            let made = Self.chunkPath(
                folder: watch.output, stem: stem, extension: watch.container, parentID: parentID, index: chunk.index)
            if access(made, F_OK) == 0 {
                let frames = chunk.range.window.count ?? job.framesOut
                recordDone(id, run: run, output: made, framesOut: frames, framesPerSecond: 0, log: log)
                note(id, run: run, "done", "chunk \(chunk.index + 1) of \(chunk.count) was already made: \(made)")
                return .done(output: made)
            }
        }
        // A long video becomes chunks that any worker can take, once; the job then waits to join them.
        var joining: [JobRecord]?
        if job.chunkCount != nil {
            do {
                joining = try store.chunks(of: id)
            } catch {
                return fail(
                    job, watch: watch, log: log, kind: "internal", permanent: false,
                    message: "cannot read the job's chunks: \(error)")
            }
        } else if job.chunk == nil, let seconds = watch.chunkSeconds, !isStream,
            let plan = try? executor.planChunks(
                ExecutionRequest(
                    input: source,
                    output: (watch.output as NSString).appendingPathComponent("\(stem).\(watch.container)"),
                    watch: watch),
                chunkSeconds: seconds),
            plan.count > 1
        {
            return split(job, plan: plan, seconds: seconds, log: log)
        }

        let staging =
            store.isShared
            ? Self.stagingPath(
                folder: watch.output, stem: stem, extension: watch.container, jobID: id, run: run,
                worker: store.workerID)
            : Self.stagingPath(folder: watch.output, stem: stem, extension: watch.container, jobID: id, run: run)
        unlink(staging)
        defer { unlink(staging) }

        // Free space: a full disk fails now, cleanly, not after an hour of work.
        if !isStream {
            let needed = DiskSpace.estimatedOutputBytes(
                inputBytes: job.size, frameFactor: frameFactor(watch, source: job.source),
                lossless: watch.codec == .ffv1)
            if let free = availableBytes(watch.output), free < needed {
                return fail(
                    job, watch: watch, log: log, kind: "output", permanent: false,
                    message:
                        "not enough free space in \(watch.output): \(free >> 20) MiB free, about \(needed >> 20) MiB needed; free some space (the job is retried)"
                )
            }
        }

        let started = ActivityMonitor.now()
        let tracker = ProgressTracker(
            store: store, metrics: metrics, activity: activity, jobID: id, run: run, started: started)
        var request = ExecutionRequest(input: source, output: staging, watch: watch, chunk: job.chunk?.range)
        if let joining {
            guard joining.count == job.chunkCount, joining.allSatisfy({ $0.state == .done && $0.output != nil }) else {
                return fail(
                    job, watch: watch, log: log, kind: "internal", permanent: false,
                    message:
                        "the job's chunks are not all done (\(joining.filter { $0.state == .done }.count) of \(job.chunkCount ?? 0))"
                )
            }
            request.joining = joining.compactMap(\.output)
        }
        log.info("job started", metadata: ["watch": "\(watch.name)", "output": "\(watch.output)"])
        note(
            id, run: run, "started",
            "\(source) on \(WorkerIdentity.hostName), attempt \(job.attempts + 1), interruptions so far \(job.interruptions)"
        )
        let result: ExecutionResult
        do {
            result = try executor.run(request, progress: { tracker.report($0) }, cancellation: control.token)
        } catch {
            unlink(staging)
            if let reason = control.stopReason {
                return stopped(id, run: run, reason: reason, log: log)
            }
            let pipelineError = error as? PipelineError
            if pipelineError?.code == .cancelled { return stopped(id, run: run, reason: .shutdown, log: log) }
            let permanent = pipelineError?.code == .input || pipelineError?.code == .usage
            return fail(
                job, watch: watch, log: log, kind: pipelineError?.code.rawValue ?? "internal", permanent: permanent,
                message: "\(pipelineError?.description ?? "\(error)")")
        }
        if let reason = control.stopReason { return stopped(id, run: run, reason: reason, log: log) }

        // Verify, sync, and only then give the file its final name.
        let output: String
        do {
            try OutputVerifier.verify(staging, expectedFrames: result.framesOut)
            try OutputPlacer.syncFile(staging)
        } catch {
            unlink(staging)
            return fail(job, watch: watch, log: log, kind: "output", permanent: false, message: "\(error)")
        }
        if let chunk = job.chunk, let parentID = job.parentID {
            return placeChunk(
                job, chunk: chunk, staging: staging,
                made: Self.chunkPath(
                    folder: watch.output, stem: stem, extension: watch.container, parentID: parentID,
                    index: chunk.index),
                result: result, started: started, watch: watch, log: log)
        }
        // Exactly one run places the output: the store grants placement to the run that still holds the
        // job (a worker that froze past its lease finds it taken), the no-clobber link does the rest.
        switch placementGranted(id: id, run: run, watch: watch, log: log) {
        case .granted: break
        case .placedElsewhere(let placed):
            unlink(staging)
            log.notice(
                "another worker placed this job's output; this run's copy is dropped",
                metadata: ["output": "\(placed ?? "?")"])
            note(id, run: run, "placed-elsewhere", "output already placed by another run: \(placed ?? "?")")
            return .done(output: placed ?? "")
        case .lost(let reason):
            unlink(staging)
            log.notice("job given up: \(reason)")
            return .superseded(reason: reason)
        }
        do {
            output = try OutputPlacer.place(
                staging: staging, folder: watch.output, stem: stem, extension: watch.container,
                keepStaging: true)
        } catch {
            unlink(staging)
            return fail(job, watch: watch, log: log, kind: "output", permanent: false, message: "\(error)")
        }
        for warning in result.warnings {
            log.warning("\(warning)")
            note(id, run: run, "warning", "\(warning)")
        }

        makeThumbnails(id: id, source: isStream ? nil : source, output: output, log: log)
        if !isStream {
            applyAfterSuccess(
                watch.afterSuccess, source: source, identity: FileIdentity(path: source), expected: job, log: log)
        }
        // The store may be out of reach (a database restart): keep trying, keeping the staging name as
        // the evidence that the output was placed, so that neither a crash nor a takeover runs it again.
        var delay = 0.25
        let deadline = ActivityMonitor.now() + 600
        while true {
            do {
                try store.markDone(
                    id: id, run: run, output: output, framesOut: result.framesOut,
                    framesPerSecond: result.framesPerSecond)
                break
            } catch {
                if ActivityMonitor.now() > deadline {
                    log.error(
                        "cannot record the finished job (its output is in place; the next start records it): \(error)")
                    return .done(output: output)
                }
                log.warning("cannot record the finished job yet, retrying in \(delay) s: \(error)")
                activity.jobProgressed(id)
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
            }
        }
        // Only now, with the job recorded as done, the second name goes (see PlacedOutputRecovery), and
        // the chunks it was joined from.
        unlink(staging)
        for chunk in joining ?? [] { if let made = chunk.output { unlink(made) } }
        OutputPlacer.syncDirectory(watch.output)
        note(
            id, run: run, "done",
            "\(output): \(result.framesOut) frames, \(String(format: "%.1f", result.framesPerSecond)) fps, \(String(format: "%.1f", ActivityMonitor.now() - started)) s"
        )
        metrics.jobDone(seconds: ActivityMonitor.now() - started)
        metrics.speed(result.framesPerSecond)
        log.info(
            "job done",
            metadata: [
                "output": "\(output)", "frames": "\(result.framesOut)",
                "fps": "\(String(format: "%.1f", result.framesPerSecond))",
            ])
        return .done(output: output)
    }

    /// Finishes a job that `PlacedOutputRecovery` recorded as done at start-up: its output was placed
    /// just before a crash, which skipped the thumbnails and the `after_success` action. Both are done
    /// now; the action only if the source is still the very file that was processed.
    public func completeRecovered(_ job: JobRecord, watch: WatchConfig) {
        guard let id = job.id, job.state == .done, let output = job.output else { return }
        var log = logger
        log[metadataKey: "job"] = "\(id)"
        log[metadataKey: "source"] = "\(job.source)"
        let isStream = job.source.contains("://")
        let source = job.localSource(watchInput: watch.input)
        makeThumbnails(id: id, source: isStream ? nil : source, output: output, log: log)
        if !isStream {
            applyAfterSuccess(
                watch.afterSuccess, source: source, identity: FileIdentity(path: source), expected: job, log: log)
        }
    }

    // MARK: - Chunks

    private func split(_ job: JobRecord, plan: [ChunkRange], seconds: Double, log: Logger) -> JobOutcome {
        let id = job.id!
        let chunks = plan.map { JobChunk(index: $0.index, count: plan.count, range: $0) }
        do {
            guard try store.split(id: id, run: job.run, chunks: chunks, now: Date().timeIntervalSince1970) else {
                return .superseded(reason: "lease lost")
            }
        } catch {
            return fail(
                job, watch: nil, log: log, kind: "internal", permanent: false,
                message: "cannot queue the chunks: \(error)")
        }
        log.info("long video split into \(plan.count) chunks of about \(Int(seconds)) s; joined when all are done")
        note(id, run: job.run, "split", "split into \(plan.count) chunks of about \(Int(seconds)) s")
        return .split(chunks: plan.count)
    }

    /// Gives a verified chunk its final name (only if no other run did: the first one made stays) and records it.
    private func placeChunk(
        _ job: JobRecord, chunk: JobChunk, staging: String, made: String, result: ExecutionResult, started: Double,
        watch: WatchConfig, log: Logger
    ) -> JobOutcome {
        let id = job.id!
        if link(staging, made) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            unlink(staging)
            return fail(
                job, watch: watch, log: log, kind: "output", permanent: false,
                message: "cannot keep chunk \(chunk.index + 1) as \(made): \(reason)")
        }
        unlink(staging)
        OutputPlacer.syncDirectory(watch.output)
        recordDone(
            id, run: job.run, output: made, framesOut: result.framesOut, framesPerSecond: result.framesPerSecond,
            log: log)
        note(
            id, run: job.run, "done",
            "chunk \(chunk.index + 1) of \(chunk.count): \(result.framesOut) frames, \(String(format: "%.1f", result.framesPerSecond)) fps, \(String(format: "%.1f", ActivityMonitor.now() - started)) s"
        )
        metrics.speed(result.framesPerSecond)
        log.info(
            "chunk done", metadata: ["chunk": "\(chunk.index + 1)/\(chunk.count)", "frames": "\(result.framesOut)"])
        return .done(output: made)
    }

    /// Records a run's end as done, retrying while the store is out of reach (the result is in place).
    private func recordDone(
        _ id: Int64, run: Int64, output: String, framesOut: Int64, framesPerSecond: Double, log: Logger
    ) {
        var delay = 0.25
        let deadline = ActivityMonitor.now() + 600
        while true {
            do {
                try store.markDone(
                    id: id, run: run, output: output, framesOut: framesOut, framesPerSecond: framesPerSecond)
                return
            } catch {
                if ActivityMonitor.now() > deadline {
                    log.error("cannot record the finished chunk (it is kept; its next run records it): \(error)")
                    return
                }
                log.warning("cannot record the finished chunk yet, retrying in \(delay) s: \(error)")
                activity.jobProgressed(id)
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
            }
        }
    }

    // MARK: - Report

    /// A line in the job's report (kept `report_days`); a store that cannot take it loses only the line.
    func note(_ id: Int64, run: Int64, _ kind: String, _ message: String) {
        try? store.addEvent(JobEvent(jobID: id, worker: store.workerID, run: run, kind: kind, message: message))
    }

    // MARK: - Outcomes

    private func supersede(_ id: Int64, _ log: Logger, _ reason: String) -> JobOutcome {
        log.notice("job skipped: \(reason)")
        _ = try? store.cancel(id: id)
        return .superseded(reason: reason)
    }

    enum Placement {
        case granted
        case placedElsewhere(String?)
        case lost(String)
    }

    /// Asks the store whether this run may place the job's output.
    private func placementGranted(id: Int64, run: Int64, watch: WatchConfig, log: Logger) -> Placement {
        var delay = 0.25
        for _ in 0..<40 {
            do {
                if try store.claimPlacement(id: id, run: run, takeOver: false) { return .granted }
                guard let current = try store.job(id: id) else { return .lost("the job was removed") }
                if current.state == .done { return .placedElsewhere(current.output) }
                if current.run != run || current.state != .running {
                    return .lost(
                        "this worker's lease ended and the job went to run \(current.run) (\(current.state.rawValue))")
                }
                // An earlier run began placing and stopped: take over only if it placed nothing.
                if let earlier = current.placedRun, earlier < run {
                    if let placed = PlacedOutputRecovery.placedOutput(folder: watch.output, id: id, run: earlier) {
                        try store.markDone(
                            id: id, run: run, output: placed, framesOut: current.framesOut,
                            framesPerSecond: current.framesPerSecond)
                        return .placedElsewhere(placed)
                    }
                    if try store.claimPlacement(id: id, run: run, takeOver: true) { return .granted }
                }
                return .lost("the store did not grant placement")
            } catch {
                log.warning("cannot reach the job store to place the output, retrying in \(delay) s: \(error)")
                activity.jobProgressed(id)
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
            }
        }
        return .lost("the job store stayed unreachable while placing the output")
    }

    private func stopped(_ id: Int64, run: Int64, reason: RunControl.StopReason, log: Logger) -> JobOutcome {
        switch reason {
        case .leaseLost:
            log.notice("job stopped: this worker's lease ended and another worker took the job")
            note(id, run: run, "lease-lost", "stopped: the lease ended and another worker took the job")
            return .superseded(reason: "lease lost")
        case .userCancelled:
            _ = try? store.cancel(id: id)
            note(id, run: run, "cancelled", "cancelled by a user")
            log.notice("job cancelled")
            return .cancelled
        case .shutdown:
            try? store.requeue(id: id, run: run)
            note(id, run: run, "requeued", "stopped by a shutdown of \(store.workerID); back in the queue")
            log.notice("job stopped by shutdown; back in the queue")
            return .requeued
        }
    }

    /// A failure of a run that no longer holds the job (its lease ended, another worker runs it): the
    /// job is the other run's now, so nothing is counted, reported or quarantined.
    private func fencedOut(_ job: JobRecord, log: Logger, message: String) -> JobOutcome {
        log.notice("run failed after another worker took the job; its failure is not counted: \(message)")
        return .superseded(reason: "lease lost")
    }

    private func fail(
        _ job: JobRecord, watch: WatchConfig?, log: Logger, kind: String, permanent: Bool, message: String
    )
        -> JobOutcome
    {
        let id = job.id!
        metrics.attemptFailed()
        let attempt = job.attempts + 1
        if !permanent && attempt < maxAttempts {
            let delay = retryBackoffSeconds * pow(2, Double(attempt - 1))
            let updated = try? store.markFailed(
                id: id, run: job.run, error: message, retryAt: Date().timeIntervalSince1970 + delay)
            if let updated, updated.run != job.run { return fencedOut(job, log: log, message: message) }
            log.warning("job failed, retry in \(Int(delay)) s (attempt \(attempt) of \(maxAttempts)): \(message)")
            note(
                id, run: job.run, "failed",
                "attempt \(attempt) of \(maxAttempts) failed (\(kind)), retry in \(Int(delay)) s: \(message)")
            return .willRetry(error: message)
        }
        let updated = try? store.markFailed(id: id, run: job.run, error: message, retryAt: nil)
        if let updated, updated.run != job.run { return fencedOut(job, log: log, message: message) }
        note(id, run: job.run, "quarantined", "attempt \(attempt) failed (\(kind)), quarantined: \(message)")
        metrics.jobQuarantined()
        // A chunk that cannot be made fails its whole video: the job it belongs to is quarantined with it.
        var job = job
        var message = message
        if let parentID = job.parentID, let chunk = job.chunk {
            message = "chunk \(chunk.index + 1) of \(chunk.count) failed: \(message)"
            _ = try? store.markFailed(id: parentID, run: nil, error: message, retryAt: nil)
            note(parentID, run: 0, "quarantined", message)
            job.id = parentID
        }
        guard let watch else {
            log.error("job quarantined: \(message)")
            return .quarantined(error: message)
        }
        let report = QuarantineReport(
            source: job.source, watch: watch.name, jobID: job.id ?? id, error: message, kind: kind,
            attempts: attempt, failedAt: Date(), size: job.size)
        do {
            let path = try report.write(into: watch.quarantine)
            log.error("job quarantined: \(message)", metadata: ["report": "\(path)"])
        } catch {
            log.error("job quarantined: \(message); the error report could not be written: \(error)")
        }
        return .quarantined(error: message)
    }

    // MARK: - Helpers

    /// Output frames per input frame, roughly, for the free-space estimate.
    private func frameFactor(_ watch: WatchConfig, source: String) -> Double {
        switch watch.job {
        case .slowmo: return Double(watch.factor)
        case .animate: return 1
        case .interpolate:
            switch watch.targetRate {
            case .multiple(let numerator, let denominator): return Double(numerator) / Double(denominator)
            case .fixed(let rate):
                // A fixed rate against a slow input can mean many more frames: assume 24 fps inputs.
                return rate.framesPerSecond / 24
            }
        }
    }

    private func makeThumbnails(id: Int64, source: String?, output: String, log: Logger) {
        try? FileManager.default.createDirectory(atPath: thumbnailDirectory, withIntermediateDirectories: true)
        // Each picture on its own: a source that cannot be pictured still gets its result's thumbnail.
        for (which, video) in [("before", source), ("after", output)] {
            guard let video else { continue }
            do {
                try ThumbnailMaker.makeThumbnail(of: video, to: thumbnailPath(jobID: id, which: which))
            } catch {
                log.warning("no \(which) thumbnail: \(error)")
            }
        }
    }

    private func applyAfterSuccess(
        _ action: AfterSuccess, source: String, identity: FileIdentity?, expected: JobRecord, log: Logger
    ) {
        // Only the very file that was processed is moved or deleted, never a newer one under its name.
        guard let identity, identity.size == expected.size, identity.mtimeNanoseconds == expected.mtimeNanoseconds,
            store.isShared || identity.inode == expected.inode
        else { return }
        switch action {
        case .keep:
            return
        case .move(let folder):
            let name = source as NSString
            do {
                let moved = try OutputPlacer.place(
                    staging: source, folder: folder, stem: (name.lastPathComponent as NSString).deletingPathExtension,
                    extension: name.pathExtension)
                log.info("source moved", metadata: ["to": "\(moved)"])
            } catch {
                log.warning("the source could not be moved after success: \(error)")
            }
        case .delete:
            if unlink(source) == 0 {
                log.info("source deleted (after_success = delete)")
            } else {
                log.warning("the source could not be deleted: \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// Turns the pipeline's progress callbacks into store updates (at most once a second), metrics and
/// watchdog activity.
final class ProgressTracker: @unchecked Sendable {
    private let store: any JobStore
    private let metrics: DaemonMetrics
    private let activity: ActivityMonitor
    private let jobID: Int64
    private let run: Int64
    private let started: Double
    private let lock = NSLock()
    private var lastFrames: Int64 = 0
    private var lastFramesIn: Int64 = 0
    private var lastStored = 0.0
    private var firstFrameSeen = false

    init(
        store: any JobStore, metrics: DaemonMetrics, activity: ActivityMonitor, jobID: Int64, run: Int64,
        started: Double
    ) {
        self.run = run
        self.store = store
        self.metrics = metrics
        self.activity = activity
        self.jobID = jobID
        self.started = started
    }

    func report(_ progress: JobProgress) {
        let now = ActivityMonitor.now()
        let (delta, moved, store, firstFrame): (Int64, Bool, Bool, Bool) = lock.withLock {
            let delta = progress.framesOut - lastFrames
            if delta > 0 { lastFrames = progress.framesOut }
            let moved = delta > 0 || progress.framesIn > lastFramesIn
            lastFramesIn = max(lastFramesIn, progress.framesIn)
            let due = now - lastStored >= 1
            if due { lastStored = now }
            let first = !firstFrameSeen && progress.framesOut > 0
            if first { firstFrameSeen = true }
            return (delta, moved, due, first)
        }
        // Progress means frames moving; a callback without new frames is not a sign of life.
        if moved { activity.jobProgressed(jobID, now: now) }
        if delta > 0 { metrics.framesWritten(delta) }
        if firstFrame { metrics.modelLoaded(seconds: now - started) }
        if store {
            metrics.speed(progress.framesPerSecond)
            try? self.store.updateProgress(
                id: jobID, run: run, progress: progress.fractionDone, framesOut: progress.framesOut,
                totalFrames: progress.totalFrames, framesPerSecond: progress.framesPerSecond)
        }
    }
}
