import GRDB

/// One job as stored in the state database and shown by the API (`GET /api/jobs/{id}`).
public struct JobRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "job"

    public var id: Int64?
    /// The `[[watch]]` whose settings the job uses.
    public var watch: String
    /// Input path or stream URL.
    public var source: String
    public var size: Int64
    public var mtimeNanoseconds: Int64
    public var inode: Int64
    public var state: JobState
    /// Runs that ended in failure (a run cut short by a stop or crash does not count).
    public var attempts: Int
    /// Runs cut short because the daemon died (kill -9, power loss) while the job ran.
    public var interruptions: Int
    /// Earliest time (seconds since 1970) a queued job may start: retry backoff.
    public var notBefore: Double?
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// The last failure's message (kept when a retry succeeds, for the record).
    public var error: String?
    /// The finished file (once done).
    public var output: String?
    /// Fraction done in [0, 1] while running.
    public var progress: Double
    public var framesOut: Int64
    public var totalFrames: Int64?
    /// Output frames per second of wall time, while running and at the end.
    public var framesPerSecond: Double

    public init(id: Int64? = nil, watch: String, source: String, identity: FileIdentity?, createdAt: Double) {
        self.id = id
        self.watch = watch
        self.source = source
        self.size = identity?.size ?? 0
        self.mtimeNanoseconds = identity?.mtimeNanoseconds ?? 0
        self.inode = identity?.inode ?? 0
        self.state = .queued
        self.attempts = 0
        self.interruptions = 0
        self.notBefore = nil
        self.createdAt = createdAt
        self.progress = 0
        self.framesOut = 0
        self.framesPerSecond = 0
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
