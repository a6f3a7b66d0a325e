import Foundation
import KinetoTestSupport
import Testing

@Suite struct InterpolateCommandTests {
    @Test func convertsAClipWithAudio() throws {
        let scratch = try Scratch()
        try scratch.clip("in.mp4", rate: "24", seconds: 2)
        let result = try KinetoProcess.run(
            [
                "interpolate", "in.mp4", "out.mkv", "--fps", "60", "--model", "blend",
                "--preset", "ultrafast", "--quiet",
            ], in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("out.mkv: 120 frames at 60 fps"))
        let streams = try Tool.streams(scratch.path("out.mkv"))
        let video = try #require(streams.first { $0.type == "video" })
        #expect(video.codec == "h264")
        #expect(video.frames == 120)
        let audio = try #require(streams.first { $0.type == "audio" })
        #expect(audio.codec == "aac")
        #expect(scratch.contents == ["in.mp4", "out.mkv"])
    }

    @Test func otherCodecsAndRepeat() throws {
        let scratch = try Scratch()
        try scratch.clip("in.mp4", rate: "25", seconds: 1, audio: false)
        let result = try KinetoProcess.run(
            [
                "interpolate", "in.mp4", "out.mkv", "--fps", "2x", "--model", "repeat",
                "--codec", "ffv1", "--quiet",
            ], in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        let video = try #require(try Tool.streams(scratch.path("out.mkv")).first)
        #expect(video.codec == "ffv1")
        #expect(video.frames == 50)
    }

    @Test func usageErrorsExit64() throws {
        let scratch = try Scratch()
        try scratch.clip("in.mp4", seconds: 1, audio: false)
        let badRate = try KinetoProcess.run(["interpolate", "in.mp4", "o.mp4", "--fps", "fast"], in: scratch.directory)
        #expect(badRate.status == 64)
        #expect(badRate.stderr.contains("invalid frame rate 'fast'"))
        let badModel = try KinetoProcess.run(
            ["interpolate", "in.mp4", "o.mp4", "--fps", "60", "--model", "magic"], in: scratch.directory)
        #expect(badModel.status == 64)
        #expect(badModel.stderr.contains("unknown model 'magic'; known models: repeat, blend"))
        let badCodec = try KinetoProcess.run(
            ["interpolate", "in.mp4", "o.mp4", "--fps", "60", "--codec", "divx"], in: scratch.directory)
        #expect(badCodec.status == 64)
        let badCRF = try KinetoProcess.run(
            ["interpolate", "in.mp4", "o.mp4", "--fps", "60", "--crf", "99"], in: scratch.directory)
        #expect(badCRF.status == 64)
        let missingFPS = try KinetoProcess.run(["interpolate", "in.mp4", "o.mp4"], in: scratch.directory)
        #expect(missingFPS.status == 64)
        let badScale = try KinetoProcess.run(
            ["interpolate", "in.mp4", "o.mp4", "--fps", "60", "--scale", "3"], in: scratch.directory)
        #expect(badScale.status == 64)
        #expect(badScale.stderr.contains("RIFE scale '3' is not one of 0.25, 0.5, 1, 2, 4"), "\(badScale.stderr)")
        let scaleForBlend = try KinetoProcess.run(
            ["interpolate", "in.mp4", "o.mp4", "--fps", "60", "--model", "blend", "--scale", "0.5"],
            in: scratch.directory)
        #expect(scaleForBlend.status == 64)
        #expect(scaleForBlend.stderr.contains("a scale applies to the rife model only"), "\(scaleForBlend.stderr)")
        #expect(scratch.contents == ["in.mp4"])
    }

    @Test func inputErrorsExit65() throws {
        let scratch = try Scratch()
        FileManager.default.createFile(atPath: scratch.path("empty.mp4"), contents: Data())
        try "not a video".write(toFile: scratch.path("text.mkv"), atomically: true, encoding: .utf8)
        for (input, words) in [("missing.mp4", "no such file"), ("empty.mp4", "empty"), ("text.mkv", "not a video")] {
            let result = try KinetoProcess.run(["interpolate", input, "o.mp4", "--fps", "60"], in: scratch.directory)
            #expect(result.status == 65, "\(input): \(result.stderr)")
            #expect(result.stderr.contains(input) && result.stderr.contains(words), "\(result.stderr)")
        }
        #expect(scratch.contents == ["empty.mp4", "text.mkv"])
    }

    @Test func outputErrorsExit73() throws {
        let scratch = try Scratch()
        try scratch.clip("in.mp4", seconds: 1, audio: false)
        let original = try Data(contentsOf: URL(fileURLWithPath: scratch.path("in.mp4")))
        try Data("old".utf8).write(to: URL(fileURLWithPath: scratch.path("taken.mp4")))
        let cases: [([String], String)] = [
            (["in.mp4", "taken.mp4"], "already exists"),
            (["in.mp4", "in.mp4", "--overwrite"], "input file itself"),
            (["in.mp4", "./../\(scratch.directory.lastPathComponent)/in.mp4"], "input file itself"),
            (["in.mp4", "no/such/dir/out.mp4"], "does not exist"),
        ]
        for (arguments, words) in cases {
            let result = try KinetoProcess.run(["interpolate"] + arguments + ["--fps", "50"], in: scratch.directory)
            #expect(result.status == 73, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(words), "\(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("in.mp4"))) == original)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("taken.mp4"))) == Data("old".utf8))
        #expect(scratch.contents == ["in.mp4", "taken.mp4"])
    }

    @Test func truncatedInputWarnsAndSucceeds() throws {
        let scratch = try Scratch()
        try scratch.clip("whole.mkv", rate: "25", seconds: 4, audio: false)
        let data = try Data(contentsOf: URL(fileURLWithPath: scratch.path("whole.mkv")))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: scratch.path("cut.mkv")))
        let result = try KinetoProcess.run(
            ["interpolate", "cut.mkv", "out.mp4", "--fps", "50", "--preset", "ultrafast", "--quiet"],
            in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning") && result.stderr.contains("cut.mkv"))
        #expect(FileManager.default.fileExists(atPath: scratch.path("out.mp4")))
    }

    @Test func interruptLeavesNoOutput() throws {
        try checkSignalCancelsCleanly(SIGINT)
    }

    /// Closing the terminal or the SSH session (SIGHUP) stops a job as Ctrl-C does: no partial file, exit 130.
    @Test func hangUpLeavesNoOutput() throws {
        try checkSignalCancelsCleanly(SIGHUP)
    }

    private func checkSignalCancelsCleanly(_ signal: Int32) throws {
        let scratch = try Scratch()
        try scratch.clip("in.mp4", rate: "25", seconds: 20, size: "640x360", audio: false)
        let result = try KinetoProcess.withStarted(
            ["interpolate", "in.mp4", "out.mp4", "--fps", "60", "--preset", "slow"],
            in: scratch.directory, timeout: 20
        ) { process in
            // Wait until the partial output exists (the job is running), then press Ctrl-C.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline && !scratch.contents.contains(where: { $0.contains("kineto-partial") }) {
                Thread.sleep(forTimeInterval: 0.02)
            }
            #expect(scratch.contents.contains { $0.contains("kineto-partial") })
            kill(process.processIdentifier, signal)
        }
        #expect(!result.timedOut)
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("cancelled"))
        #expect(scratch.contents == ["in.mp4"])
    }

    /// A live MPEG-TS stream over UDP on the loopback interface, read to its end.
    @Test func readsAUDPStream() throws {
        let scratch = try Scratch()
        let port = 20_000 + Int.random(in: 0..<20_000)
        let result = try KinetoProcess.withStarted(
            [
                "interpolate", "udp://127.0.0.1:\(port)", "stream.mp4", "--fps", "2x", "--preset", "ultrafast",
                "--network-timeout", "2", "--quiet",
            ], in: scratch.directory, timeout: 30
        ) { _ in
            // Start sending once the reader's socket is bound (it then waits up to 2 s for data).
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline && !UDPPorts.isBound(port) { Thread.sleep(forTimeInterval: 0.01) }
            #expect(UDPPorts.isBound(port))
            try LoopbackSender.send(to: port, size: "320x240", rate: 25, seconds: 3, keyframeInterval: 12, timeout: 15)
        }
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result.stderr)")
        // 75 frames sent at 25 fps; a few at the start may be missed before the first key frame arrives.
        let video = try #require(try Tool.streams(scratch.path("stream.mp4")).first { $0.type == "video" })
        let frames = try #require(video.frames)
        #expect(frames >= 120 && frames <= 152, "\(frames) frames")
        #expect(result.stdout.contains("stream.mp4: \(frames) frames at 50 fps"))
    }
}

/// Whether a local UDP port is bound, from /proc/net/udp (local address column `0100007F:PORT` in hex).
enum UDPPorts {
    static func isBound(_ port: Int) -> Bool {
        guard let table = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8) else { return false }
        let hex = String(format: ":%04X", port)
        return table.split(separator: "\n").dropFirst().contains { line in
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first?.hasSuffix(hex) == true
        }
    }
}

@Suite struct BenchMediaCommandTests {
    @Test func comparesWithTheFFmpegCLI() throws {
        let scratch = try Scratch()
        let result = try KinetoProcess.run(
            ["bench", "media", "--sizes", "72", "--seconds", "0.5", "--preset", "ultrafast"],
            in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("128x72:") })
        // 15 input frames at 30 fps → 30 output frames for both.
        #expect(
            line.contains("kineto") && line.contains("(30 frames") && line.contains("ffmpeg") && line.contains("ratio"))
    }
}
