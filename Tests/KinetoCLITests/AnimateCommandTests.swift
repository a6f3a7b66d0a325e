import Foundation
import KinetoTestSupport
import Testing

/// `kineto animate`'s command line: exit codes and messages (the animation itself is tested in KinetoPortraitTests).
@Suite struct AnimateCommandTests {
    static var biden: String { facePhoto("biden") }

    @Test func usageErrorsExit64() throws {
        let scratch = try Scratch()
        for arguments in [
            ["p.jpg", "d.mp4", "o.mp4", "--crop", "tight"], ["p.jpg", "d.mp4", "o.mp4", "--size", "4"],
            ["p.jpg", "d.mp4", "o.mp4", "--codec", "divx"], ["p.jpg", "d.mp4"],
            ["p.jpg", "d.mp4", "o.mp4", "--max-zoom", "0.5"], ["p.jpg", "d.mp4", "o.mp4", "--max-turn", "0"],
            ["p.jpg", "d.mp4", "o.mp4", "--max-turn", "120"],
        ] {
            let result = try KinetoProcess.run(["animate"] + arguments, in: scratch.directory)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
        }
        #expect(scratch.contents.isEmpty)
    }

    /// No face in the portrait, no face in the driving video, a missing file: exit 65, naming the file, no output.
    @Test func inputErrorsExit65() throws {
        let scratch = try Scratch()
        _ = try scratch.clip("testsrc.mp4", seconds: 1)
        let cases: [([String], String)] = [
            (["testsrc.mp4", "testsrc.mp4", "o.mp4"], "testsrc.mp4: no face found in the portrait"),
            ([Self.biden, "testsrc.mp4", "o.mp4", "--size", "64"], "testsrc.mp4: no face found in any of its"),
            ([Self.biden, "missing.mp4", "o.mp4"], "missing.mp4"),
        ]
        for (arguments, words) in cases {
            let result = try KinetoProcess.run(["animate"] + arguments + ["--quiet"], in: scratch.directory)
            #expect(result.status == 65, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(words), "\(result.stderr)")
        }
        #expect(scratch.contents == ["testsrc.mp4"])
    }

    /// The output may not be either input, by name or through a symlink, even with --overwrite: exit 73, inputs
    /// unchanged (before, `animate P D P --overwrite` replaced the portrait).
    @Test func outputNamingAnInputExits73() throws {
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: Self.biden, toPath: scratch.path("p.jpg"))
        _ = try scratch.clip("d.mp4", seconds: 0.5)
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path("link.jpg"), withDestinationPath: scratch.path("p.jpg"))
        let portrait = try Data(contentsOf: URL(fileURLWithPath: scratch.path("p.jpg")))
        let driving = try Data(contentsOf: URL(fileURLWithPath: scratch.path("d.mp4")))
        for output in ["p.jpg", "link.jpg", "d.mp4"] {
            let result = try KinetoProcess.run(
                ["animate", "p.jpg", "d.mp4", output, "--overwrite", "--quiet"], in: scratch.directory)
            #expect(result.status == 73, "\(output): \(result.stderr)")
            #expect(result.stderr.contains("is the input file itself"), "\(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("p.jpg"))) == portrait)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("d.mp4"))) == driving)
        #expect(scratch.contents == ["d.mp4", "link.jpg", "p.jpg"])
    }

    /// Without --codec, a .webm output gets VP9 (H.264, the default elsewhere, cannot go into WebM), as interpolate
    /// and slowmo do.
    @Test func webmOutputGetsVP9() throws {
        let scratch = try Scratch()
        _ = try scratch.ffmpeg([
            "-loop", "1", "-framerate", "10", "-t", "0.5", "-i", facePhoto("obama"), "-vf",
            "crop=520:520:231:0,scale=256:256,format=yuv420p", "-c:v", "libx264", scratch.path("d.mp4"),
        ])
        let result = try KinetoProcess.run(
            ["animate", facePhoto("obama"), "d.mp4", "out.webm", "--size", "128", "--quiet"], in: scratch.directory)
        #expect(result.status == 0, "\(result.stderr)")
        let codec = try Tool.ffprobe([
            "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
            scratch.path("out.webm"),
        ])
        #expect(codec.trimmingCharacters(in: .whitespacesAndNewlines) == "vp9")
    }
}
