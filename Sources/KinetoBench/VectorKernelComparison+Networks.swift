import Foundation
import KinetoEngine
import KinetoModels

extension VectorKernelComparison {
    /// Every vector kernel at a frame of `width × height` (RIFE's 480p is 640×512 padded), `repeats` timed runs each
    /// (the best is kept). The Winograd cases are RIFE's (block 4's ResConvs, the head's 16 → 16 layers) and
    /// FeatureFlow's. The direct convolutions are RIFE's stride-2 entries of blocks 4 and 3 (28 → 16 at full size,
    /// 28 → 32 at half, on bands of 64 rows as RIFE runs them), and for comparison the layers Winograd runs faster.
    public static func all(width: Int = 640, height: Int = 512, repeats: Int = 3) -> [VectorKernelComparison] {
        [
            warp(width: width, height: height, repeats: repeats),
            warpAndMerge(width: width, height: height, repeats: repeats),
            warpAndHalve(width: width, height: height, repeats: repeats),
            doubling(width: width / 2, height: height / 2, repeats: repeats),
            winograd(channels: 32, width: width / 4, height: height / 4, padding: .zeros, repeats: repeats),
            winograd(channels: 64, width: width / 8, height: height / 8, padding: .reflect, repeats: repeats),
            winograd(channels: 16, width: width / 2, height: height / 2, padding: .zeros, repeats: repeats),
            stride2Convolution(width: width, height: min(height, 64), repeats: repeats),
            directConvolution(cin: 16, cout: 16, stride: 1, width: width / 2, height: height / 2, repeats: repeats),
            directConvolution(cin: 28, cout: 16, stride: 2, width: width, height: min(height, 64), repeats: repeats),
            directConvolution(
                cin: 28, cout: 32, stride: 2, width: width / 2, height: min(height / 2, 64), repeats: repeats),
            directConvolution(
                cin: 32, cout: 32, stride: 1, width: width / 4, height: height / 4, residual: true, repeats: repeats),
            directConvolution(
                cin: 64, cout: 64, stride: 1, width: width / 8, height: height / 8, residual: true, repeats: repeats),
            convTranspose(
                cin: 64, layerOutputs: 52, planes: 13, shuffle: true, width: width / 8, height: height / 8,
                repeats: repeats),
            convTranspose(
                cin: 32, layerOutputs: 52, planes: 5, shuffle: true, width: width / 4, height: height / 4,
                repeats: repeats),
            convTranspose(
                cin: 16, layerOutputs: 4, planes: 4, shuffle: false, width: width / 2, height: height / 2,
                repeats: repeats),
            smallWinograd(channels: 192, width: max(1, width / 64), height: max(1, height / 64), repeats: repeats),
        ]
    }

    /// RIFE's backward warp of 7 interleaved channels, every pixel of a `width × height` frame, with flows of up to
    /// ±40 pixels (some samples clamp at the border).
    static func warp(width: Int, height: Int, repeats: Int) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0001)
        let source = random.tensor([1, 7, height, width], range: 0..<1)
        let flow = random.tensor([1, 2, height, width], range: -40..<40)
        let packed = Tensor(zeros: [height * width * 8])
        RIFEKernels.interleave8(source, into: packed.pointer)
        let rows = Array(0..<height)
        let cols = Array(0..<width)
        return measure(
            "RIFE warp, 7 channels at \(width)×\(height)", repeats: repeats,
            portable: Tensor(zeros: [1, 7, height, width]), vector: Tensor(zeros: [1, 7, height, width])
        ) { avx2, out in
            RIFEKernels.warpInterleaved(
                packed.pointer, channels: 7, height: height, width: width, rows: rows, cols: cols,
                flow: flow, out: out, avx2: avx2)
        }
    }

    /// RIFE's last step on a `width × height` frame: both frames warped (flows of up to ±40 pixels) and blended by
    /// the sigmoid of mask logits in ±8, on the top-left `width × (height − 7)` of the padded frames.
    static func warpAndMerge(width: Int, height: Int, repeats: Int) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0003)
        let packed = (0..<2).map { _ in
            let packed = Tensor(zeros: [height * width * 8])
            RIFEKernels.interleave8(random.tensor([1, 7, height, width], range: 0..<1), into: packed.pointer)
            return packed
        }
        let rows = max(1, height - 7)
        let flow = random.tensor([1, 4, rows, width], range: -40..<40)
        let logits = random.tensor([1, 1, rows, width], range: -8..<8)
        return measure(
            "RIFE warp and blend at \(width)×\(rows)", repeats: repeats,
            portable: Tensor(zeros: [1, 3, rows, width]), vector: Tensor(zeros: [1, 3, rows, width])
        ) { avx2, out in
            _ = RIFEKernels.warpAndMerge(
                packed[0].pointer, packed[1].pointer, sourceHeight: height, sourceWidth: width,
                flow: flow, logits: logits, out: out, avx2: avx2)
        }
    }

    /// RIFE's warps for block 3's input: every pixel of a `width × height` frame warped (flows of up to ±40
    /// pixels), then halved.
    static func warpAndHalve(width: Int, height: Int, repeats: Int) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0006)
        let packed = Tensor(zeros: [height * width * 8])
        RIFEKernels.interleave8(random.tensor([1, 7, height, width], range: 0..<1), into: packed.pointer)
        let (rows, cols) = (Array(0..<(height / 2 * 2)), Array(0..<(width / 2 * 2)))
        let flow = random.tensor([1, 2, rows.count, cols.count], range: -40..<40)
        let pool = TensorPool()
        let shape = [1, 7, rows.count / 2, cols.count / 2]
        return measure(
            "RIFE warp then halve, 7 channels at \(cols.count)×\(rows.count)", repeats: repeats,
            portable: Tensor(zeros: shape), vector: Tensor(zeros: shape)
        ) { avx2, out in
            RIFEKernels.warpAndHalve(
                packed.pointer, height: height, width: width, rows: rows, cols: cols, flow: flow,
                out: out, pool: pool, avx2: avx2)
        }
    }

    /// RIFE's `ResConv` (3×3, `channels → channels`, bias, skip connection, LeakyReLU 0.2) by Winograd F(2×2, 3×3)
    /// against im2col + GEMM, on a `width × height` map (block 0's at 480p is 10×8). Inputs in [−1, 1) and weights
    /// in [−0.05, 0.05) (RIFE's are of that order): sums of `9 · channels` terms of up to a few units; 1e-4 is allowed.
    public static func smallWinograd(channels c: Int, width: Int, height: Int, repeats: Int) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0300 &+ UInt64(c * 1000 + width * 10 + height))
        let x = random.tensor([1, c, height, width], range: -1..<1)
        let weight = random.tensor([c, c, 3, 3], range: -0.05..<0.05)
        let bias = random.tensor([c], range: -0.5..<0.5)
        let conv = try! Conv2d(weight: weight, bias: bias, padding: 1, activation: .leakyReLU(0.2))
        let winograd = WinogradF2Conv3x3(conv)!
        return measure(
            "ResConv \(c)→\(c) at \(width)×\(height) by Winograd F(2,3)", repeats: repeats,
            portable: Tensor(zeros: [1, c, height, width]), vector: Tensor(zeros: [1, c, height, width]),
            instructionSet: "F(2,3)", tolerance: 1e-4
        ) { useWinograd, out in
            out.copy(from: useWinograd ? winograd(x, residual: x) : conv(x, residual: x))
        }
    }

    /// RIFE's bilinear doubling of a block's output (9 channels of mask and features, `width × height` to twice
    /// that), then again times 2 added to what the output holds (the flow's accumulation).
    static func doubling(width: Int, height: Int, repeats: Int) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0004)
        let x = random.tensor([1, 9, height, width], range: -4..<4)
        let rows = RIFEKernels.taps(at: Array(0..<(2 * height)), inputSize: height, scale: 2)
        let cols = RIFEKernels.taps(at: Array(0..<(2 * width)), inputSize: width, scale: 2)
        return measure(
            "bilinear ×2, 9 channels \(width)×\(height) → \(2 * width)×\(2 * height), twice", repeats: repeats,
            portable: Tensor(zeros: [1, 9, 2 * height, 2 * width]),
            vector: Tensor(zeros: [1, 9, 2 * height, 2 * width])
        ) { avx2, out in
            RIFEKernels.resample(x, rows: rows, cols: cols, out: out, avx2: avx2)
            RIFEKernels.resample(x, rows: rows, cols: cols, out: out, multiplyBy: 2, accumulate: true, avx2: avx2)
        }
    }

    /// A 3×3 Winograd convolution (`channels` → `channels`, bias, leaky ReLU, a residual added before it: RIFE's
    /// `ResConv`) on a `width × height` map, whose input and output transforms have AVX2 versions.
    public static func winograd(
        channels c: Int, width: Int, height: Int, reflectionPadding: Bool,
        repeats: Int
    ) -> VectorKernelComparison {
        winograd(
            channels: c, width: width, height: height, padding: reflectionPadding ? .reflect : .zeros, repeats: repeats)
    }

    static func winograd(
        channels c: Int, width: Int, height: Int, padding: WinogradConv3x3.Padding,
        repeats: Int
    ) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0002 &+ UInt64(c))
        let weight = random.tensor([c, c, 3, 3], range: -0.5..<0.5)
        let bias = random.tensor([c], range: -0.5..<0.5)
        let conv = try! Conv2d(
            weight: weight, bias: bias, padding: padding == .zeros ? 1 : 0,
            activation: .leakyReLU(0.2))
        let winograd = WinogradConv3x3(conv, padding: padding)!
        let x = random.tensor([1, c, height, width], range: -0.5..<0.5)
        let skip = random.tensor([1, c, height, width], range: 0..<1)
        // Reflection padding is FeatureFlow's: its ResnetBlocks also add a skip connection after the activation.
        let post = padding == .reflect ? random.tensor([1, c, height, width], range: -1..<1) : nil
        let name = "Winograd 3×3 \(c)→\(c) at \(width)×\(height) (\(padding == .zeros ? "zero" : "reflection") padding)"
        return measure(
            name, repeats: repeats, portable: Tensor(zeros: [1, c, height, width]),
            vector: Tensor(zeros: [1, c, height, width])
        ) { avx2, out in
            _ = winograd(x, residual: skip, addAfterActivation: post, out: out, avx2: avx2)
        }
    }

    /// RIFE's transposed convolution (4×4, stride 2, padding 1; bias; then PixelShuffle(2) in the blocks) of a
    /// `cin`-channel `width × height` map, `planes` of its output made (the last block makes 5 of 13, the head 4 of
    /// 4): direct AVX-512 against GEMM + scatter-add. Inputs in [−1, 1), weights in [−0.5, 0.5): sums of `4 · cin`
    /// terms of a few units, ordered differently; 1e-4 is allowed.
    public static func convTranspose(
        cin: Int, layerOutputs: Int, planes: Int, shuffle: Bool, width: Int, height: Int,
        repeats: Int
    ) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0200 &+ UInt64(cin * 100 + planes))
        let x = random.tensor([1, cin, height, width], range: -1..<1)
        let weight = random.tensor([cin, layerOutputs, 4, 4], range: -0.5..<0.5)
        let bias = random.tensor([layerOutputs], range: -0.5..<0.5)
        let shape = shuffle ? [1, planes, 4 * height, 4 * width] : [1, planes, 2 * height, 2 * width]
        let layer = try! ConvTranspose2d(
            weight: weight, bias: bias, stride: 2, padding: 1,
            policy: ConvolutionPolicy(directMaximumOutputChannels: .max))
        let pool = TensorPool()
        let name =
            "convT 4×4 \(cin)→\(layerOutputs)\(shuffle ? " shuffled" : "") at \(width)×\(height), \(planes) planes"
        return measure(
            name, repeats: repeats, portable: Tensor(zeros: shape), vector: Tensor(zeros: shape),
            instructionSet: "AVX-512", tolerance: 1e-4
        ) { vectorKernel, out in
            layer.upsampling(x, shuffle: shuffle, pool: pool, out: out, direct: vectorKernel)
        }
    }
}
