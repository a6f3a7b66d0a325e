import Foundation
import Testing
import KinetoDaemon
import KinetoPipeline

/// A `slowmo` watch runs the pipeline's slow-motion mode: `factor` times as many frames at the input's rate.
@Suite struct SlowmoJobTests {
    @Test func slowmoWatchMakesALongerVideo() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kineto-slowmo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/in.mp4", output = folder + "/out.mp4"
        try DaemonFixture.makeClip(input, frames: 12, rate: 12)
        let watch = try WatchConfig(name: "slow", input: folder, output: folder, quarantine: folder, job: .slowmo,
                                    model: "blend", factor: 3, preset: "ultrafast")
        let result = try PipelineExecutor().run(ExecutionRequest(input: input, output: output, watch: watch),
                                                progress: { _ in }, cancellation: CancellationToken())
        #expect(result.framesIn == 12)
        #expect(result.framesOut == 36)  // 3 s at 12 fps
        #expect(FileManager.default.fileExists(atPath: output))
    }
}
