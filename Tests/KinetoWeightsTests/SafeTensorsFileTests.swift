import Foundation
import Testing
import KinetoWeights

private let goldenDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["KINETO_GOLDEN_DIR"] { return URL(fileURLWithPath: dir) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/golden")
}()

@Suite struct SafeTensorsFileTests {
    @Test func readsGoldenOpsFile() throws {
        let file = try SafeTensorsFile(contentsOf: goldenDirectory.appendingPathComponent("ops-golden.safetensors"))
        let entry = try file.entry("conv3x3.weight")
        #expect(entry.dtype == .f32)
        #expect(entry.shape.count == 4)
        let values = try file.floats("conv3x3.weight")
        #expect(values.count == entry.count)
        #expect(values.contains { $0 != 0 })
    }

    @Test func missingKeyNamesFileAndKey() throws {
        let file = try SafeTensorsFile(contentsOf: goldenDirectory.appendingPathComponent("ops-golden.safetensors"))
        let error = #expect(throws: WeightError.self) { try file.floats("no.such.tensor") }
        #expect(error?.description.contains("no.such.tensor") == true)
        #expect(error?.description.contains("ops-golden.safetensors") == true)
    }

    @Test func truncatedFilesFailCleanly() throws {
        let source = goldenDirectory.appendingPathComponent("ops-golden.safetensors")
        let bytes = try Data(contentsOf: source)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kineto-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for cut in [0, 4, 8, 20, 1000, bytes.count / 2, bytes.count - 1] {
            let url = dir.appendingPathComponent("cut-\(cut).safetensors")
            try bytes.prefix(cut).write(to: url)
            #expect(throws: WeightError.self) { _ = try SafeTensorsFile(contentsOf: url) }
        }
        let text = dir.appendingPathComponent("text.safetensors")
        try Data("hello, this is not a tensor file at all".utf8).write(to: text)
        #expect(throws: WeightError.self) { _ = try SafeTensorsFile(contentsOf: text) }
    }
}
