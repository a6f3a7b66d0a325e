import Foundation
import KinetoWeights

/// Opens a PyTorch checkpoint (`flownet.pkl`) as a tensor lookup for `RIFEWeights`.
enum RIFECheckpointReader {
    /// A lookup `name → tensor` over the state dict saved in the checkpoint at `url` (KinetoWeights' restricted
    /// unpickler: nothing in the file is executed).
    static func open(_ url: URL) throws -> (String) throws -> WeightTensor? {
        let checkpoint = try TorchCheckpoint(contentsOf: url)
        var byName: [String: TorchTensor] = [:]
        for (name, tensor) in try checkpoint.tensors() { byName[name] = tensor }
        return { name in byName[name].map { $0.weightTensor(name: name) } }
    }
}
