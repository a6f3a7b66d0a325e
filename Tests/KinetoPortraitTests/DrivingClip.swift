import Foundation

/// The golden directory: `<package root>/Tests/Fixtures/golden`, or `KINETO_GOLDEN_DIR`.
func goldenDirectory() -> URL {
    if let path = ProcessInfo.processInfo.environment["KINETO_GOLDEN_DIR"] { return URL(fileURLWithPath: path) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures/golden")
}

func facePhoto(_ name: String) -> String { goldenDirectory().appendingPathComponent("faces/\(name).jpg").path }

/// A temporary folder with test media made by the ffmpeg CLI; removed on deinit.
final class PortraitTestMedia {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kineto-portrait-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Files in the folder (to check that nothing half-written is left).
    var files: [String] { (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] }

    /// Runs ffmpeg with `arguments`; throws with its error output when it fails.
    func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-v", "error", "-nostdin", "-y"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(
                domain: "ffmpeg", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: text])
        }
    }

    /// The driving clip: the three Obama photos (closed-mouth smile, broad smile showing the teeth, speaking with the mouth open), each
    /// held 1.2 s and cropped around the face, under a slow rigid head motion (rotation ±0.08 rad, shifts of ±12 px)
    /// at 256² and 25 fps: 90 frames, 3.6 s, with a 440 Hz sine as AAC audio.
    func drivingClip() throws -> String {
        let out = path("driving.mp4")
        let faces = goldenDirectory().appendingPathComponent("faces")
        var arguments: [String] = []
        for name in ["obama3", "obama", "obama2"] {
            arguments += [
                "-loop", "1", "-framerate", "25", "-t", "1.2", "-i", faces.appendingPathComponent("\(name).jpg").path,
            ]
        }
        arguments += [
            "-f", "lavfi", "-t", "3.6", "-i", "sine=frequency=440:sample_rate=44100",
            "-filter_complex",
            "[0:v]crop=606:606:457:162,scale=288:288,setsar=1[a0];[1:v]crop=520:520:231:0,scale=288:288,setsar=1[a1];"
                + "[2:v]crop=600:600:26:136,scale=288:288,setsar=1[a2];[a0][a1][a2]concat=n=3:v=1:a=0,"
                + "rotate='0.08*sin(2*PI*t/1.2)',crop=256:256:'16+12*sin(2*PI*t/1.2)':'16+8*sin(4*PI*t/1.2)',format=yuv420p[v]",
            "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-c:a", "aac",
            "-shortest", out,
        ]
        try ffmpeg(arguments)
        return out
    }
}

/// Rewrites the first track header's matrix of an MP4 to a 90° clockwise display rotation, as phones record upright
/// video (FFmpeg 5.1's CLI cannot set it when encoding).
func rotateMP4Clockwise90(_ path: String) throws {
    var data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let range = data.range(of: Data("tkhd".utf8)), data[range.upperBound] == 0 else {
        throw NSError(domain: "fixture", code: 1, userInfo: [NSLocalizedDescriptionKey: "no version-0 tkhd in \(path)"])
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
