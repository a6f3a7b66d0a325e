import KinetoEngine
import KinetoModels
import Testing

/// The AVX2 kernels must give the portable loops' exact bits (same products and sums, no fused multiply-add).
@Suite struct VectorKernelsTests {
    @Test func avx2KernelsMatchThePortableLoopsBitForBit() throws {
        // 101 × 37: rows whose width is not a multiple of 8 or 4 exercise every tail.
        for comparison in VectorKernelComparison.all(width: 101, height: 37, repeats: 1) {
            #expect(comparison.maxDifference == 0, "\(comparison.name): AVX2 and portable differ by \(comparison.maxDifference)")
            if VectorKernels.avx2 { #expect(comparison.vectorSeconds != nil) }
        }
    }
}
