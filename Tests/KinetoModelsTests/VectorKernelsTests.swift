import KinetoBench
import KinetoEngine
import KinetoModels
import Testing

/// The AVX2 kernels must give the portable loops' exact bits (same products and sums, no fused multiply-add); the
/// AVX-512 direct convolution must agree with im2col + GEMM within its stated tolerance.
@Suite struct VectorKernelsTests {
    @Test func vectorKernelsMatchThePortableCode() throws {
        // 101 × 37: rows whose width is not a multiple of 16, 8 or 4 exercise every tail.
        for comparison in VectorKernelComparison.all(width: 101, height: 37, repeats: 1) {
            #expect(
                comparison.maxDifference <= comparison.tolerance,
                "\(comparison.name): \(comparison.instructionSet) and portable differ by \(comparison.maxDifference)")
            let available =
                comparison.instructionSet == "AVX-512"
                ? VectorKernels.avx512
                : comparison.instructionSet == "AVX2" ? VectorKernels.avx2 : true
            if available { #expect(comparison.vectorSeconds != nil) }
        }
    }

    /// Every stride-1 and stride-2 case RIFE has, including a 3-channel input (the head's first layer), 48 and 64
    /// output channels (several 16-channel blocks) and maps narrower than one 16-pixel step.
    @Test func directConvolutionCoversRIFEShapes() throws {
        let cases: [(cin: Int, cout: Int, stride: Int, width: Int, height: Int)] = [
            (3, 16, 2, 45, 19), (16, 16, 1, 33, 17), (28, 48, 2, 50, 12), (32, 64, 2, 9, 7), (16, 32, 1, 5, 3),
        ]
        for c in cases {
            let comparison = VectorKernelComparison.directConvolution(
                cin: c.cin, cout: c.cout, stride: c.stride,
                width: c.width, height: c.height, repeats: 1)
            #expect(
                comparison.maxDifference <= comparison.tolerance,
                "\(comparison.name): differ by \(comparison.maxDifference)")
            #expect((comparison.vectorSeconds != nil) == VectorKernels.avx512)
        }
    }

    /// RIFE's transposed convolutions (shuffled, with fewer planes than the layer makes; plain, the head's) on maps
    /// from one pixel to rows wider than one 16-column step (two for the head's).
    @Test func directTransposedConvolutionCoversRIFEShapes() throws {
        let cases: [(cin: Int, outputs: Int, planes: Int, shuffle: Bool, width: Int, height: Int)] = [
            (8, 52, 13, true, 5, 3), (16, 4, 4, false, 1, 1), (96, 52, 5, true, 17, 2), (12, 52, 7, true, 33, 4),
            // The head's 4 channels run two 16-column runs at once: rows ending in the first run, the second, past it.
            (16, 4, 4, false, 9, 2), (16, 4, 4, false, 17, 3), (16, 4, 4, false, 33, 2),
        ]
        for c in cases {
            let comparison = VectorKernelComparison.convTranspose(
                cin: c.cin, layerOutputs: c.outputs, planes: c.planes,
                shuffle: c.shuffle, width: c.width, height: c.height,
                repeats: 1)
            #expect(
                comparison.maxDifference <= comparison.tolerance,
                "\(comparison.name): differ by \(comparison.maxDifference)")
            #expect((comparison.vectorSeconds != nil) == VectorKernels.avx512)
        }
    }

    /// The AVX2 Winograd transforms read input rows in place and write finished rows straight into the output, so
    /// every way a row can end matters: inside the first 8-tile step (4, 30), exactly at a step (32, 64), one column
    /// past one (33), with scalar tail tiles (101); both paddings, heights that leave a partial tile row.
    @Test func winogradRowKernelsMatchThePortableCodeAtEveryRowEnd() throws {
        for width in [4, 30, 32, 33, 64, 101] {
            for reflect in [false, true] {
                let comparison = VectorKernelComparison.winograd(
                    channels: 8, width: width, height: 7,
                    reflectionPadding: reflect, repeats: 1)
                #expect(comparison.maxDifference == 0, "\(comparison.name): differ by \(comparison.maxDifference)")
                #expect((comparison.vectorSeconds != nil) == VectorKernels.avx2)
            }
        }
    }

    /// Winograd F(2×2, 3×3) against im2col + GEMM for RIFE's small ResConvs: block 0's map at 480p and 720p, odd
    /// sizes (partial tiles at the right and bottom), one pixel.
    @Test func smallWinogradMatchesIm2col() throws {
        let cases: [(channels: Int, width: Int, height: Int)] = [
            (192, 10, 8), (192, 20, 12), (24, 7, 5), (16, 1, 1), (8, 3, 2),
        ]
        for c in cases {
            let comparison = VectorKernelComparison.smallWinograd(
                channels: c.channels, width: c.width, height: c.height, repeats: 1)
            #expect(
                comparison.maxDifference <= comparison.tolerance,
                "\(comparison.name): differ by \(comparison.maxDifference)")
            #expect(comparison.vectorSeconds != nil)
        }
    }
}
