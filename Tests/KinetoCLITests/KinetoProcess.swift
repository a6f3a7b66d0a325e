import Foundation
import KinetoTestSupport

/// Runs the built `kineto` executable (it sits beside the test bundle in the build folder).
struct KinetoProcess {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Killed for running past its time limit.
        var timedOut: Bool
    }

    static var executable: URL {
        let testBinary = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        return testBinary.deletingLastPathComponent().appendingPathComponent("kineto")
    }

    /// Starts `kineto arguments…` with stdout and stderr going to files in a scratch folder of their own (removed
    /// with the returned `Scratch`).
    static func start(_ arguments: [String], in directory: URL) throws -> (Process, Scratch) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let logs = try Scratch("kineto-process")
        FileManager.default.createFile(atPath: logs.path("stdout"), contents: nil)
        FileManager.default.createFile(atPath: logs.path("stderr"), contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: logs.path("stdout")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logs.path("stderr")))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, logs)
    }

    /// Waits for `process` (ending it after `timeout` seconds) and collects its output from `logs`.
    static func finish(_ process: Process, _ logs: Scratch, timeout: Double) -> Outcome {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let timedOut = process.isRunning
        Tool.end(process, grace: 0.5)
        let stdout = (try? String(contentsOfFile: logs.path("stdout"), encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: logs.path("stderr"), encoding: .utf8)) ?? ""
        return Outcome(status: process.terminationStatus, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// Starts `kineto arguments…`, runs `body` while it runs, then waits for it (at most `timeout` seconds) and
    /// returns its outcome; if `body` throws, the process is ended all the same.
    static func withStarted(
        _ arguments: [String], in directory: URL, timeout: Double, _ body: (Process) throws -> Void
    ) throws -> Outcome {
        let (process, logs) = try start(arguments, in: directory)
        defer { Tool.end(process, grace: 0.5) }
        try body(process)
        return finish(process, logs, timeout: timeout)
    }

    /// Runs `kineto arguments…` to the end (at most `timeout` seconds).
    static func run(_ arguments: [String], in directory: URL, timeout: Double = 60) throws -> Outcome {
        let (process, logs) = try start(arguments, in: directory)
        return finish(process, logs, timeout: timeout)
    }
}

/// The `ffmpeg` CLI sending a live test pattern as MPEG-TS over UDP on loopback, in real time (`-re`).
enum LoopbackSender {
    /// Sends `seconds` of testsrc2 at `size` and `rate` to `port` and returns when done (at most `timeout` s).
    static func send(to port: Int, size: String, rate: Int, seconds: Int, keyframeInterval: Int, timeout: Double) throws
    {
        let sender = Process()
        sender.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        sender.arguments = [
            "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)",
            "-t", "\(seconds)", "-c:v", "libx264", "-preset", "ultrafast", "-g", "\(keyframeInterval)",
            "-pix_fmt", "yuv420p", "-f", "mpegts", "udp://127.0.0.1:\(port)?pkt_size=1316",
        ]
        sender.standardInput = FileHandle.nullDevice
        try Tool.withProcess(sender) { sender in
            let deadline = Date().addingTimeInterval(timeout)
            while sender.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        }
    }
}
