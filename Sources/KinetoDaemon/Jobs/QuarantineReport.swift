import Foundation

/// The `NAME.error.json` written into a watch's quarantine folder when a job fails for good: which
/// file, what went wrong, how often it was tried. The source itself stays where it was.
public struct QuarantineReport: Codable, Sendable, Equatable {
    public var source: String
    public var watch: String
    public var jobID: Int64
    public var error: String
    /// `input` (the file cannot be used; not retried), `output`, `internal`, …
    public var kind: String
    public var attempts: Int
    public var failedAt: String
    public var size: Int64

    public init(
        source: String, watch: String, jobID: Int64, error: String, kind: String, attempts: Int, failedAt: Date,
        size: Int64
    ) {
        self.source = source
        self.watch = watch
        self.jobID = jobID
        self.error = error
        self.kind = kind
        self.attempts = attempts
        self.failedAt = ISO8601DateFormatter().string(from: failedAt)
        self.size = size
    }

    /// The report's path for `source` in `folder`.
    public static func path(for source: String, in folder: String) -> String {
        (folder as NSString).appendingPathComponent((source as NSString).lastPathComponent + ".error.json")
    }

    /// Writes the report atomically (temporary name, fsync, rename) and returns its path.
    @discardableResult
    public func write(into folder: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let destination = Self.path(for: source, in: folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self) + Data("\n".utf8)
        let temporary = (folder as NSString).appendingPathComponent(
            ".\((destination as NSString).lastPathComponent).kineto-partial")
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw DaemonError("cannot write the error report \(destination): the quarantine folder is not writable")
        }
        try OutputPlacer.syncFile(temporary)
        guard rename(temporary, destination) == 0 else {
            unlink(temporary)
            throw DaemonError("cannot write the error report \(destination): \(String(cString: strerror(errno)))")
        }
        OutputPlacer.syncDirectory(folder)
        return destination
    }
}
