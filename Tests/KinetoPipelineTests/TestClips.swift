import Foundation
import KinetoMedia

/// A temporary folder with clips made by the `ffmpeg` CLI; removed when released.
final class TestClips {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kineto-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Names of everything in the folder, hidden files included (a partial output would show here).
    var contents: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    @discardableResult
    func ffmpeg(_ arguments: [String]) throws -> String {
        try TestClips.run("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error"] + arguments)
    }

    /// A testsrc2 clip (x264 ultrafast) with an optional 440 Hz AAC tone.
    @discardableResult
    func clip(
        _ name: String, rate: String = "24", seconds: Double = 2, size: String = "160x120", audio: Bool = true,
        extra: [String] = []
    ) throws -> String {
        var args = ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate):duration=\(seconds)"]
        if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=\(seconds)"] }
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        if audio { args += ["-c:a", "aac", "-b:a", "64k"] }
        args += extra + [path(name)]
        try ffmpeg(args)
        return path(name)
    }

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

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func sample(_ name: String) -> String { packageRoot.appendingPathComponent("samples/\(name)").path }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a written file holds, read back with the media layer.
struct ReadBack {
    var frameTimes: [Rational] = []
    var audioCodecs: [String] = []
    var audioPackets = 0
    var firstAudioTime: Double?
    var lastAudioTime: Double?
    var info: MediaInfo

    init(_ path: String) throws {
        let reader = try MediaReader(path)
        info = reader.info
        audioCodecs = info.audio.map(\.codec)
        while let event = try reader.next() {
            switch event {
            case .video(let frame): frameTimes.append(frame.time)
            case .packet(let packet):
                guard let time = packet.time?.doubleValue else { continue }
                audioPackets += 1
                firstAudioTime = min(firstAudioTime ?? time, time)
                lastAudioTime = max(lastAudioTime ?? time, time)
            }
        }
    }
}
