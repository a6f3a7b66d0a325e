import Foundation

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

    /// Starts `kineto arguments…` with stdout and stderr going to files in `directory`.
    static func start(_ arguments: [String], in directory: URL) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let id = UUID().uuidString
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kineto-out-\(id)")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("kineto-err-\(id)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Waits for `process` (killing it after `timeout` seconds) and collects its output.
    static func finish(_ process: Process, _ out: URL, _ err: URL, timeout: Double) -> Outcome {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            Thread.sleep(forTimeInterval: 0.5)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
        return Outcome(status: process.terminationStatus, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// Runs `kineto arguments…` to the end (at most `timeout` seconds).
    static func run(_ arguments: [String], in directory: URL, timeout: Double = 60) throws -> Outcome {
        let (process, out, err) = try start(arguments, in: directory)
        return finish(process, out, err, timeout: timeout)
    }
}

/// A temporary folder with clips made by the `ffmpeg` CLI; removed when released.
final class Scratch {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kineto-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted() }

    @discardableResult
    static func tool(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ScratchError("\(executable) \(arguments.joined(separator: " ")): \(text)")
        }
        return text
    }

    /// A testsrc2 clip (x264 ultrafast) with a 440 Hz AAC tone.
    @discardableResult
    func clip(_ name: String, rate: String = "24", seconds: Double = 2, size: String = "160x120", audio: Bool = true)
        throws -> String
    {
        var args = [
            "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
            "testsrc2=size=\(size):rate=\(rate):duration=\(seconds)",
        ]
        if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=\(seconds)"] }
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        if audio { args += ["-c:a", "aac", "-b:a", "64k"] }
        try Scratch.tool("/usr/bin/ffmpeg", args + [path(name)])
        return path(name)
    }

    /// `ffprobe` facts about a file's streams: codec type → (codec name, frames counted by decoding, duration).
    static func streams(_ path: String) throws -> [(type: String, codec: String, frames: Int?, duration: Double?)] {
        let json = try tool(
            "/usr/bin/ffprobe",
            [
                "-v", "error", "-count_frames", "-show_entries",
                "stream=codec_type,codec_name,nb_read_frames,duration", "-of", "json", path,
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

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func sample(_ name: String) -> String { packageRoot.appendingPathComponent("samples/\(name)").path }
}

struct ScratchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
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
        try sender.run()
        let deadline = Date().addingTimeInterval(timeout)
        while sender.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if sender.isRunning { sender.terminate() }
        sender.waitUntilExit()
    }
}
