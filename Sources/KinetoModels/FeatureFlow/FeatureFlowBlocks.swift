import KinetoEngine

/// The residual blocks of FeatureFlow's `models/ResBlock.py`, with reflection padding (`padding_type='reflect'`).
enum FeatureFlowBlocks {
    /// `ReflectionPad2d(1)` then the 3×3 convolution `conv` (which has no padding of its own).
    @inline(__always)
    static func reflectConv(_ conv: FeatureFlowConv, _ x: Tensor, residual: Tensor? = nil) -> Tensor {
        conv(x, residual: residual)
    }
}

/// `ResnetBlock(c, activation)`: `x + act(conv2(pad(act(conv1(pad(x))))))` — the activation comes after the
/// second convolution too, before the skip connection is added.
struct FeatureFlowResnetBlock {
    let conv1: FeatureFlowConv
    let conv2: FeatureFlowConv

    /// Reads `prefix.conv_block.1` and `prefix.conv_block.4` (the `Sequential` indices of the two convolutions).
    init(_ loader: FeatureFlowWeightLoader, _ prefix: String, channels c: Int, activation: Activation) throws {
        conv1 = FeatureFlowConv(
            try loader.conv(prefix + ".conv_block.1", c, c, kernel: 3, activation: activation), reflect: true)
        conv2 = FeatureFlowConv(
            try loader.conv(prefix + ".conv_block.4", c, c, kernel: 3, activation: activation), reflect: true)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        // The skip connection is added in the second convolution's output pass (after its activation).
        conv2(FeatureFlowBlocks.reflectConv(conv1, x), addAfterActivation: x)
    }

    /// The block applied `times` times: the official `[ResnetBlock(c)] * n` repeats one module.
    func repeated(_ x: Tensor, times: Int) -> Tensor {
        var y = x
        for _ in 0..<times { y = self(y) }
        return y
    }
}

/// `ResnetBlock_bn(c)`: `x + bn2(conv2(pad(lrelu0.1(bn1(conv1(pad(x)))))))`, batch norms folded in.
struct FeatureFlowResnetBlockBN {
    let conv1: FeatureFlowConv
    let conv2: FeatureFlowConv

    /// Reads `prefix.conv_block.{1,2,5,6}` (conv, bn, conv, bn).
    init(_ loader: FeatureFlowWeightLoader, _ prefix: String, channels c: Int) throws {
        conv1 = FeatureFlowConv(
            try loader.convBN(
                prefix + ".conv_block.1", bn: prefix + ".conv_block.2", c, c, kernel: 3,
                activation: .leakyReLU(0.1)), reflect: true)
        conv2 = FeatureFlowConv(
            try loader.convBN(prefix + ".conv_block.5", bn: prefix + ".conv_block.6", c, c, kernel: 3), reflect: true)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        FeatureFlowBlocks.reflectConv(conv2, FeatureFlowBlocks.reflectConv(conv1, x), residual: x)
    }
}
