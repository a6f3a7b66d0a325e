import Foundation
import KinetoDaemon

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A temporary folder tree for one test: in/, out/, failed/, state/; removed when released.
final class DaemonFixture: @unchecked Sendable {
    let root: String
    var input: String { root + "/in" }
    var output: String { root + "/out" }
    var quarantine: String { root + "/failed" }
    var state: String { root + "/state" }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kineto-daemon-\(UUID().uuidString)").path
        for folder in ["in", "out", "failed", "state"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
    }

    deinit {
        _ = try? FileManager.default.removeItem(atPath: root)
    }

    /// A configuration with one watch over in/ → out/, short windows for tests.
    func config(
        stableSeconds: Double = 0.3, rescanSeconds: Double = 0.5, model: String = "blend", fps: String = "2x",
        maxAttempts: Int = 2, backoff: Double = 0.2, concurrency: Int = 1, extraWatch: String = ""
    ) -> String {
        """
        [daemon]
        state_dir = "\(state)"
        http = "127.0.0.1:0"
        concurrency = \(concurrency)
        max_attempts = \(maxAttempts)
        retry_backoff_seconds = \(backoff)

        [[watch]]
        name = "test"
        input = "\(input)"
        output = "\(output)"
        quarantine = "\(quarantine)"
        fps = "\(fps)"
        model = "\(model)"
        crf = 30
        preset = "ultrafast"
        stable_seconds = \(stableSeconds)
        rescan_seconds = \(rescanSeconds)
        \(extraWatch)
        """
    }

    func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    /// A small testsrc2 clip made by the ffmpeg CLI at `path`.
    static func makeClip(_ path: String, frames: Int = 12, size: String = "64x48", rate: Int = 12) throws {
        try run(
            "/usr/bin/ffmpeg",
            [
                "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi",
                "-i", "testsrc2=size=\(size):rate=\(rate)", "-frames:v", "\(frames)",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path,
            ])
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed: \(output)")
        }
        return output
    }
}

/// Polls `condition` every 50 ms until it holds or `seconds` pass; returns whether it held.
func eventually(_ seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return try condition()
}
