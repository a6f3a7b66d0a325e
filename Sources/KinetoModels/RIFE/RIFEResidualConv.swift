import Foundation
import KinetoEngine

/// One of RIFE's `ResConv` layers: `LeakyReLU₀.₂(conv(x) · beta + x)` with beta folded into the convolution.
///
/// On maps of at least `RIFENetwork.winogradMinimumTiles` 4×4 tiles (blocks 1-4 from about 360p up) the 3×3
/// convolution runs as Winograd F(4×4, 3×3) (about a quarter of the multiplications; these blocks spend most of
/// RIFE's time here), with the skip connection and the activation applied in its output transform. On smaller
/// maps, block 0's layers run by Winograd F(2×2, 3×3) (`smallWinogradMaximumPixels`), the others by im2col + GEMM.
/// The direct AVX-512 convolution (`DirectConv3x3`) loses to Winograd even at 32 channels (160×128: 2.2 ms against
/// 1.6-1.9, `kineto bench ops --filter 32→32`), so it is not used here.
struct RIFEResidualConv: Sendable {
    let direct: Conv2d
    let winograd: WinogradConv3x3?
    /// On maps of at most `smallWinogradMaximumPixels` (block 0: 10×8 at 480p, 20×12 at 720p): Winograd F(2×2, 3×3),
    /// where im2col's GEMM would be too narrow. Measured with `kineto bench models --profile`, one thread, block 0's
    /// eight 192-channel layers: 4.3-5.1 ms against 5.9-6.2 at 480p, 10.8-12.1 against 14.6-14.7 at 720p. Block 1's
    /// 128-channel ones (320 pixels at 480p) lost to im2col by it (10.4 against 9.1 ms); they run F(4×4, 3×3).
    let smallWinograd: WinogradF2Conv3x3?
    static let smallWinogradMaximumPixels = 256
    /// `largeMaps: false` (block 0) keeps F(2×2, 3×3) instead of F(4×4, 3×3): the latter's transformed filters take 4×
    /// the memory of the weights (block 0's 192-channel layers would add 42 MB, F(2×2, 3×3)'s add 19); block 0's
    /// maps stay within `smallWinogradMaximumPixels` up to 720p. The other blocks' maps are larger than that from
    /// about 360p up, so they keep F(4×4, 3×3) only.
    init(_ conv: Conv2d, largeMaps: Bool = true) {
        direct = conv
        winograd = largeMaps ? WinogradConv3x3(conv, padding: .zeros) : nil
        smallWinograd = largeMaps ? nil : WinogradF2Conv3x3(conv)
    }

    /// `activation(conv(x) + x)`.
    func callAsFunction(_ x: Tensor, winogradMinimumTiles: Int) -> Tensor {
        if let winograd, ((x.h + 3) / 4) * ((x.w + 3) / 4) >= winogradMinimumTiles {
            return winograd(x, residual: x)
        }
        if let smallWinograd, x.h * x.w <= RIFEResidualConv.smallWinogradMaximumPixels {
            return smallWinograd(x)
        }
        return direct(x, residual: x)
    }
}
