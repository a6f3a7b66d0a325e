import Foundation
import KinetoDaemon
import KinetoTestSupport

/// A temporary folder tree for one test: in/, out/, failed/, state/; removed when released.
final class DaemonFixture: @unchecked Sendable {
    private let scratch: Scratch
    let root: String
    var input: String { root + "/in" }
    var output: String { root + "/out" }
    var quarantine: String { root + "/failed" }
    var state: String { root + "/state" }

    init() throws {
        scratch = try Scratch("kineto-daemon")
        root = scratch.directory.path
        for folder in ["in", "out", "failed", "state"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
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

    /// A small testsrc2 clip without audio at `path`.
    static func makeClip(_ path: String, frames: Int = 12, size: String = "64x48", rate: Int = 12) throws {
        try TestClip.make(path, size: size, rate: "\(rate)", length: .frames(frames), audio: false)
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
