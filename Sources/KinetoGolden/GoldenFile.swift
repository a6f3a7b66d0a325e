import Foundation
import KinetoEngine
import KinetoWeights

/// Opens golden safetensors files as `GoldenTensors`.
public enum GoldenFile {
    /// The reference tensors in the safetensors file at `url` (memory-mapped; tensors are converted on request).
    public static func open(_ url: URL) throws -> GoldenTensors {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GoldenError(
                "golden file \(url.path) does not exist; the reference files are in Tests/Fixtures/golden (see its README.md)"
            )
        }
        return SafeTensorsGoldenTensors(file: try SafeTensorsFile(contentsOf: url))
    }
}

/// Golden tensors read from a safetensors file (any float dtype, converted to float32).
public struct SafeTensorsGoldenTensors: GoldenTensors {
    public let file: SafeTensorsFile

    public init(file: SafeTensorsFile) { self.file = file }

    public func tensor(_ name: String) throws -> Tensor? {
        guard let entry = file.entries[name] else { return nil }
        return Tensor(shape: entry.shape, values: try file.floats(name))
    }
}
