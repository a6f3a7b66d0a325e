/// A job's failure, as a value: what kind of problem (which decides the process's exit code), a
/// message naming the file and what to do, the pipeline stage it happened in, and the cause.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem; the command line maps each to its own exit code.
    public enum Code: String, Sendable, Hashable {
        /// The request is malformed: bad rate, unknown model, bad option combination.
        case usage
        /// The input cannot be used: missing, empty, not a video, unsupported codec, undecodable.
        case input
        /// The output cannot be written: exists, directory not writable, same file as the input.
        case output
        /// The job was cancelled before it finished.
        case cancelled
        /// A bug or an environment failure (out of memory, encoder refused valid frames…).
        case `internal`
    }

    /// A stage of the pipeline, named in error messages so a failure says where it happened.
    public enum Stage: String, Sendable, Hashable {
        case open, decode, schedule, interpolate, encode, finish
    }

    public var code: Code
    public var message: String
    public var stage: Stage?
    /// The lower-level error this one wraps, if any (kept for logs; `message` already explains it).
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, stage: Stage? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.stage = stage
        self.underlying = underlying
    }

    public var description: String {
        if let stage, code == .internal { return "\(message) (in the \(stage.rawValue) stage)" }
        return message
    }

    /// The error for a cancelled job.
    public static let cancelled = PipelineError(.cancelled, "cancelled; no output was written")
}
