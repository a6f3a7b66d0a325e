import Foundation
import KinetoTestSupport
import Testing

/// What a new user asks for and libav alone would refuse in its own words: Kineto picks what works or
/// says in plain words what to change.
@Suite struct OutputChoicesTests {
    /// FLAC audio cannot go into MP4 without FFmpeg's "experimental" switch: it is re-encoded to AAC.
    @Test func flacAudioIntoMP4BecomesAAC() throws {
        let scratch = try Scratch()
        try Tool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", "-f", "lavfi", "-i", "sine=duration=1",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "flac", scratch.path("in.mkv"),
        ])
        let result = try KinetoProcess.run(
            [
                "interpolate", "in.mkv", "out.mp4", "--fps", "50", "--model", "blend",
                "--preset", "ultrafast", "--quiet",
            ], in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        let streams = try Tool.streams(scratch.path("out.mp4"))
        #expect(streams.first { $0.type == "audio" }?.codec == "aac")
    }

    /// A .webm output without --codec gets VP9 (H.264, the default elsewhere, cannot go into WebM), and its
    /// AAC audio becomes Opus.
    @Test func webmGetsVP9ByDefault() throws {
        let scratch = try Scratch()
        try scratch.clip("in.mp4", rate: "25", seconds: 1)
        let result = try KinetoProcess.run(
            ["interpolate", "in.mp4", "out.webm", "--fps", "50", "--model", "blend", "--quiet"],
            in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        let streams = try Tool.streams(scratch.path("out.webm"))
        #expect(streams.first { $0.type == "video" }?.codec == "vp9")
        #expect(streams.first { $0.type == "video" }?.frames == 50)
        #expect(streams.first { $0.type == "audio" }?.codec == "opus")
        // An explicit codec WebM cannot hold is a usage error in plain words.
        let h264 = try KinetoProcess.run(
            ["interpolate", "in.mp4", "h264.webm", "--fps", "50", "--codec", "h264", "--quiet"],
            in: scratch.directory)
        #expect(h264.status == 64, "\(h264.stderr)")
        #expect(h264.stderr.contains("cannot hold h264"))
    }

    @Test func gifIsRefusedInPlainWords() throws {
        let scratch = try Scratch()
        try scratch.clip("in.mp4", rate: "25", seconds: 1, audio: false)
        let result = try KinetoProcess.run(
            ["interpolate", "in.mp4", "out.gif", "--fps", "50", "--model", "blend", "--quiet"],
            in: scratch.directory)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(
            result.stderr.contains("GIF") && !result.stderr.contains("Invalid argument")
                && !result.stderr.contains("Experimental"),
            "\(result.stderr)")
        #expect(scratch.contents == ["in.mp4"])
    }

    /// `--fps 0.0001` would make a 10 000 s file from 2 s; rates out of 1…1000 fps are usage errors.
    @Test func outputRatesAreBounded() throws {
        let scratch = try Scratch()
        try scratch.clip("in.mp4", rate: "25", seconds: 1, audio: false)
        for fps in ["0.0001", "100000", "0.001x", "100x"] {
            let result = try KinetoProcess.run(
                ["interpolate", "in.mp4", "out.mp4", "--fps", fps, "--model", "blend", "--quiet"],
                in: scratch.directory)
            #expect(result.status == 64, "--fps \(fps): \(result.stderr)")
            #expect(result.stderr.contains("1 to 1000 fps"), "--fps \(fps): \(result.stderr)")
            #expect(scratch.contents == ["in.mp4"])
        }
    }

    /// A numbered image sequence (`frames/%04d.png`) is an input, at `--input-fps` (default 25).
    @Test func readsAnImageSequence() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path("frames"), withIntermediateDirectories: true)
        try Tool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=1", scratch.path("frames/%04d.png"),
        ])
        let result = try KinetoProcess.run(
            [
                "interpolate", "frames/%04d.png", "out.mp4", "--input-fps", "10", "--fps", "20",
                "--model", "blend", "--preset", "ultrafast", "--quiet",
            ], in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Tool.streams(scratch.path("out.mp4")).first?.frames == 20)
        // A pattern matching no file is still "no such file", naming the first file looked for.
        let missing = try KinetoProcess.run(
            ["interpolate", "none/%04d.png", "out2.mp4", "--fps", "20", "--quiet"], in: scratch.directory)
        #expect(missing.status == 65, "\(missing.stderr)")
        #expect(missing.stderr.contains("no such file"))
    }
}
