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

/// Golden tensors read from a safetensors file, converted to float32: float tensors as they are, 8-bit ones as
/// pictures (0–255 read as [0, 1]). Reference inputs made from 8-bit pictures are stored that way, exactly and in a
/// quarter of the space; stored as float16 they would move the network's outputs past the tolerances.
public struct SafeTensorsGoldenTensors: GoldenTensors {
    public let file: SafeTensorsFile

    public init(file: SafeTensorsFile) { self.file = file }

    public func tensor(_ name: String) throws -> Tensor? {
        guard let entry = file.entries[name] else { return nil }
        var values = try file.floats(name)
        if entry.dtype == .u8 { values = values.map { $0 / 255 } }
        return Tensor(shape: entry.shape, values: values)
    }
}
