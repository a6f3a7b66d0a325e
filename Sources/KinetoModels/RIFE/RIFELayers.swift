import CKinetoKernels
import Foundation
import KinetoEngine

/// One of RIFE's plain 3×3 convolutions with LeakyReLU (the head's three, each block's two stride-2 ones), the
/// fastest way measured by `kineto bench ops` on a 2-core Zen 4: the head's stride-1 16 → 16 layers by Winograd
/// (1.6-1.8 ms at 320×256 against 2.3-2.6 direct), the stride-2 ones of at most 64 output channels direct in AVX-512
/// (`DirectConv3x3`, 1.5-1.8× im2col + GEMM) where the CPU has it, the rest by im2col + GEMM (whose 128- and
/// 192-channel GEMMs run near the core's peak).
struct RIFEConv: Sendable {
    let conv: Conv2d
    let winograd: WinogradConv3x3?
    let direct: DirectConv3x3?

    init(_ conv: Conv2d) {
        self.conv = conv
        winograd = conv.window.strideH == 1 ? WinogradConv3x3(conv, padding: .zeros) : nil
        direct = winograd == nil && conv.outputChannels <= 64 ? DirectConv3x3(conv) : nil
    }

    var outputChannels: Int { conv.outputChannels }

    func callAsFunction(_ x: Tensor) -> Tensor {
        if let winograd { return winograd(x) }
        if let direct { return direct(x) }
        return conv(x)
    }
}

/// One of RIFE's transposed convolutions (4×4, stride 2, padding 1: each block's last layer and the head's), with its
/// weight packed once at load for the direct AVX-512 kernel (`RIFEKernels.convTranspose4x4`) where the CPU has it.
/// All output channels are packed, in blocks of 8: a pass that makes fewer (the last block's flow and mask) reads
/// the first blocks only.
struct RIFETransposedConv: Sendable {
    let conv: ConvTranspose2d
    /// The weight as `[Cout/8][Cin][16][8]`, or nil without AVX-512.
    let packed: [Float]?

    init(_ conv: ConvTranspose2d, avx512: Bool = VectorKernels.avx512) {
        self.conv = conv
        guard avx512 else {
            packed = nil
            return
        }
        let (cin, cout) = (conv.weight.shape[0], conv.weight.shape[1])
        var packed = [Float](repeating: 0, count: (cout + 7) / 8 * 8 * cin * 16)
        packed.withUnsafeMutableBufferPointer {
            kineto_conv_transpose4x4_pack_weight(
                conv.weight.pointer, Int64(cin), Int64(cout), Int64(cout), $0.baseAddress!)
        }
        self.packed = packed
    }
}
