import Foundation

/// Where jobs live: one interface, two engines. `SQLiteJobStore` is the embedded default (one host);
/// `PostgresJobStore` is a queue that several hosts share.
///
/// Every engine follows the same lease rule: `claimNext` gives the job to this store's worker for
/// `leaseSeconds`, `heartbeat` extends it while the job makes progress, and a job whose lease ended
/// (its worker died, froze or lost the network) goes back to the queue, counted as an interruption.
/// A worker's writes to a running job name the `run` it claimed: once another worker has claimed the
/// job again, the old worker's writes change nothing.
public protocol JobStore: AnyObject, Sendable {
    /// The engine and where it is, for logs (never a password).
    var location: String { get }
    /// The worker this store claims jobs for.
    var workerID: String { get }
    /// Seconds a claim lasts without a heartbeat.
    var leaseSeconds: Double { get }
    /// Whether several hosts may share the store (their inode numbers of one file may differ).
    var isShared: Bool { get }

    /// At start-up: jobs still leased to this worker belong to its previous, dead process; they go
    /// back to the queue at once (an interruption each) instead of waiting for the lease to end.
    func releaseOwnLeases(interruptionLimit: Int, now: Double) throws -> [JobRecord]
    /// Jobs whose lease ended go back to the queue (or fail after `interruptionLimit` interruptions).
    func recoverExpiredLeases(interruptionLimit: Int, now: Double) throws -> [JobRecord]

    /// Adds a queued job unless one for the same file exists: then returns that one and false.
    func enqueue(watch: String, source: String, relativePath: String?, identity: FileIdentity?, now: Double) throws -> (
        job: JobRecord, inserted: Bool
    )
    func contains(source: String, identity: FileIdentity) throws -> Bool
    /// Claims the oldest queued job of one of `watches` (nil: any) whose backoff has passed; a split job
    /// only once all its chunks are done. Chunks keep their parent's place in the queue.
    func claimNext(now: Double, watches: Set<String>?) throws -> JobRecord?
    /// Extends run `run`'s lease; false when the run no longer holds the job.
    func heartbeat(id: Int64, run: Int64, now: Double) throws -> Bool
    /// Run `run` asks to place the output. Granted once per job, unless the run that had it ended
    /// without recording the job done (`takeOver` true: the caller checked it placed nothing).
    func claimPlacement(id: Int64, run: Int64, takeOver: Bool) throws -> Bool
    /// Run `run` splits its long job `id` into `chunks`, queued as jobs of their own that any worker
    /// may take; the job goes back to the queue (the run not counted as an attempt) and is claimed
    /// again only once every chunk is done, to join them. False when the run no longer holds the job.
    func split(id: Int64, run: Int64, chunks: [JobChunk], now: Double) throws -> Bool
    /// The chunk jobs of job `id`, in order (empty for a job that was not split).
    func chunks(of id: Int64) throws -> [JobRecord]
    func secondsUntilNextRetry(now: Double) throws -> Double?
    func updateProgress(
        id: Int64, run: Int64?, progress: Double?, framesOut: Int64, totalFrames: Int64?, framesPerSecond: Double)
        throws
    func markDone(id: Int64, run: Int64?, output: String, framesOut: Int64, framesPerSecond: Double, now: Double) throws
    /// Counts a failed attempt and either queues a retry at `retryAt` or, when nil, marks the job `failed`.
    func markFailed(id: Int64, run: Int64?, error: String, retryAt: Double?, now: Double) throws -> JobRecord?
    /// A run stopped by a shutdown: back to the queue, the attempt not counted.
    func requeue(id: Int64, run: Int64?) throws
    /// Cancels a queued or running job, and the chunks of a split one.
    func cancel(id: Int64, now: Double) throws -> JobRecord?
    /// Queues a failed or cancelled job again, and its failed or cancelled chunks (done ones stay done).
    func retry(id: Int64) throws -> JobRecord?
    func job(id: Int64) throws -> JobRecord?
    /// Jobs, newest first, optionally only in one state.
    func jobs(state: JobState?, limit: Int) throws -> [JobRecord]
    /// Number of jobs in each state (every state present, zero when none).
    func countsByState() throws -> [JobState: Int]

    /// Adds a line to job `event.jobID`'s report (which worker, which run, what happened).
    func addEvent(_ event: JobEvent) throws
    /// Job `id`'s report lines, oldest first.
    func events(jobID: Int64) throws -> [JobEvent]
    /// Removes report lines older than `before` (seconds since 1970); returns how many.
    func purgeEvents(before: Double) throws -> Int

    /// Records this worker's presence (host, version, labels, jobs, speed) for `kineto workers`.
    func recordWorker(_ worker: WorkerRecord) throws
    /// Every worker that reported within the last `withinSeconds`.
    func workers(withinSeconds: Double) throws -> [WorkerRecord]
}

/// The default arguments of the common calls.
extension JobStore {
    public func recoverInterruptedJobs(interruptionLimit: Int = 10, now: Double = Date().timeIntervalSince1970) throws
        -> [JobRecord]
    {
        try releaseOwnLeases(interruptionLimit: interruptionLimit, now: now)
    }

    @discardableResult
    public func enqueue(
        watch: String, source: String, relativePath: String? = nil, identity: FileIdentity?,
        now: Double = Date().timeIntervalSince1970
    ) throws -> (job: JobRecord, inserted: Bool) {
        try enqueue(watch: watch, source: source, relativePath: relativePath, identity: identity, now: now)
    }

    public func claimNext(now: Double = Date().timeIntervalSince1970, watches: Set<String>? = nil) throws -> JobRecord?
    {
        try claimNext(now: now, watches: watches)
    }

    public func secondsUntilNextRetry(now: Double = Date().timeIntervalSince1970) throws -> Double? {
        try secondsUntilNextRetry(now: now)
    }

    public func updateProgress(
        id: Int64, progress: Double?, framesOut: Int64, totalFrames: Int64?, framesPerSecond: Double
    ) throws {
        try updateProgress(
            id: id, run: nil, progress: progress, framesOut: framesOut, totalFrames: totalFrames,
            framesPerSecond: framesPerSecond)
    }

    public func markDone(
        id: Int64, run: Int64? = nil, output: String, framesOut: Int64, framesPerSecond: Double,
        now: Double = Date().timeIntervalSince1970
    ) throws {
        try markDone(id: id, run: run, output: output, framesOut: framesOut, framesPerSecond: framesPerSecond, now: now)
    }

    @discardableResult
    public func markFailed(
        id: Int64, run: Int64? = nil, error: String, retryAt: Double?, now: Double = Date().timeIntervalSince1970
    ) throws -> JobRecord? {
        try markFailed(id: id, run: run, error: error, retryAt: retryAt, now: now)
    }

    public func requeue(id: Int64) throws { try requeue(id: id, run: nil) }

    @discardableResult
    public func cancel(id: Int64) throws -> JobRecord? { try cancel(id: id, now: Date().timeIntervalSince1970) }

    public func jobs(state: JobState? = nil, limit: Int = 500) throws -> [JobRecord] {
        try jobs(state: state, limit: limit)
    }
}

/// One line of a job's report: each claim, attempt, warning and ending, with its worker and run.
public struct JobEvent: Codable, Sendable, Equatable {
    public var jobID: Int64
    public var at: Double
    public var worker: String
    public var run: Int64
    /// `claimed`, `started`, `warning`, `failed`, `done`, `placed-elsewhere`, `lease-lost`, `lease-expired`, `requeued`, `cancelled`.
    public var kind: String
    public var message: String

    public init(
        jobID: Int64, at: Double = Date().timeIntervalSince1970, worker: String, run: Int64, kind: String,
        message: String
    ) {
        self.jobID = jobID
        self.at = at
        self.worker = worker
        self.run = run
        self.kind = kind
        self.message = message
    }
}

/// One worker as it last reported itself.
public struct WorkerRecord: Codable, Sendable, Equatable {
    public var id: String
    public var host: String
    public var version: String
    public var labels: [String]
    public var startedAt: Double
    public var lastSeen: Double
    public var runningJobs: [Int64]
    public var jobsDone: Int64
    public var framesPerSecond: Double
    /// Finishing its jobs, taking no new ones.
    public var draining: Bool

    public init(
        id: String, host: String, version: String, labels: [String], startedAt: Double, lastSeen: Double,
        runningJobs: [Int64], jobsDone: Int64, framesPerSecond: Double, draining: Bool
    ) {
        self.id = id
        self.host = host
        self.version = version
        self.labels = labels
        self.startedAt = startedAt
        self.lastSeen = lastSeen
        self.runningJobs = runningJobs
        self.jobsDone = jobsDone
        self.framesPerSecond = framesPerSecond
        self.draining = draining
    }
}

/// The store's schema is newer than this Kineto knows: refuse to touch it.
public func newerSchemaError(location: String, found: Int, known: Int) -> DaemonError {
    DaemonError(
        "the job database \(location) has schema version \(found), made by a newer Kineto; this one knows versions up to \(known). Upgrade Kineto on this host (never downgrade against a shared database)"
    )
}
