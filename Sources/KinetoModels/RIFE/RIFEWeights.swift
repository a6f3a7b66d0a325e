import Foundation
import KinetoEngine
import KinetoWeights

/// The trained weights of RIFE 4.25 (Practical-RIFE's `IFNet_HDv3`, the `flownet.pkl` of the release), checked and
/// converted once into engine layers: ResConv `beta` folded into its convolution, LeakyReLU fused.
///
/// Only the 158 tensors inference needs are read: `encode.*` (the feature head) and `block0…4.*` (the five flow
/// blocks). The checkpoint's `teacher.*` and `caltime.*` tensors are training-only and ignored; a `module.` prefix
/// (checkpoints saved from `DataParallel`) is accepted.
public struct RIFEWeights: Sendable {
    /// One flow block (`IFBlock`): two stride-2 convolutions, eight residual convolutions, a transposed
    /// convolution to 52 channels (pixel-shuffled to 13: flow 4, mask 1, features 8).
    struct Block: Sendable {
        var down0: RIFEConv
        var down1: RIFEConv
        var residual: [RIFEResidualConv]
        var up: RIFETransposedConv
        var channels: Int { down1.outputChannels }
    }

    /// The feature head (`Head`): three 3×3 convolutions (the first with stride 2) and a transposed convolution
    /// back to full size, 4 channels.
    struct Head: Sendable {
        var conv0: RIFEConv
        var conv1: RIFEConv
        var conv2: RIFEConv
        var up: RIFETransposedConv
    }

    /// Width of the five flow blocks (`c` of `IFBlock(in, c)`).
    public static let blockChannels = [192, 128, 96, 64, 32]
    /// Input channels of the blocks: frames 3+3, head features 4+4, timestep 1 (block 0); then also mask 1,
    /// block features 8 and flow 4.
    public static let blockInputChannels = [15, 28, 28, 28, 28]
    /// Residual convolutions per block.
    public static let residualCount = 8

    let head: Head
    let blocks: [Block]

    /// Every state-dict name inference reads, with its expected shape (PyTorch layouts).
    public static var requiredTensors: [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = [
            ("encode.cnn0.weight", [16, 3, 3, 3]), ("encode.cnn0.bias", [16]),
            ("encode.cnn1.weight", [16, 16, 3, 3]), ("encode.cnn1.bias", [16]),
            ("encode.cnn2.weight", [16, 16, 3, 3]), ("encode.cnn2.bias", [16]),
            ("encode.cnn3.weight", [16, 4, 4, 4]), ("encode.cnn3.bias", [4]),
        ]
        for (b, c) in blockChannels.enumerated() {
            let p = "block\(b)."
            list += [
                ("\(p)conv0.0.0.weight", [c / 2, blockInputChannels[b], 3, 3]), ("\(p)conv0.0.0.bias", [c / 2]),
                ("\(p)conv0.1.0.weight", [c, c / 2, 3, 3]), ("\(p)conv0.1.0.bias", [c]),
            ]
            for r in 0..<residualCount {
                list += [
                    ("\(p)convblock.\(r).beta", [1, c, 1, 1]), ("\(p)convblock.\(r).conv.weight", [c, c, 3, 3]),
                    ("\(p)convblock.\(r).conv.bias", [c]),
                ]
            }
            list += [("\(p)lastconv.0.weight", [c, 52, 4, 4]), ("\(p)lastconv.0.bias", [52])]
        }
        return list
    }

    /// Builds the layers from a state dict given as a lookup `tensor(name)` (nil when absent). `file` names the
    /// source in errors. Every required tensor must be present with its exact shape.
    public init(file: String, tensor lookup: (String) throws -> WeightTensor?) throws {
        var found: [String: Tensor] = [:]
        var missing: [String] = []
        for (name, shape) in RIFEWeights.requiredTensors {
            guard let t = try lookup(name) ?? lookup("module." + name) else {
                missing.append(name)
                continue
            }
            guard t.shape == shape else {
                throw WeightError(
                    file: file, key: name,
                    "has shape \(t.shape), RIFE 4.25 expects \(shape); is this the flownet.pkl of RIFE 4.25?")
            }
            found[name] = Tensor(shape: shape, values: t.values)
        }
        if !missing.isEmpty {
            let shown = missing.prefix(4).joined(separator: ", ")
            throw WeightError(
                file: file,
                "is not a RIFE 4.25 checkpoint: \(missing.count) of \(RIFEWeights.requiredTensors.count) tensors are missing (\(shown)\(missing.count > 4 ? ", …" : ""))"
            )
        }
        let leaky = Activation.leakyReLU(0.2)
        func conv(_ prefix: String, stride: Int = 1, activation: Activation = leaky) throws -> Conv2d {
            try Conv2d(
                weight: found[prefix + ".weight"]!, bias: found[prefix + ".bias"]!, stride: stride, padding: 1,
                activation: activation)
        }
        func transposed(_ prefix: String) throws -> RIFETransposedConv {
            RIFETransposedConv(
                try ConvTranspose2d(
                    weight: found[prefix + ".weight"]!, bias: found[prefix + ".bias"]!,
                    stride: 2, padding: 1))
        }
        head = Head(
            conv0: RIFEConv(try conv("encode.cnn0", stride: 2)), conv1: RIFEConv(try conv("encode.cnn1")),
            conv2: RIFEConv(try conv("encode.cnn2")), up: try transposed("encode.cnn3"))
        blocks = try (0..<RIFEWeights.blockChannels.count).map { b in
            let p = "block\(b)."
            let residual = try (0..<RIFEWeights.residualCount).map { r in
                // relu(conv(x) · beta + x): beta folds into the weights, the skip add and LeakyReLU fuse.
                RIFEResidualConv(
                    try conv("\(p)convblock.\(r).conv").scalingOutput(by: found["\(p)convblock.\(r).beta"]!),
                    largeMaps: RIFEWeights.blockChannels[b] <= 128)
            }
            // Kineto keeps each frame with its head features (7 channels warped in one pass), so the first
            // convolution reads its input channels in that order.
            let first = try conv("\(p)conv0.0.0", stride: 2)
            let down0 = try Conv2d(
                weight: RIFEWeights.permutingInputs(first.weight), bias: first.bias, stride: 2,
                padding: 1, activation: leaky)
            return Block(
                down0: RIFEConv(down0), down1: RIFEConv(try conv("\(p)conv0.1.0", stride: 2)),
                residual: residual, up: try transposed("\(p)lastconv.0"))
        }
    }

    /// Input channel order of the blocks' first convolution in Kineto, as reference channel indices: frame 0 and
    /// its features (reference 0-2, 6-9), frame 1 and its features (3-5, 10-13), then the rest unchanged.
    static let inputOrder = [0, 1, 2, 6, 7, 8, 9, 3, 4, 5, 10, 11, 12, 13]

    /// `weight` `[out, in, kh, kw]` with its input channels in `inputOrder` (the tail keeps its order).
    static func permutingInputs(_ weight: Tensor) -> Tensor {
        let (cout, cin, taps) = (weight.shape[0], weight.shape[1], weight.shape[2] * weight.shape[3])
        let order = inputOrder + Array(inputOrder.count..<cin)
        let result = Tensor(zeros: weight.shape)
        for o in 0..<cout {
            for (j, source) in order.enumerated() {
                (result.pointer + (o * cin + j) * taps).update(
                    from: weight.pointer + (o * cin + source) * taps, count: taps)
            }
        }
        return result
    }

    /// Reads the weights from a file: a PyTorch checkpoint (`flownet.pkl`, zip format) or a safetensors file with
    /// the same tensor names.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw WeightError(
                file: url.path,
                "cannot be read; install the RIFE model with `kineto models install rife --from PATH/TO/flownet.pkl` or scripts/install-models"
            )
        }
        if url.pathExtension.lowercased() == "safetensors" {
            let file = try SafeTensorsFile(contentsOf: url)
            try self.init(file: url.path) { name in file.entries[name] == nil ? nil : try file.tensor(name) }
        } else {
            let checkpoint = try RIFECheckpointReader.open(url)
            try self.init(file: url.path) { name in try checkpoint(name) }
        }
    }
}
