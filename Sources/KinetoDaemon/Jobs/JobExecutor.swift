import KinetoPipeline

/// What the daemon asks of the interpolation pipeline: turn `input` into a video at `output` with a
/// watch's settings, reporting progress and stopping when the token is cancelled.
///
/// The product uses `PipelineExecutor` (the real pipeline). The protocol exists so the scheduling
/// logic can be tested with a stand-in whose timing a test controls; end-to-end tests use the pipeline.
public protocol JobExecutor: Sendable {
    /// Runs one job on the calling thread; throws `PipelineError` (or any error) on failure and
    /// `PipelineError.cancelled` when cancelled. Must leave nothing at `output` when it throws.
    func run(
        _ request: ExecutionRequest, progress: @escaping @Sendable (JobProgress) -> Void,
        cancellation: CancellationToken
    ) throws -> ExecutionResult

    /// How a long input splits into chunks for `chunkSeconds` (nil: it is not split).
    func planChunks(_ request: ExecutionRequest, chunkSeconds: Double) throws -> [ChunkRange]?
}

extension JobExecutor {
    /// Stand-ins that make no real video never split a job.
    public func planChunks(_ request: ExecutionRequest, chunkSeconds: Double) throws -> [ChunkRange]? { nil }
}

/// One run of a job: where to read, where to write, how.
public struct ExecutionRequest: Sendable {
    public var input: String
    /// The file to create (the daemon's hidden staging name in the output folder).
    public var output: String
    public var watch: WatchConfig
    /// For a chunk of a long video: which outputs to make (video only).
    public var chunk: ChunkRange?
    /// For a split job whose chunks are done: the chunk files to join, in order, instead of running the pipeline.
    public var joining: [String]?

    public init(
        input: String, output: String, watch: WatchConfig, chunk: ChunkRange? = nil, joining: [String]? = nil
    ) {
        self.input = input
        self.output = output
        self.watch = watch
        self.chunk = chunk
        self.joining = joining
    }
}

/// What a successful run produced.
public struct ExecutionResult: Sendable {
    public var framesIn: Int64
    public var framesOut: Int64
    public var elapsedSeconds: Double
    public var warnings: [String]

    public init(framesIn: Int64, framesOut: Int64, elapsedSeconds: Double, warnings: [String] = []) {
        self.framesIn = framesIn
        self.framesOut = framesOut
        self.elapsedSeconds = elapsedSeconds
        self.warnings = warnings
    }

    public var framesPerSecond: Double { elapsedSeconds > 0 ? Double(framesOut) / elapsedSeconds : 0 }
}
