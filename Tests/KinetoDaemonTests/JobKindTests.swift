import Foundation
import KinetoDaemon
import KinetoPipeline
import KinetoTestSupport
import Testing

/// The job kinds besides frame-rate conversion: `slowmo` runs the pipeline's slow-motion mode (`factor`
/// times as many frames at the input's rate); `animate` drives the watch's portrait with each video.
@Suite struct JobKindTests {
    @Test func slowmoWatchMakesALongerVideo() throws {
        let scratch = try Scratch("kineto-slowmo")
        let folder = scratch.directory.path
        let input = folder + "/in.mp4"
        let output = folder + "/out.mp4"
        try DaemonFixture.makeClip(input, frames: 12, rate: 12)
        let watch = try WatchConfig(
            name: "slow", input: folder, output: folder, quarantine: folder, job: .slowmo,
            model: "blend", factor: 3, preset: "ultrafast")
        let result = try PipelineExecutor().run(
            ExecutionRequest(input: input, output: output, watch: watch),
            progress: { _ in }, cancellation: CancellationToken())
        #expect(result.framesIn == 12)
        #expect(result.framesOut == 36)  // 3 s at 12 fps
        #expect(FileManager.default.fileExists(atPath: output))
    }

    static let faces = golden("faces").path

    @Test func animateWatchDrivesItsPortrait() throws {
        let scratch = try Scratch("kineto-animate")
        let folder = scratch.directory.path
        let driving = folder + "/driving.mp4"
        let output = folder + "/out.mp4"
        try Tool.run(
            "/usr/bin/ffmpeg",
            [
                "-nostdin", "-y", "-loglevel", "error", "-loop", "1", "-i", Self.faces + "/obama2.jpg",
                "-vf", "scale=256:-2,format=yuv420p", "-r", "10", "-t", "1",
                "-c:v", "libx264", "-preset", "ultrafast", driving,
            ])
        let watch = try WatchConfig(
            name: "faces", input: folder, output: folder, quarantine: folder, job: .animate,
            preset: "ultrafast", portrait: Self.faces + "/biden.jpg")
        let result = try PipelineExecutor().run(
            ExecutionRequest(input: driving, output: output, watch: watch),
            progress: { _ in }, cancellation: CancellationToken())
        #expect(result.framesOut == 10)
        #expect(FileManager.default.fileExists(atPath: output))
    }

    @Test func animateWatchNeedsAReadablePortrait() throws {
        let fixture = try DaemonFixture()
        for (extra, expected) in [
            ("", "needs portrait ="), ("portrait = \"/nonexistent/face.jpg\"", "is not a readable file"),
        ] {
            let text = """
                [[watch]]
                input = "\(fixture.input)"
                output = "\(fixture.output)"
                job = "animate"
                \(extra)
                """
            let error = try #require(throws: ConfigError.self) { try DaemonConfig.parse(text, file: "k.toml") }
            #expect(error.description.contains(expected), "\(error)")
        }
    }
}
