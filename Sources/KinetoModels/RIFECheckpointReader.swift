import Foundation
import KinetoWeights

/// Opens a PyTorch checkpoint as a tensor lookup for `RIFEWeights`.
enum RIFECheckpointReader {
    /// A lookup `name → tensor` over the checkpoint at `url`.
    static func open(_ url: URL) throws -> (String) throws -> WeightTensor? {
        // Placeholder until KinetoWeights' PyTorch zip reader lands.
        throw WeightError(file: url.path, "PyTorch checkpoints cannot be read yet; convert to safetensors")
    }
}
