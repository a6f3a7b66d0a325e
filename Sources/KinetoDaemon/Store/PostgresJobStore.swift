import Foundation
import Logging
import PostgresNIO

/// The jobs in PostgreSQL: one queue that the workers of several hosts share.
///
/// Claiming is one statement (`UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)
/// RETURNING …`), so two workers never get the same job and neither waits for the other's lock.
/// Leases use the server's clock, so hosts whose clocks differ agree on when a lease ended. A file
/// found by several watchers is one job: a unique key on the watch, the path relative to the watch
/// folder, size and modification time, with `INSERT … ON CONFLICT DO NOTHING`.
public final class PostgresJobStore: JobStore, @unchecked Sendable {
    public let workerID: String
    public let leaseSeconds: Double
    public var location: String { session.location.description }
    public var isShared: Bool { true }
    let session: PostgresSession

    /// The newest schema this Kineto knows.
    public static let schemaVersion = 2

    /// Connects and brings the schema up to date; throws a message naming the problem (unreachable
    /// server, wrong password, missing database, schema from a newer Kineto).
    public init(
        location: PostgresLocation, workerID: String = WorkerIdentity.defaultID, leaseSeconds: Double = 60,
        logger: Logger = Logger(label: "kineto.store")
    ) throws {
        self.workerID = workerID
        self.leaseSeconds = leaseSeconds
        session = PostgresSession(location: location, logger: logger)
        try migrate()
    }

    /// Nil while the server answers; else since when (monotonic seconds) and why not.
    public var outage: (since: Double, reason: String)? { session.outage }

    // MARK: - Schema

    private static let migrations: [String] = [
        // 1: jobs and workers.
        """
        CREATE TABLE job (
            id BIGSERIAL PRIMARY KEY,
            watch TEXT NOT NULL,
            source TEXT NOT NULL,
            relative_path TEXT,
            file_key TEXT NOT NULL,
            size BIGINT NOT NULL,
            mtime_ns BIGINT NOT NULL,
            inode BIGINT NOT NULL,
            state TEXT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            interruptions BIGINT NOT NULL DEFAULT 0,
            not_before DOUBLE PRECISION,
            created_at DOUBLE PRECISION NOT NULL,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            error TEXT,
            output TEXT,
            progress DOUBLE PRECISION NOT NULL DEFAULT 0,
            frames_out BIGINT NOT NULL DEFAULT 0,
            total_frames BIGINT,
            fps DOUBLE PRECISION NOT NULL DEFAULT 0,
            worker TEXT,
            lease_expires_at DOUBLE PRECISION,
            run BIGINT NOT NULL DEFAULT 0,
            placed_run BIGINT
        );
        CREATE UNIQUE INDEX job_file ON job (watch, file_key, size, mtime_ns);
        CREATE INDEX job_queue ON job (state, id);
        CREATE TABLE job_event (
            job_id BIGINT NOT NULL,
            at DOUBLE PRECISION NOT NULL,
            worker TEXT NOT NULL,
            run BIGINT NOT NULL,
            kind TEXT NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX job_event_job ON job_event (job_id, at);
        CREATE INDEX job_event_at ON job_event (at);
        CREATE TABLE worker (
            id TEXT PRIMARY KEY,
            record TEXT NOT NULL,
            last_seen DOUBLE PRECISION NOT NULL
        );
        """,
        // 2: chunked long videos. A chunk names its parent and its part (JSON); a split job counts its chunks.
        """
        ALTER TABLE job ADD COLUMN parent_id BIGINT;
        ALTER TABLE job ADD COLUMN chunk TEXT;
        ALTER TABLE job ADD COLUMN chunk_count BIGINT;
        CREATE INDEX job_parent ON job (parent_id);
        """,
    ]

    private func migrate() throws {
        let known = Self.migrations.count
        try session.transaction { run in
            // Hosts starting together migrate one at a time.
            _ = try run("SELECT pg_advisory_xact_lock(727274)")
            _ = try run("CREATE TABLE IF NOT EXISTS kineto_schema (version BIGINT NOT NULL)")
            let rows = try run("SELECT version FROM kineto_schema")
            var version = 0
            if let row = rows.first {
                version = Int(try row.decode(Int64.self))
            } else {
                _ = try run("INSERT INTO kineto_schema (version) VALUES (0)")
            }
            if version > known { throw newerSchemaError(location: location, found: version, known: known) }
            while version < known {
                for statement in Self.migrations[version].split(separator: ";")
                where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    _ = try run(PostgresQuery(unsafeSQL: String(statement)))
                }
                version += 1
                _ = try run("UPDATE kineto_schema SET version = \(Int64(version))")
            }
        }
    }

    /// The schema version in the database (tests).
    public func schemaVersionInDatabase() throws -> Int {
        Int(try session.query("SELECT version FROM kineto_schema").first?.decode(Int64.self) ?? 0)
    }

    // MARK: - Rows

    private static let columns = """
        id, watch, source, relative_path, size, mtime_ns, inode, state, attempts, interruptions, not_before, created_at,
        started_at, finished_at, error, output, progress, frames_out, total_frames, fps, worker, lease_expires_at, run, placed_run,
        parent_id, chunk, chunk_count
        """

    private static func record(_ row: PostgresRow) throws -> JobRecord {
        let r = row.makeRandomAccess()
        var job = JobRecord(
            id: try r["id"].decode(Int64.self), watch: try r["watch"].decode(String.self),
            source: try r["source"].decode(String.self), relativePath: try r["relative_path"].decode(String?.self),
            identity: nil, createdAt: try r["created_at"].decode(Double.self))
        job.size = try r["size"].decode(Int64.self)
        job.mtimeNanoseconds = try r["mtime_ns"].decode(Int64.self)
        job.inode = try r["inode"].decode(Int64.self)
        job.state = JobState(rawValue: try r["state"].decode(String.self)) ?? .failed
        job.attempts = Int(try r["attempts"].decode(Int64.self))
        job.interruptions = Int(try r["interruptions"].decode(Int64.self))
        job.notBefore = try r["not_before"].decode(Double?.self)
        job.startedAt = try r["started_at"].decode(Double?.self)
        job.finishedAt = try r["finished_at"].decode(Double?.self)
        job.error = try r["error"].decode(String?.self)
        job.output = try r["output"].decode(String?.self)
        job.progress = try r["progress"].decode(Double.self)
        job.framesOut = try r["frames_out"].decode(Int64.self)
        job.totalFrames = try r["total_frames"].decode(Int64?.self)
        job.framesPerSecond = try r["fps"].decode(Double.self)
        job.worker = try r["worker"].decode(String?.self)
        job.leaseExpiresAt = try r["lease_expires_at"].decode(Double?.self)
        job.run = try r["run"].decode(Int64.self)
        job.placedRun = try r["placed_run"].decode(Int64?.self)
        job.parentID = try r["parent_id"].decode(Int64?.self)
        job.chunk = JobChunk(json: try r["chunk"].decode(String?.self))
        job.chunkCount = try r["chunk_count"].decode(Int64?.self).map { Int($0) }
        return job
    }

    private func records(_ query: PostgresQuery) throws -> [JobRecord] {
        try session.query(query).map(Self.record)
    }

    private func changed(_ query: PostgresQuery) throws -> Int {
        try session.query(query).metadata.rows ?? 0
    }

    /// The server's clock, in seconds since 1970.
    private static let serverNow = "EXTRACT(EPOCH FROM clock_timestamp())::float8"

    // MARK: - Leases

    public func releaseOwnLeases(interruptionLimit: Int, now: Double) throws -> [JobRecord] {
        try interrupt(condition: "worker = $2", workerBind: workerID, interruptionLimit: interruptionLimit, now: now)
    }

    public func recoverExpiredLeases(interruptionLimit: Int, now: Double) throws -> [JobRecord] {
        try interrupt(
            condition: "(lease_expires_at IS NULL OR lease_expires_at < \(Self.serverNow))", workerBind: nil,
            interruptionLimit: interruptionLimit, now: now)
    }

    private func interrupt(condition: String, workerBind: String?, interruptionLimit: Int, now: Double) throws
        -> [JobRecord]
    {
        var query = PostgresQuery(
            unsafeSQL: """
                UPDATE job SET interruptions = interruptions + 1, progress = 0, frames_out = 0, fps = 0, lease_expires_at = NULL,
                  state = CASE WHEN interruptions + 1 >= $1 THEN 'failed' ELSE 'queued' END,
                  finished_at = CASE WHEN interruptions + 1 >= $1 THEN $3 ELSE finished_at END,
                  error = CASE WHEN interruptions + 1 >= $1 THEN $4 ELSE error END
                WHERE state = 'running' AND \(condition)
                RETURNING \(Self.columns)
                """)
        var binds = PostgresBindings()
        binds.append(Int64(interruptionLimit))
        binds.append(workerBind ?? "")
        binds.append(now)
        binds.append(JobStoreMessages.tooManyInterruptions(interruptionLimit))
        query.binds = binds
        return try records(query)
    }

    // MARK: - Adding

    public func contains(source: String, identity: FileIdentity) throws -> Bool {
        try !session.query(
            "SELECT 1 FROM job WHERE source = \(source) AND size = \(identity.size) AND mtime_ns = \(identity.mtimeNanoseconds) LIMIT 1"
        ).rows.isEmpty
    }

    public func enqueue(watch: String, source: String, relativePath: String?, identity: FileIdentity?, now: Double)
        throws -> (job: JobRecord, inserted: Bool)
    {
        // Watched files are known by their path inside the watch folder, which every host shares.
        let key = relativePath ?? source
        let size = identity?.size ?? 0
        let mtime = identity?.mtimeNanoseconds ?? 0
        let inode = identity?.inode ?? 0
        let inserted = try records(
            """
            INSERT INTO job (watch, source, relative_path, file_key, size, mtime_ns, inode, state, created_at)
            VALUES (\(watch), \(source), \(relativePath), \(key), \(size), \(mtime), \(inode), 'queued', \(now))
            ON CONFLICT (watch, file_key, size, mtime_ns) DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """)
        if let job = inserted.first { return (job, true) }
        let existing = try records(
            """
            SELECT \(unescaped: Self.columns) FROM job WHERE watch = \(watch) AND file_key = \(key) AND size = \(size) AND mtime_ns = \(mtime)
            """)
        guard let job = existing.first else {
            throw DaemonError("job store \(location): a job for \(source) vanished while it was queued")
        }
        return (job, false)
    }

    // MARK: - Running

    public func claimNext(now: Double, watches: Set<String>?) throws -> JobRecord? {
        let names = watches.map { Array($0) }
        return try records(
            """
            UPDATE job SET state = 'running', worker = \(workerID), lease_expires_at = \(unescaped: Self.serverNow) + \(leaseSeconds),
              run = run + 1, started_at = \(now), finished_at = NULL, progress = 0, frames_out = 0, total_frames = NULL, fps = 0
            WHERE id = (
              SELECT id FROM job WHERE state = 'queued' AND (not_before IS NULL OR not_before <= \(now))
                AND (\(names == nil) OR watch = ANY(\(names ?? [])))
                AND NOT EXISTS (SELECT 1 FROM job AS part WHERE part.parent_id = job.id AND part.state <> 'done')
              ORDER BY COALESCE(parent_id, id), id FOR UPDATE SKIP LOCKED LIMIT 1)
            RETURNING \(unescaped: Self.columns)
            """
        ).first
    }

    public func heartbeat(id: Int64, run: Int64, now: Double) throws -> Bool {
        try changed(
            """
            UPDATE job SET lease_expires_at = \(unescaped: Self.serverNow) + \(leaseSeconds)
            WHERE id = \(id) AND run = \(run) AND state = 'running'
            """) == 1
    }

    public func claimPlacement(id: Int64, run: Int64, takeOver: Bool) throws -> Bool {
        try changed(
            """
            UPDATE job SET placed_run = \(run)
            WHERE id = \(id) AND run = \(run) AND state = 'running'
              AND (placed_run IS NULL OR placed_run = \(run) OR (\(takeOver) AND placed_run < \(run)))
            """) == 1
    }

    public func split(id: Int64, run: Int64, chunks: [JobChunk], now: Double) throws -> Bool {
        try session.transaction { query in
            let parents = try query(
                """
                UPDATE job SET state = 'queued', chunk_count = \(Int64(chunks.count)), lease_expires_at = NULL, progress = 0
                WHERE id = \(id) AND run = \(run) AND state = 'running'
                RETURNING \(unescaped: Self.columns)
                """
            ).map(Self.record)
            guard let parent = parents.first else { return false }
            let key = parent.relativePath ?? parent.source
            for chunk in chunks {
                // The file's unique key is the parent's: a chunk's key names its part as well.
                _ = try query(
                    """
                    INSERT INTO job (watch, source, relative_path, file_key, size, mtime_ns, inode, state, created_at, parent_id, chunk)
                    VALUES (\(parent.watch), \(parent.source), \(parent.relativePath), \(key + "#chunk\(chunk.index)"),
                      \(parent.size), \(parent.mtimeNanoseconds), \(parent.inode), 'queued', \(now), \(id), \(chunk.json))
                    ON CONFLICT (watch, file_key, size, mtime_ns) DO NOTHING
                    """)
            }
            return true
        }
    }

    public func chunks(of id: Int64) throws -> [JobRecord] {
        try records("SELECT \(unescaped: Self.columns) FROM job WHERE parent_id = \(id) ORDER BY id")
            .sorted { ($0.chunk?.index ?? 0) < ($1.chunk?.index ?? 0) }
    }

    public func secondsUntilNextRetry(now: Double) throws -> Double? {
        let row = try session.query("SELECT MIN(not_before) FROM job WHERE state = 'queued' AND not_before > \(now)")
            .first
        return try row?.decode(Double?.self).map { $0 - now }
    }

    public func updateProgress(
        id: Int64, run: Int64?, progress: Double?, framesOut: Int64, totalFrames: Int64?, framesPerSecond: Double
    ) throws {
        _ = try changed(
            """
            UPDATE job SET progress = \(progress ?? 0), frames_out = \(framesOut), total_frames = \(totalFrames), fps = \(framesPerSecond)
            WHERE id = \(id) AND state = 'running' AND (\(run == nil) OR run = \(run ?? 0))
            """)
    }

    public func markDone(id: Int64, run: Int64?, output: String, framesOut: Int64, framesPerSecond: Double, now: Double)
        throws
    {
        _ = try changed(
            """
            UPDATE job SET state = 'done', output = \(output), frames_out = \(framesOut), fps = \(framesPerSecond), progress = 1,
              finished_at = \(now), not_before = NULL, lease_expires_at = NULL
            WHERE id = \(id) AND (\(run == nil) OR run = \(run ?? 0))
            """)
    }

    public func markFailed(id: Int64, run: Int64?, error: String, retryAt: Double?, now: Double) throws -> JobRecord? {
        let updated = try records(
            """
            UPDATE job SET attempts = attempts + 1, error = \(error), progress = 0, lease_expires_at = NULL,
              state = CASE WHEN \(retryAt == nil) THEN 'failed' ELSE 'queued' END,
              not_before = \(retryAt),
              finished_at = CASE WHEN \(retryAt == nil) THEN \(now) ELSE finished_at END
            WHERE id = \(id) AND (\(run == nil) OR run = \(run ?? 0))
            RETURNING \(unescaped: Self.columns)
            """)
        return try updated.first ?? job(id: id)
    }

    public func requeue(id: Int64, run: Int64?) throws {
        _ = try changed(
            """
            UPDATE job SET state = 'queued', progress = 0, frames_out = 0, fps = 0, started_at = NULL, lease_expires_at = NULL
            WHERE id = \(id) AND state = 'running' AND (\(run == nil) OR run = \(run ?? 0))
            """)
    }

    public func cancel(id: Int64, now: Double) throws -> JobRecord? {
        let updated = try records(
            """
            UPDATE job SET state = 'cancelled', finished_at = \(now), progress = 0, lease_expires_at = NULL
            WHERE (id = \(id) OR parent_id = \(id)) AND state IN ('queued', 'running')
            RETURNING \(unescaped: Self.columns)
            """)
        return try updated.first { $0.id == id } ?? job(id: id)
    }

    public func retry(id: Int64) throws -> JobRecord? {
        let updated = try records(
            """
            UPDATE job SET state = 'queued', attempts = 0, interruptions = 0, not_before = NULL, finished_at = NULL, progress = 0
            WHERE (id = \(id) OR parent_id = \(id)) AND state IN ('failed', 'cancelled')
            RETURNING \(unescaped: Self.columns)
            """)
        return try updated.first { $0.id == id } ?? job(id: id)
    }

    // MARK: - Reading

    public func job(id: Int64) throws -> JobRecord? {
        try records("SELECT \(unescaped: Self.columns) FROM job WHERE id = \(id)").first
    }

    public func jobs(state: JobState?, limit: Int) throws -> [JobRecord] {
        if let state {
            return try records(
                "SELECT \(unescaped: Self.columns) FROM job WHERE state = \(state.rawValue) ORDER BY id DESC LIMIT \(Int64(limit))"
            )
        }
        return try records("SELECT \(unescaped: Self.columns) FROM job ORDER BY id DESC LIMIT \(Int64(limit))")
    }

    public func countsByState() throws -> [JobState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for row in try session.query("SELECT state, COUNT(*) FROM job GROUP BY state") {
            let (state, count) = try row.decode((String, Int64).self)
            if let state = JobState(rawValue: state) { counts[state] = Int(count) }
        }
        return counts
    }

    // MARK: - Reports

    public func addEvent(_ event: JobEvent) throws {
        _ = try changed(
            """
            INSERT INTO job_event (job_id, at, worker, run, kind, message)
            VALUES (\(event.jobID), \(event.at), \(event.worker), \(event.run), \(event.kind), \(event.message))
            """)
    }

    public func events(jobID: Int64) throws -> [JobEvent] {
        try session.query(
            "SELECT job_id, at, worker, run, kind, message FROM job_event WHERE job_id = \(jobID) ORDER BY at"
        ).map { row in
            let (job, at, worker, run, kind, message) = try row.decode(
                (Int64, Double, String, Int64, String, String).self)
            return JobEvent(jobID: job, at: at, worker: worker, run: run, kind: kind, message: message)
        }
    }

    public func purgeEvents(before: Double) throws -> Int {
        try changed("DELETE FROM job_event WHERE at < \(before)")
    }

    // MARK: - Workers

    public func recordWorker(_ worker: WorkerRecord) throws {
        let text = String(decoding: try JSONEncoder().encode(worker), as: UTF8.self)
        _ = try changed(
            """
            INSERT INTO worker (id, record, last_seen) VALUES (\(worker.id), \(text), \(worker.lastSeen))
            ON CONFLICT (id) DO UPDATE SET record = excluded.record, last_seen = excluded.last_seen
            """)
    }

    public func workers(withinSeconds: Double) throws -> [WorkerRecord] {
        let since = Date().timeIntervalSince1970 - withinSeconds
        return try session.query("SELECT record FROM worker WHERE last_seen >= \(since) ORDER BY id").compactMap {
            row in
            try? JSONDecoder().decode(WorkerRecord.self, from: Data(try row.decode(String.self).utf8))
        }
    }
}
