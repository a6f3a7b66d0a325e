import Foundation
import KinetoEngine
import KinetoWeights

/// Builds FeatureFlow's layers from a `FeatureFlowWeightSource`, checking every tensor's name and shape.
///
/// Missing or misshapen tensors do not stop the build: they are replaced by zeros and recorded, so that `finish()`
/// can report every problem at once (what an importer of the official checkpoint needs to tell its user). Batch
/// norms are folded into the convolution before them as the layers are made.
final class FeatureFlowWeightLoader {
    let source: FeatureFlowWeightSource
    private(set) var missing: [String] = []
    private(set) var mismatched: [(name: String, found: [Int], expected: [Int])] = []
    /// Every tensor the network took, in request order (names without duplicates), for writing a model file.
    private(set) var used: [WeightTensor] = []
    private var usedNames: Set<String> = []
    /// Every name asked for with its expected shape, in request order, without duplicates.
    private(set) var requested: [(name: String, shape: [Int])] = []
    private var requestedNames: Set<String> = []
    /// Keep the raw tensors in `used` (the importer needs them; inference does not).
    let recordsTensors: Bool

    init(source: FeatureFlowWeightSource, recordsTensors: Bool = false) {
        self.source = source
        self.recordsTensors = recordsTensors
    }

    /// The tensor `name` of `shape`; zeros (recorded as a problem) when absent or of another shape.
    func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        if requestedNames.insert(name).inserted { requested.append((name, shape)) }
        guard let weight = try source.weight(named: name) else {
            if !missing.contains(name) { missing.append(name) }
            return Tensor(zeros: shape)
        }
        guard weight.shape == shape else {
            if !mismatched.contains(where: { $0.name == name }) { mismatched.append((name, weight.shape, shape)) }
            return Tensor(zeros: shape)
        }
        if recordsTensors && !usedNames.contains(name) {
            usedNames.insert(name)
            used.append(weight)
        }
        return Tensor(shape: shape, values: weight.values)
    }

    /// `nn.Conv2d(cin, cout, k, stride, padding, dilation, bias)` at `prefix` (`prefix.weight`, `prefix.bias`).
    func conv(
        _ prefix: String, _ cin: Int, _ cout: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, bias: Bool = true, activation: Activation = .none
    ) throws -> Conv2d {
        let weight = try tensor(prefix + ".weight", [cout, cin, kernel, kernel])
        let b = bias ? try tensor(prefix + ".bias", [cout]) : nil
        return try Conv2d(
            weight: weight, bias: b, stride: stride, padding: padding, dilation: dilation,
            activation: activation)
    }

    /// Inference batch norm `nn.BatchNorm2d(channels)` at `prefix` (eps 1e-5, PyTorch's default).
    func batchNorm(_ prefix: String, _ channels: Int) throws -> BatchNormParameters {
        BatchNormParameters(
            weight: try tensor(prefix + ".weight", [channels]),
            bias: try tensor(prefix + ".bias", [channels]),
            runningMean: try tensor(prefix + ".running_mean", [channels]),
            runningVar: try tensor(prefix + ".running_var", [channels]))
    }

    /// A convolution at `convPrefix` with the batch norm at `bnPrefix` folded in, then `activation`.
    func convBN(
        _ convPrefix: String, bn bnPrefix: String, _ cin: Int, _ cout: Int, kernel: Int, stride: Int = 1,
        padding: Int = 0, bias: Bool = true, activation: Activation = .none
    ) throws -> Conv2d {
        let plain = try conv(convPrefix, cin, cout, kernel: kernel, stride: stride, padding: padding, bias: bias)
        return try plain.foldingBatchNorm(try batchNorm(bnPrefix, cout)).with(activation: activation)
    }

    /// `nn.ConvTranspose2d(cin, cout, k, stride, padding, output_padding)` with bias at `prefix`.
    func convTranspose(
        _ prefix: String, _ cin: Int, _ cout: Int, kernel: Int, stride: Int, padding: Int,
        outputPadding: Int, activation: Activation = .none
    ) throws -> ConvTranspose2d {
        try ConvTranspose2d(
            weight: try tensor(prefix + ".weight", [cin, cout, kernel, kernel]),
            bias: try tensor(prefix + ".bias", [cout]), stride: stride, padding: padding,
            outputPadding: outputPadding, activation: activation)
    }

    /// Throws `FeatureFlowWeightError` listing every missing or misshapen tensor, if any.
    func finish() throws {
        guard missing.isEmpty && mismatched.isEmpty else {
            throw FeatureFlowWeightError(source: source.sourceDescription, missing: missing, mismatched: mismatched)
        }
    }
}
