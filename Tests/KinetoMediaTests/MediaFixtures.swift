import Foundation
import KinetoMedia

/// Short clips generated with the `ffmpeg` CLI into a per-test temporary folder.
final class MediaFixtures {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kineto-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Runs the ffmpeg CLI with `arguments` (after `-y -loglevel error`); throws on failure.
    @discardableResult
    func ffmpeg(_ arguments: [String]) throws -> String {
        try Self.run("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error"] + arguments)
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
            throw FixtureError("\(executable) \(arguments.joined(separator: " ")) failed: \(output)")
        }
        return output
    }

    /// A `seconds`-long testsrc2 clip with an optional 440 Hz tone.
    func clip(
        _ name: String, size: String = "160x120", rate: String = "25", seconds: Double = 2, audio: Bool = true,
        codec: [String] = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], extra: [String] = []
    ) throws -> String {
        var args = ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate):duration=\(seconds)"]
        if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=\(seconds)"] }
        args += codec
        if audio { args += ["-c:a", "aac", "-b:a", "64k"] }
        args += extra + ["-shortest", path(name)]
        try ffmpeg(args)
        return path(name)
    }

    /// Rewrites the first track header's matrix of an MP4 to a 90° clockwise display rotation, as phones
    /// record portrait video (FFmpeg 5.1's CLI cannot set it when encoding).
    func rotateMP4Clockwise90(_ path: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let range = data.range(of: Data("tkhd".utf8)), data[range.upperBound] == 0 else {
            throw FixtureError("no version-0 tkhd in \(path)")
        }
        // version+flags, creation, modification, track id, reserved, duration, reserved[2], layer, group, volume, reserved
        let matrixOffset = range.upperBound + 4 + 20 + 8 + 8
        let matrix: [Int32] = [0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30]
        for (i, v) in matrix.enumerated() {
            withUnsafeBytes(of: v.bigEndian) {
                data.replaceSubrange(matrixOffset + 4 * i..<matrixOffset + 4 * i + 4, with: $0)
            }
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Repository root (for samples/).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func sample(_ name: String) -> String { packageRoot.appendingPathComponent("samples/\(name)").path }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Reads every frame and packet of `path`, returning frame times and audio packet count.
func readAll(_ path: String) throws -> (frames: [Rational], audioPackets: Int, audioEnd: Double?, reader: MediaReader) {
    let reader = try MediaReader(path)
    var times: [Rational] = []
    var audio = 0
    var audioEnd: Double?
    while let event = try reader.next() {
        switch event {
        case .video(let frame): times.append(frame.time)
        case .packet(let packet):
            audio += 1
            if let t = packet.time {
                let duration = packet.timeBase.seconds(of: packet.avPacket.pointee.duration).doubleValue
                audioEnd = max(audioEnd ?? 0, t.doubleValue + duration)
            }
        }
    }
    return (times, audio, audioEnd, reader)
}

/// Copies all of `input` into `output` through a MediaWriter (frames re-encoded, packets copied).
@discardableResult
func transcode(_ input: String, to output: String, settings: VideoEncoderSettings? = nil, overwrite: Bool = false)
    throws -> MediaWriter
{
    let reader = try MediaReader(input)
    let rate = reader.info.video.frameRate ?? Rational(25)
    let writer = try MediaWriter(
        destination: output,
        settings: settings ?? VideoEncoderSettings(codec: .h264, preset: "ultrafast", frameRate: rate),
        source: reader, overwrite: overwrite)
    while let event = try reader.next() {
        switch event {
        case .video(let frame): try writer.write(frame)
        case .packet(let packet): try writer.write(packet)
        }
    }
    try writer.finish()
    return writer
}
