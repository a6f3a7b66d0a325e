import Foundation
import GRDB

/// The jobs, in SQLite (WAL mode) in the state folder, so they survive restarts and crashes.
///
/// A job is keyed by its source's path, size, modification time and inode: the same file dropped
/// twice is one job, a changed file a new one. Every state change is one transaction; a job the
/// daemon was running when it died is found `running` on the next start and goes back to `queued`.
public final class JobStore: Sendable {
    /// The database file.
    public let path: String
    private let pool: DatabasePool

    /// Opens (creating if needed) `kineto.sqlite` in `directory`.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("kineto.sqlite")
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw DaemonError("cannot open the job database \(path): \(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "job") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("watch", .text).notNull()
                t.column("source", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("mtimeNanoseconds", .integer).notNull()
                t.column("inode", .integer).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("attempts", .integer).notNull()
                t.column("interruptions", .integer).notNull()
                t.column("notBefore", .double)
                t.column("createdAt", .double).notNull()
                t.column("startedAt", .double)
                t.column("finishedAt", .double)
                t.column("error", .text)
                t.column("output", .text)
                t.column("progress", .double).notNull()
                t.column("framesOut", .integer).notNull()
                t.column("totalFrames", .integer)
                t.column("framesPerSecond", .double).notNull()
                t.uniqueKey(["source", "size", "mtimeNanoseconds", "inode"])
            }
        }
        return migrator
    }

    /// The journal mode in force (`wal`), for checks.
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    // MARK: - Start-up

    /// Puts jobs left `running` by a crash back in the queue (counting the interruption) and returns them.
    /// A job interrupted `interruptionLimit` times is quarantined instead: it may be what crashes the daemon.
    @discardableResult
    public func recoverInterruptedJobs(interruptionLimit: Int = 10, now: Double = Date().timeIntervalSince1970) throws -> [JobRecord] {
        try pool.write { db in
            var recovered: [JobRecord] = []
            for var job in try JobRecord.filter(Column("state") == JobState.running.rawValue).fetchAll(db) {
                job.interruptions += 1
                job.progress = 0
                job.framesOut = 0
                job.framesPerSecond = 0
                if job.interruptions >= interruptionLimit {
                    job.state = .failed
                    job.finishedAt = now
                    job.error = "the daemon stopped while running this job \(job.interruptions) times (it may crash the decoder); retry it by hand once the cause is fixed"
                } else {
                    job.state = .queued
                }
                try job.update(db)
                recovered.append(job)
            }
            return recovered
        }
    }

    // MARK: - Adding

    /// Whether a job for exactly this file (path and identity) exists, in any state.
    public func contains(source: String, identity: FileIdentity) throws -> Bool {
        try pool.read { db in
            try JobRecord.filter(Column("source") == source && Column("size") == identity.size
                                 && Column("mtimeNanoseconds") == identity.mtimeNanoseconds && Column("inode") == identity.inode)
                .fetchCount(db) > 0
        }
    }

    /// Adds a queued job for `source`, unless one for the same file exists: then returns that one and false.
    public func enqueue(watch: String, source: String, identity: FileIdentity?, now: Double = Date().timeIntervalSince1970) throws -> (job: JobRecord, inserted: Bool) {
        try pool.write { db in
            var job = JobRecord(watch: watch, source: source, identity: identity, createdAt: now)
            if let existing = try JobRecord.filter(Column("source") == source && Column("size") == job.size
                                                   && Column("mtimeNanoseconds") == job.mtimeNanoseconds && Column("inode") == job.inode).fetchOne(db) {
                return (existing, false)
            }
            try job.insert(db)
            return (job, true)
        }
    }

    // MARK: - Running

    /// Claims the oldest queued job of one of `watches` (nil: any) whose backoff has passed, marking it
    /// `running`; nil when none.
    public func claimNext(now: Double = Date().timeIntervalSince1970, watches: Set<String>? = nil) throws -> JobRecord? {
        try pool.write { db in
            let candidates = try JobRecord
                .filter(Column("state") == JobState.queued.rawValue && (Column("notBefore") == nil || Column("notBefore") <= now))
                .order(Column("id")).limit(50).fetchAll(db)
            guard var job = candidates.first(where: { watches?.contains($0.watch) ?? true }) else { return nil }
            job.state = .running
            job.startedAt = now
            job.finishedAt = nil
            job.progress = 0
            job.framesOut = 0
            job.totalFrames = nil
            job.framesPerSecond = 0
            try job.update(db)
            return job
        }
    }

    /// Seconds until the next queued job's backoff ends (nil: none waiting on a backoff).
    public func secondsUntilNextRetry(now: Double = Date().timeIntervalSince1970) throws -> Double? {
        try pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(notBefore) FROM job WHERE state = ? AND notBefore > ?",
                                arguments: [JobState.queued.rawValue, now]).map { $0 - now }
        }
    }

    /// Records a running job's progress.
    public func updateProgress(id: Int64, progress: Double?, framesOut: Int64, totalFrames: Int64?, framesPerSecond: Double) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE job SET progress = ?, framesOut = ?, totalFrames = ?, framesPerSecond = ? WHERE id = ? AND state = ?
                """, arguments: [progress ?? 0, framesOut, totalFrames, framesPerSecond, id, JobState.running.rawValue])
        }
    }

    /// The job finished: its output is in place.
    public func markDone(id: Int64, output: String, framesOut: Int64, framesPerSecond: Double, now: Double = Date().timeIntervalSince1970) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE job SET state = ?, output = ?, framesOut = ?, framesPerSecond = ?, progress = 1, finishedAt = ?, notBefore = NULL WHERE id = ?
                """, arguments: [JobState.done.rawValue, output, framesOut, framesPerSecond, now, id])
        }
    }

    /// The run failed: counts the attempt and either queues a retry at `retryAt` or, when `retryAt` is nil,
    /// marks the job `failed` (quarantined). Returns the updated job.
    @discardableResult
    public func markFailed(id: Int64, error: String, retryAt: Double?, now: Double = Date().timeIntervalSince1970) throws -> JobRecord? {
        try pool.write { db in
            guard var job = try JobRecord.fetchOne(db, key: id) else { return nil }
            job.attempts += 1
            job.error = error
            job.progress = 0
            if let retryAt {
                job.state = .queued
                job.notBefore = retryAt
            } else {
                job.state = .failed
                job.finishedAt = now
                job.notBefore = nil
            }
            try job.update(db)
            return job
        }
    }

    /// A running job was stopped by a shutdown: back to the queue, the attempt not counted.
    public func requeue(id: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE job SET state = ?, progress = 0, framesOut = 0, framesPerSecond = 0, startedAt = NULL WHERE id = ?",
                           arguments: [JobState.queued.rawValue, id])
        }
    }

    /// Cancels a queued or running job (a running one is also stopped by the scheduler). Returns the job,
    /// nil if unknown; a finished job is returned unchanged.
    @discardableResult
    public func cancel(id: Int64, now: Double = Date().timeIntervalSince1970) throws -> JobRecord? {
        try pool.write { db in
            guard var job = try JobRecord.fetchOne(db, key: id) else { return nil }
            guard job.state == .queued || job.state == .running else { return job }
            job.state = .cancelled
            job.finishedAt = now
            job.progress = 0
            try job.update(db)
            return job
        }
    }

    /// Puts a failed or cancelled job back in the queue with fresh attempts. Returns the job, nil if unknown.
    @discardableResult
    public func retry(id: Int64) throws -> JobRecord? {
        try pool.write { db in
            guard var job = try JobRecord.fetchOne(db, key: id) else { return nil }
            guard job.state == .failed || job.state == .cancelled else { return job }
            job.state = .queued
            job.attempts = 0
            job.interruptions = 0
            job.notBefore = nil
            job.finishedAt = nil
            job.progress = 0
            try job.update(db)
            return job
        }
    }

    // MARK: - Reading

    public func job(id: Int64) throws -> JobRecord? {
        try pool.read { db in try JobRecord.fetchOne(db, key: id) }
    }

    /// Jobs, newest first, optionally only in one state.
    public func jobs(state: JobState? = nil, limit: Int = 500) throws -> [JobRecord] {
        try pool.read { db in
            var request = JobRecord.order(Column("id").desc).limit(limit)
            if let state { request = request.filter(Column("state") == state.rawValue) }
            return try request.fetchAll(db)
        }
    }

    /// Number of jobs in each state (every state present, zero when none).
    public func countsByState() throws -> [JobState: Int] {
        try pool.read { db in
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }
}
