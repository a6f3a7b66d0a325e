import Foundation
import GRDB
import KinetoPipeline

/// One job as stored in the state database and shown by the API (`GET /api/jobs/{id}`).
public struct JobRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "job"

    public var id: Int64?
    /// The `[[watch]]` whose settings the job uses.
    public var watch: String
    /// Input path (as the host that queued it sees it) or stream URL.
    public var source: String
    /// The input's path relative to its watch's `input` folder, for a file found by a watcher: each
    /// host reads it under its own mount of the shared folder. Nil for API submissions and streams.
    public var relativePath: String?
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
    /// The worker that runs (or last ran) the job.
    public var worker: String?
    /// While running: when the worker's lease ends (seconds since 1970) unless a heartbeat extends it.
    /// A job whose lease ended goes back to the queue as an interruption.
    public var leaseExpiresAt: Double?
    /// How many times the job was claimed. A worker's writes name the run it claimed, so a worker
    /// whose lease was taken over (it froze, lost the network) can no longer change the job.
    public var run: Int64
    /// The run that began placing the output: the store's half of the place-exactly-once rule.
    public var placedRun: Int64?
    /// For a chunk of a long video: the job it is part of (its parent joins the chunks).
    public var parentID: Int64?
    /// For a chunk: which part of the parent's output it makes.
    public var chunk: JobChunk?
    /// For a job split into chunks: how many. It waits in the queue until all of them are done, then joins them.
    public var chunkCount: Int?

    public init(
        id: Int64? = nil, watch: String, source: String, relativePath: String? = nil, identity: FileIdentity?,
        createdAt: Double
    ) {
        self.id = id
        self.watch = watch
        self.source = source
        self.relativePath = relativePath
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
        self.run = 0
    }

    /// The input as this host sees it: under this host's watch folder when the job names a relative path.
    public func localSource(watchInput: String?) -> String {
        guard let relativePath, let watchInput else { return source }
        return (watchInput as NSString).appendingPathComponent(relativePath)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// Which part of a long video a chunk job makes: chunk `index` of `count`, the outputs `range` describes.
public struct JobChunk: Codable, Sendable, Equatable {
    public var index: Int
    public var count: Int
    public var range: ChunkRange

    public init(index: Int, count: Int, range: ChunkRange) {
        self.index = index
        self.count = count
        self.range = range
    }

    /// As stored in a text column.
    public var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self) }

    public init?(json: String?) {
        guard let json, let value = try? JSONDecoder().decode(JobChunk.self, from: Data(json.utf8)) else { return nil }
        self = value
    }
}
