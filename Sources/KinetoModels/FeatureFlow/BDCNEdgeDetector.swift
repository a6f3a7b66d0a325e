import KinetoEngine

/// The part of BDCN (He et al., CVPR 2019; `models/bdcn/bdcn.py` in FeatureFlow) that FeatureFlow uses:
/// `tanh(bdcn(img)[0])`, the first side output `p1_1 = score_dsn1(conv1_1_down(msblock1_1(conv1_1)) +
/// conv1_2_down(msblock1_2(conv1_2)))`, needs only VGG's first two convolutions and the two scale-1 blocks. The
/// rest of the network (13 convolutions, 13 blocks, upsampling, fusion) does not influence it and is not computed.
///
/// The three linear 1×1 layers after the blocks fold into one 64 → 1 convolution over both blocks' outputs
/// (weights multiplied out in double at load).
public struct BDCNEdgeDetector {
    let conv1_1: Conv2d, conv1_2: FeatureFlowConv
    let block1: MSBlock, block2: MSBlock
    /// `score_dsn1 ∘ (conv1_1_down ⊕ conv1_2_down)` as a 1×1 convolution over [block1, block2] (64 channels), tanh.
    let score: Conv2d

    /// BDCN's multi-scale block (rate 4): `o + relu(conv1(o)) + relu(conv2(o)) + relu(conv3(o))` with
    /// `o = relu(conv(x))` and the three convolutions dilated 4, 8 and 12.
    struct MSBlock {
        let conv: FeatureFlowConv, dilated: [Conv2d]

        init(_ loader: FeatureFlowWeightLoader, _ prefix: String, channels: Int) throws {
            conv = FeatureFlowConv(
                try loader.conv(prefix + ".conv", channels, 32, kernel: 3, padding: 1, activation: .relu))
            dilated = try (1...3).map { i in
                try loader.conv(
                    prefix + ".conv\(i)", 32, 32, kernel: 3, padding: 4 * i, dilation: 4 * i, activation: .relu)
            }
        }

        /// Writes the block's output into `out` (a channel view of the score input).
        func callAsFunction(_ x: Tensor, out: Tensor) {
            let o = conv(x)
            out.copy(from: o)
            for d in dilated { _ = Ops.add(out, d(o), out: out) }
        }
    }

    init(_ loader: FeatureFlowWeightLoader, prefix p: String = "bdcn.") throws {
        conv1_1 = try loader.conv(p + "features.conv1_1", 3, 64, kernel: 3, padding: 1, activation: .relu)
        conv1_2 = FeatureFlowConv(
            try loader.conv(p + "features.conv1_2", 64, 64, kernel: 3, padding: 1, activation: .relu))
        block1 = try MSBlock(loader, p + "msblock1_1", channels: 64)
        block2 = try MSBlock(loader, p + "msblock1_2", channels: 64)
        let down1w = try loader.tensor(p + "conv1_1_down.weight", [21, 32, 1, 1])
        let down1b = try loader.tensor(p + "conv1_1_down.bias", [21])
        let down2w = try loader.tensor(p + "conv1_2_down.weight", [21, 32, 1, 1])
        let down2b = try loader.tensor(p + "conv1_2_down.bias", [21])
        let scoreW = try loader.tensor(p + "score_dsn1.weight", [1, 21, 1, 1])
        let scoreB = try loader.tensor(p + "score_dsn1.bias", [1])
        var weight = [Float](repeating: 0, count: 64)
        var bias = Double(scoreB.pointer[0])
        for j in 0..<21 {
            let s = Double(scoreW.pointer[j])
            bias += s * (Double(down1b.pointer[j]) + Double(down2b.pointer[j]))
        }
        for i in 0..<32 {
            var a = 0.0
            var b = 0.0
            for j in 0..<21 {
                let s = Double(scoreW.pointer[j])
                a += s * Double(down1w.pointer[j * 32 + i])
                b += s * Double(down2w.pointer[j * 32 + i])
            }
            weight[i] = Float(a)
            weight[32 + i] = Float(b)
        }
        score = try Conv2d(
            weight: Tensor(shape: [1, 64, 1, 1], values: weight),
            bias: Tensor(shape: [1], values: [Float(bias)]), activation: .tanh)
    }

    /// The edge map `tanh(p1_1)` `[N, 1, H, W]` of `image` `[N, 3, H, W]` in [-1, 1].
    public func callAsFunction(_ image: Tensor) -> Tensor {
        let c1 = conv1_1(image)
        let both = Tensor.empty([image.n, 64, image.h, image.w], like: image)
        block1(c1, out: both.channels(0..<32))
        let c2 = conv1_2(c1)
        block2(c2, out: both.channels(32..<64))
        return score(both)
    }

    /// Rows of context each side that an edge pixel depends on (3×3, 3×3, 3×3, then 3×3 dilated 12): a tile with
    /// this margin of real image around it gives exactly the edges of the whole image.
    public static let receptiveRadius = 15
}
