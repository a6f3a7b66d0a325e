import Foundation
import GRDB

/// The jobs in SQLite (WAL mode) in the state folder: the embedded, one-host store.
///
/// A job is keyed by its source's path, size, modification time and inode: the same file dropped
/// twice is one job, a changed file a new one. Every state change is one transaction. Claims carry a
/// lease like the shared store's; at start-up the jobs leased to this worker are released at once.
public final class SQLiteJobStore: JobStore, @unchecked Sendable {
    /// The database file.
    public let path: String
    public let workerID: String
    public let leaseSeconds: Double
    public var location: String { "sqlite:\(path)" }
    public var isShared: Bool { false }
    private let pool: DatabasePool

    /// Opens (creating if needed) `kineto.sqlite` in `directory`.
    public init(directory: String, workerID: String = WorkerIdentity.defaultID, leaseSeconds: Double = 60) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("kineto.sqlite")
        self.workerID = workerID
        self.leaseSeconds = leaseSeconds
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw DaemonError("cannot open the job database \(path): \(error)")
        }
        let migrator = Self.migrator
        let known = Self.schemaVersions
        let applied = (try? pool.read { db in try migrator.appliedIdentifiers(db) }) ?? []
        if let unknown = applied.first(where: { !known.contains($0) }) {
            throw newerSchemaError(location: path, found: Int(unknown.dropFirst()) ?? 0, known: known.count)
        }
        do {
            try migrator.migrate(pool)
        } catch {
            throw DaemonError("cannot open the job database \(path): \(error)")
        }
    }

    static let schemaVersions = ["v1", "v2", "v3"]

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
        // Leases, runs and the placement claim (the same rules as the shared store), and workers.
        migrator.registerMigration("v2") { db in
            try db.alter(table: "job") { t in
                t.add(column: "relativePath", .text)
                t.add(column: "worker", .text)
                t.add(column: "leaseExpiresAt", .double)
                t.add(column: "run", .integer).notNull().defaults(to: 0)
                t.add(column: "placedRun", .integer)
            }
            try db.create(table: "jobEvent") { t in
                t.column("jobID", .integer).notNull().indexed()
                t.column("at", .double).notNull().indexed()
                t.column("worker", .text).notNull()
                t.column("run", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("message", .text).notNull()
            }
            try db.create(table: "worker") { t in
                t.primaryKey("id", .text)
                t.column("record", .text).notNull()
                t.column("lastSeen", .double).notNull()
            }
        }
        // Chunked long videos: a chunk names its parent and its part; a split job counts its chunks.
        migrator.registerMigration("v3") { db in
            try db.alter(table: "job") { t in
                t.add(column: "parentID", .integer).indexed()
                t.add(column: "chunk", .text)
                t.add(column: "chunkCount", .integer)
            }
        }
        return migrator
    }

    /// The journal mode in force (`wal`), for checks.
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    // MARK: - Leases

    public func releaseOwnLeases(interruptionLimit: Int, now: Double) throws -> [JobRecord] {
        // One host, one daemon per state folder: every job still running at start-up was its previous process's.
        try interrupt(
            filter: Column("state") == JobState.running.rawValue, interruptionLimit: interruptionLimit, now: now)
    }

    public func recoverExpiredLeases(interruptionLimit: Int, now: Double) throws -> [JobRecord] {
        try interrupt(
            filter: Column("state") == JobState.running.rawValue && Column("leaseExpiresAt") < now,
            interruptionLimit: interruptionLimit, now: now)
    }

    private func interrupt(filter: SQLExpression, interruptionLimit: Int, now: Double) throws -> [JobRecord] {
        try pool.write { db in
            var recovered: [JobRecord] = []
            for var job in try JobRecord.filter(filter).fetchAll(db) {
                job.interruptions += 1
                job.progress = 0
                job.framesOut = 0
                job.framesPerSecond = 0
                job.leaseExpiresAt = nil
                if job.interruptions >= interruptionLimit {
                    job.state = .failed
                    job.finishedAt = now
                    job.error = JobStoreMessages.tooManyInterruptions(job.interruptions)
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

    public func contains(source: String, identity: FileIdentity) throws -> Bool {
        try pool.read { db in
            try JobRecord.filter(
                Column("source") == source && Column("size") == identity.size
                    && Column("mtimeNanoseconds") == identity.mtimeNanoseconds && Column("inode") == identity.inode
            )
            .fetchCount(db) > 0
        }
    }

    public func enqueue(watch: String, source: String, relativePath: String?, identity: FileIdentity?, now: Double)
        throws -> (job: JobRecord, inserted: Bool)
    {
        try pool.write { db in
            var job = JobRecord(
                watch: watch, source: source, relativePath: relativePath, identity: identity, createdAt: now)
            if let existing = try JobRecord.filter(
                Column("source") == source && Column("size") == job.size
                    && Column("mtimeNanoseconds") == job.mtimeNanoseconds && Column("inode") == job.inode
            ).fetchOne(db) {
                return (existing, false)
            }
            try job.insert(db)
            return (job, true)
        }
    }

    // MARK: - Running

    public func claimNext(now: Double, watches: Set<String>?) throws -> JobRecord? {
        try pool.write { db in
            let candidates =
                try JobRecord
                .filter(
                    Column("state") == JobState.queued.rawValue
                        && (Column("notBefore") == nil || Column("notBefore") <= now)
                )
                .filter(
                    sql: "NOT EXISTS (SELECT 1 FROM job AS part WHERE part.parentID = job.id AND part.state <> ?)",
                    arguments: [JobState.done.rawValue]
                )
                .order(sql: "COALESCE(parentID, id), id").limit(50).fetchAll(db)
            guard var job = candidates.first(where: { watches?.contains($0.watch) ?? true }) else { return nil }
            job.state = .running
            job.startedAt = now
            job.finishedAt = nil
            job.progress = 0
            job.framesOut = 0
            job.totalFrames = nil
            job.framesPerSecond = 0
            job.worker = workerID
            job.leaseExpiresAt = now + leaseSeconds
            job.run += 1
            try job.update(db)
            return job
        }
    }

    public func heartbeat(id: Int64, run: Int64, now: Double) throws -> Bool {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE job SET leaseExpiresAt = ? WHERE id = ? AND run = ? AND state = ?",
                arguments: [now + leaseSeconds, id, run, JobState.running.rawValue])
            return db.changesCount == 1
        }
    }

    public func claimPlacement(id: Int64, run: Int64, takeOver: Bool) throws -> Bool {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET placedRun = ? WHERE id = ? AND run = ? AND state = ? AND (placedRun IS NULL OR placedRun = ? OR (? AND placedRun < ?))
                    """, arguments: [run, id, run, JobState.running.rawValue, run, takeOver, run])
            return db.changesCount == 1
        }
    }

    public func split(id: Int64, run: Int64, chunks: [JobChunk], now: Double) throws -> Bool {
        try pool.write { db in
            guard var parent = try JobRecord.fetchOne(db, key: id), parent.run == run, parent.state == .running else {
                return false
            }
            for chunk in chunks {
                var part = parent
                part.id = nil
                part.parentID = id
                part.chunk = chunk
                part.chunkCount = nil
                part.createdAt = now
                part.attempts = 0
                part.interruptions = 0
                part.run = 0
                part.placedRun = nil
                part.worker = nil
                part.startedAt = nil
                part.leaseExpiresAt = nil
                part.error = nil
                part.output = nil
                part.notBefore = nil
                part.finishedAt = nil
                part.progress = 0
                part.framesOut = 0
                part.totalFrames = nil
                part.framesPerSecond = 0
                // The file's unique key is the parent's; a chunk's (never real) negative inode keeps it unique.
                part.inode = -Int64(chunk.index + 1)
                part.state = .queued
                try part.insert(db)
            }
            parent.state = .queued
            parent.chunkCount = chunks.count
            parent.leaseExpiresAt = nil
            parent.progress = 0
            try parent.update(db)
            return true
        }
    }

    public func chunks(of id: Int64) throws -> [JobRecord] {
        try pool.read { db in
            try JobRecord.filter(Column("parentID") == id).fetchAll(db)
                .sorted { ($0.chunk?.index ?? 0) < ($1.chunk?.index ?? 0) }
        }
    }

    public func secondsUntilNextRetry(now: Double) throws -> Double? {
        try pool.read { db in
            try Double.fetchOne(
                db, sql: "SELECT MIN(notBefore) FROM job WHERE state = ? AND notBefore > ?",
                arguments: [JobState.queued.rawValue, now]
            ).map { $0 - now }
        }
    }

    public func updateProgress(
        id: Int64, run: Int64?, progress: Double?, framesOut: Int64, totalFrames: Int64?, framesPerSecond: Double
    ) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET progress = ?, framesOut = ?, totalFrames = ?, framesPerSecond = ? WHERE id = ? AND state = ? AND (? IS NULL OR run = ?)
                    """,
                arguments: [
                    progress ?? 0, framesOut, totalFrames, framesPerSecond, id, JobState.running.rawValue, run, run,
                ])
        }
    }

    public func markDone(id: Int64, run: Int64?, output: String, framesOut: Int64, framesPerSecond: Double, now: Double)
        throws
    {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET state = ?, output = ?, framesOut = ?, framesPerSecond = ?, progress = 1, finishedAt = ?, notBefore = NULL,
                    leaseExpiresAt = NULL WHERE id = ? AND (? IS NULL OR run = ?)
                    """, arguments: [JobState.done.rawValue, output, framesOut, framesPerSecond, now, id, run, run])
        }
    }

    public func markFailed(id: Int64, run: Int64?, error: String, retryAt: Double?, now: Double) throws -> JobRecord? {
        try pool.write { db in
            guard var job = try JobRecord.fetchOne(db, key: id) else { return nil }
            if let run, job.run != run { return job }
            job.attempts += 1
            job.error = error
            job.progress = 0
            job.leaseExpiresAt = nil
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

    public func requeue(id: Int64, run: Int64?) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET state = ?, progress = 0, framesOut = 0, framesPerSecond = 0, startedAt = NULL, leaseExpiresAt = NULL
                    WHERE id = ? AND (? IS NULL OR run = ?)
                    """, arguments: [JobState.queued.rawValue, id, run, run])
        }
    }

    public func cancel(id: Int64, now: Double) throws -> JobRecord? {
        try pool.write { db in
            guard var job = try JobRecord.fetchOne(db, key: id) else { return nil }
            guard job.state == .queued || job.state == .running else { return job }
            job.state = .cancelled
            job.finishedAt = now
            job.progress = 0
            job.leaseExpiresAt = nil
            try job.update(db)
            try db.execute(
                sql:
                    "UPDATE job SET state = ?, finishedAt = ?, leaseExpiresAt = NULL WHERE parentID = ? AND state IN (?, ?)",
                arguments: [JobState.cancelled.rawValue, now, id, JobState.queued.rawValue, JobState.running.rawValue])
            return job
        }
    }

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
            try db.execute(
                sql: """
                    UPDATE job SET state = ?, attempts = 0, interruptions = 0, notBefore = NULL, finishedAt = NULL, progress = 0
                    WHERE parentID = ? AND state IN (?, ?)
                    """,
                arguments: [JobState.queued.rawValue, id, JobState.failed.rawValue, JobState.cancelled.rawValue])
            return job
        }
    }

    // MARK: - Reading

    public func job(id: Int64) throws -> JobRecord? {
        try pool.read { db in try JobRecord.fetchOne(db, key: id) }
    }

    public func jobs(state: JobState?, limit: Int) throws -> [JobRecord] {
        try pool.read { db in
            var request = JobRecord.order(Column("id").desc).limit(limit)
            if let state { request = request.filter(Column("state") == state.rawValue) }
            return try request.fetchAll(db)
        }
    }

    public func countsByState() throws -> [JobState: Int] {
        try pool.read { db in
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    // MARK: - Reports

    public func addEvent(_ event: JobEvent) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO jobEvent (jobID, at, worker, run, kind, message) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [event.jobID, event.at, event.worker, event.run, event.kind, event.message])
        }
    }

    public func events(jobID: Int64) throws -> [JobEvent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobEvent WHERE jobID = ? ORDER BY at, rowid", arguments: [jobID])
                .map { row in
                    JobEvent(
                        jobID: row["jobID"], at: row["at"], worker: row["worker"], run: row["run"], kind: row["kind"],
                        message: row["message"])
                }
        }
    }

    public func purgeEvents(before: Double) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM jobEvent WHERE at < ?", arguments: [before])
            return db.changesCount
        }
    }

    // MARK: - Workers

    public func recordWorker(_ worker: WorkerRecord) throws {
        let text = String(decoding: try JSONEncoder().encode(worker), as: UTF8.self)
        try pool.write { db in
            try db.execute(
                sql:
                    "INSERT INTO worker (id, record, lastSeen) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record, lastSeen = excluded.lastSeen",
                arguments: [worker.id, text, worker.lastSeen])
        }
    }

    public func workers(withinSeconds: Double) throws -> [WorkerRecord] {
        let since = Date().timeIntervalSince1970 - withinSeconds
        return try pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT record FROM worker WHERE lastSeen >= ? ORDER BY id", arguments: [since]
            )
            .compactMap { try? JSONDecoder().decode(WorkerRecord.self, from: Data($0.utf8)) }
        }
    }
}

enum JobStoreMessages {
    static func tooManyInterruptions(_ count: Int) -> String {
        "the worker running this job stopped or lost its lease \(count) times (it may crash the decoder); retry it by hand once the cause is fixed"
    }
}
