import KinetoEngine

/// One of RIFE's `ResConv` layers: `LeakyReLU₀.₂(conv(x) · beta + x)` with beta folded into the convolution, planned
/// by the engine under RIFE's policy:
///
/// - Blocks 1-4 (at most 128 channels): Winograd F(4×4, 3×3) on maps of at least `RIFENetwork.winogradMinimumTiles`
///   4×4 tiles (from about 360p up: a quarter of the multiplications, where RIFE spends most of its time), with the
///   skip connection and the activation in its output transform; smaller maps by im2col + GEMM.
/// - Block 0 (192 channels): F(4×4, 3×3)'s transformed filters would take 4× the weights (42 MB more), so Winograd
///   F(2×2, 3×3) (19 MB more) on maps of at most 256 pixels (block 0: 10×8 at 480p, 20×12 at 720p), where im2col's
///   GEMM would be too narrow. Measured with `kineto bench models --profile`, one thread, block 0's eight layers:
///   4.3-5.1 ms against 5.9-6.2 at 480p, 10.8-12.1 against 14.6-14.7 at 720p. Block 1's 128-channel ones
///   (320 pixels at 480p) lost to im2col by it (10.4 against 9.1 ms); they run F(4×4, 3×3).
/// - The AVX-512 direct convolution loses to Winograd even at 32 channels (160×128: 2.2 ms against 1.6-1.9,
///   `kineto bench ops --filter 32→32`), so it is not used here.
struct RIFEResidualConv: Sendable {
    static func policy(largeMaps: Bool) -> ConvolutionPolicy {
        ConvolutionPolicy(
            winogradF4MinimumInputChannels: largeMaps ? 0 : nil, winogradF2: !largeMaps,
            thresholds: ConvolutionThresholds(
                winogradF4MinimumTiles: RIFENetwork.defaultWinogradMinimumTiles, winogradF2MaximumPixels: 256))
    }

    let conv: Conv2d

    /// `largeMaps: false` for block 0 (F(2×2, 3×3) instead of F(4×4, 3×3)).
    init(_ conv: Conv2d, largeMaps: Bool = true) {
        self.conv = conv.planned(RIFEResidualConv.policy(largeMaps: largeMaps))
    }

    /// `activation(conv(x) + x)`, Winograd F(4×4, 3×3) from `winogradMinimumTiles` tiles (the network's setting).
    func callAsFunction(_ x: Tensor, winogradMinimumTiles: Int) -> Tensor {
        var thresholds = conv.plan.policy.thresholds
        thresholds.winogradF4MinimumTiles = winogradMinimumTiles
        return conv(x, residual: x, thresholds: thresholds)
    }
}
