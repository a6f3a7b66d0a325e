import KinetoEngine

/// One of RIFE's plain 3×3 convolutions with LeakyReLU (the head's three, each block's two stride-2 ones), planned
/// with the fastest way measured by `kineto bench ops` on a 2-core Zen 4: the head's stride-1 16 → 16 layers by
/// Winograd F(4×4, 3×3) at every map size (1.6-1.8 ms at 320×256 against 2.3-2.6 direct), the stride-2 ones of at
/// most 64 output channels by the AVX-512 direct kernel (1.5-1.8× im2col + GEMM) where the CPU has it, the rest by
/// im2col + GEMM (whose 128- and 192-channel GEMMs run near the core's peak).
struct RIFEConv: Sendable {
    static let policy = ConvolutionPolicy(
        winogradF4MinimumInputChannels: 0, directMaximumOutputChannels: 64,
        thresholds: ConvolutionThresholds(winogradF4MinimumTiles: 0))

    let conv: Conv2d

    init(_ conv: Conv2d) { self.conv = conv.planned(RIFEConv.policy) }

    var outputChannels: Int { conv.outputChannels }

    func callAsFunction(_ x: Tensor) -> Tensor { conv(x) }
}

/// One of RIFE's transposed convolutions (4×4, stride 2, padding 1: each block's last layer and the head's), its
/// weight packed at load for the engine's direct AVX-512 kernel where the CPU has it (`ConvTranspose2d.upsampling`).
/// All output channels are packed: a pass that makes fewer (the last block's flow and mask) reads the first blocks.
struct RIFETransposedConv: Sendable {
    static let policy = ConvolutionPolicy(directMaximumOutputChannels: .max)

    let conv: ConvTranspose2d

    /// `conv` planned anew (its weights were checked when it was made).
    init(_ conv: ConvTranspose2d) {
        self.conv = try! ConvTranspose2d(
            weight: conv.weight, bias: conv.bias, stride: conv.stride, padding: conv.padding,
            outputPadding: conv.outputPadding, dilation: conv.dilation, groups: conv.groups,
            activation: conv.activation, policy: RIFETransposedConv.policy)
    }

    /// This layer, then `PixelShuffle(2)` with `shuffle`, into `out` (which may hold fewer planes than it makes).
    func callAsFunction(_ x: Tensor, shuffle: Bool, pool: TensorPool, out: Tensor) {
        conv.upsampling(x, shuffle: shuffle, pool: pool, out: out)
    }
}
