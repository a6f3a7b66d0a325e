import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs command-line tools (ffmpeg, ffprobe, psql, …) for tests, and ends the processes tests start.
public enum Tool {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable arguments…` to its end, capturing stdout and stderr (through files, so neither can fill
    /// a pipe and stall it).
    public static func execute(_ executable: String, _ arguments: [String], environment: [String: String]? = nil)
        throws -> Outcome
    {
        let scratch = try Scratch("kineto-tool")
        let out = scratch.directory.appendingPathComponent("stdout")
        let err = scratch.directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try withProcess(process) { $0.waitUntilExit() }
        return Outcome(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Runs `executable arguments…` and returns its stdout; throws a `TestError` with its stderr when it fails.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil)
        throws -> String
    {
        let outcome = try execute(executable, arguments, environment: environment)
        guard outcome.status == 0 else {
            throw TestError(
                "\(executable) \(arguments.joined(separator: " ")) failed (\(outcome.status)): \(outcome.stderr)")
        }
        return outcome.stdout
    }

    /// The ffmpeg CLI with `arguments` (after `-nostdin -y -loglevel error`); returns its stdout.
    @discardableResult
    public static func ffmpeg(_ arguments: [String]) throws -> String {
        try run("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error"] + arguments)
    }

    /// The ffprobe CLI with `arguments`; returns its stdout.
    public static func ffprobe(_ arguments: [String]) throws -> String {
        try run("/usr/bin/ffprobe", arguments)
    }

    /// `ffprobe` facts about a file's streams: codec type, codec name, frames counted by decoding, duration.
    public static func streams(_ path: String) throws -> [(
        type: String, codec: String, frames: Int?, duration: Double?
    )] {
        let json = try ffprobe([
            "-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,nb_read_frames,duration",
            "-of", "json", path,
        ])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let streams = object?["streams"] as? [[String: Any]] ?? []
        return streams.map { s in
            (
                s["codec_type"] as? String ?? "", s["codec_name"] as? String ?? "",
                (s["nb_read_frames"] as? String).flatMap(Int.init), (s["duration"] as? String).flatMap(Double.init)
            )
        }
    }

    /// Starts `process`, runs `body`, and ends the process when `body` returns or throws (see `end`), so that
    /// a failing test leaves nothing running.
    public static func withProcess<R>(_ process: Process, _ body: (Process) throws -> R) throws -> R {
        try process.run()
        defer { end(process) }
        return try body(process)
    }

    /// Ends `process` if it still runs: SIGTERM, up to `grace` seconds to exit, then SIGKILL (after SIGCONT, in
    /// case it was stopped); waits for it either way.
    public static func end(_ process: Process, grace: Double = 2) {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(grace)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning {
                kill(process.processIdentifier, SIGCONT)
                kill(process.processIdentifier, SIGKILL)
            }
        }
        process.waitUntilExit()
    }
}
