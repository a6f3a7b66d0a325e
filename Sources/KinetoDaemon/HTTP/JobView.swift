import Foundation

/// A job as the API returns it: the stored record plus links to its thumbnails.
public struct JobView: Codable, Sendable, Equatable {
    public var id: Int64
    public var watch: String
    public var source: String
    public var state: JobState
    public var attempts: Int
    public var interruptions: Int
    public var error: String?
    public var output: String?
    public var progress: Double
    public var framesOut: Int64
    public var totalFrames: Int64?
    public var framesPerSecond: Double
    public var size: Int64
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// The worker that runs (or last ran) the job, and how many times it was claimed.
    public var worker: String?
    public var run: Int64?
    /// Seconds until a retry may start, for a queued job waiting on its backoff.
    public var retryInSeconds: Double?
    /// `/api/jobs/ID/thumbnail/before` and `…/after`, when they exist.
    public var thumbnails: [String: String]
    /// For a chunk of a long video: the job it is part of, and which part (`3/10`).
    public var parent: Int64?
    public var chunk: String?
    /// For a job split into chunks: how many, and how many are done (while it waits for them).
    public var chunks: Int?
    public var chunksDone: Int?

    public init(_ job: JobRecord, thumbnails: [String: String], now: Double = Date().timeIntervalSince1970) {
        id = job.id ?? 0
        watch = job.watch
        source = job.source
        state = job.state
        attempts = job.attempts
        interruptions = job.interruptions
        error = job.error
        output = job.output
        progress = job.progress
        framesOut = job.framesOut
        totalFrames = job.totalFrames
        framesPerSecond = job.framesPerSecond
        size = job.size
        createdAt = job.createdAt
        startedAt = job.startedAt
        finishedAt = job.finishedAt
        worker = job.worker
        run = job.run
        retryInSeconds =
            job.state == .queued ? job.notBefore.map { max(0, $0 - now) }.flatMap { $0 > 0 ? $0 : nil } : nil
        self.thumbnails = thumbnails
        parent = job.parentID
        chunk = job.chunk.map { "\($0.index + 1)/\($0.count)" }
        chunks = job.chunkCount
    }

    /// A split job's progress from its chunks': frames made of frames to make, done chunks counted whole.
    mutating func showChunks(_ parts: [JobRecord]) {
        chunksDone = parts.filter { $0.state == .done }.count
        framesOut = parts.reduce(0) { $0 + $1.framesOut }
        let expected = parts.map { $0.chunk?.range.window.count ?? $0.totalFrames }
        if expected.allSatisfy({ $0 != nil }) {
            totalFrames = expected.reduce(0) { $0 + ($1 ?? 0) }
        }
        let fractions = parts.map { $0.state == .done ? 1 : $0.progress }
        progress = parts.isEmpty ? 0 : fractions.reduce(0, +) / Double(parts.count)
        framesPerSecond = parts.filter { $0.state == .running }.reduce(0) { $0 + $1.framesPerSecond }
    }
}

/// The body of `POST /api/jobs`.
public struct SubmitRequest: Codable, Sendable {
    /// An absolute file path the daemon can read, or a stream URL (http, https, udp, tcp, rtp, rtsp, rtmp, srt).
    public var source: String
    /// The `[[watch]]` whose settings and output folder to use (default: the first).
    public var watch: String?

    public init(source: String, watch: String? = nil) {
        self.source = source
        self.watch = watch
    }
}

/// `GET /api/jobs/{id}/report`: the job and every line of its report (claims, attempts, warnings, endings).
public struct JobReport: Codable, Sendable {
    public var job: JobView
    public var events: [JobEvent]
}
