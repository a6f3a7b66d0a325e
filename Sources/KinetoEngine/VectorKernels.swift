import CKinetoKernels
import Foundation

/// Whether the networks' hot loops run their AVX2 versions (`Sources/CKinetoKernels`) or the portable Swift loops.
/// Both give the same bits (no fused multiply-add), so the choice changes speed only. On by default where the CPU
/// has AVX2; `KINETO_PORTABLE_KERNELS=1` in the environment forces the Swift loops (for side-by-side timing).
public enum VectorKernels {
    /// Decided once per process.
    public static let avx2: Bool = {
        if ProcessInfo.processInfo.environment["KINETO_PORTABLE_KERNELS"].map({ $0 == "1" || $0 == "true" }) == true {
            return false
        }
        return kineto_kernels_available() != 0 && CPUFeatures.current.contains(.avx2)
    }()

    /// Whether the AVX-512 direct convolution (`DirectConv3x3`) replaces im2col + GEMM for the small 3×3
    /// convolutions that support it. Off with `KINETO_PORTABLE_KERNELS=1`, or alone with `KINETO_NO_AVX512=1` (for
    /// side-by-side timing against the AVX2 kernels).
    public static let avx512: Bool = {
        if ProcessInfo.processInfo.environment["KINETO_NO_AVX512"].map({ $0 == "1" || $0 == "true" }) == true {
            return false
        }
        return avx2 && CPUFeatures.current.contains(.avx512f)
    }()

    /// What runs, for `kineto bench` headers: "AVX-512", "AVX2" or "portable".
    public static var description: String { avx512 ? "AVX-512" : avx2 ? "AVX2" : "portable" }
}
