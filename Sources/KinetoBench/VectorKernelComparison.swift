import Foundation
import KinetoEngine

/// A vector kernel against the portable code it replaces, on the same pseudo-random data: the largest difference
/// (0 when the two agree bit for bit, as the AVX2 kernels must; at most `tolerance` for the AVX-512 direct
/// convolution, whose fused multiply-adds round differently from OpenBLAS) and the seconds of each. For the tests
/// (agreement) and `kineto bench ops` (speed). The networks' kernels are added by KinetoModels
/// (`VectorKernelComparison.all`).
public struct VectorKernelComparison: Sendable {
    public let name: String
    public let maxDifference: Float
    /// Largest difference allowed: 0 for the AVX2 kernels.
    public let tolerance: Float
    /// "AVX2" or "AVX-512"; another name (an algorithm, not an instruction set) is always available.
    public let instructionSet: String
    /// Nil where the CPU lacks the instruction set.
    public let vectorSeconds: Double?
    public let portableSeconds: Double

    public init(
        name: String, maxDifference: Float, vectorSeconds: Double?, portableSeconds: Double,
        tolerance: Float = 0, instructionSet: String = "AVX2"
    ) {
        self.name = name
        self.maxDifference = maxDifference
        self.vectorSeconds = vectorSeconds
        self.portableSeconds = portableSeconds
        self.tolerance = tolerance
        self.instructionSet = instructionSet
    }

    /// Runs `body(vectorKernel)` into `portable` and `vector` outputs the caller made and compares them. The vector
    /// side runs only where the CPU has `instructionSet` ("AVX2" or "AVX-512") and the kernels are enabled.
    public static func measure(
        _ name: String, repeats: Int, portable: Tensor, vector: Tensor,
        instructionSet: String = "AVX2", tolerance: Float = 0,
        _ body: (_ vectorKernel: Bool, _ out: Tensor) -> Void
    ) -> VectorKernelComparison {
        let available =
            instructionSet == "AVX-512" ? VectorKernels.avx512 : instructionSet == "AVX2" ? VectorKernels.avx2 : true
        guard available else {
            let portableSeconds = best(repeats) { body(false, portable) }
            return VectorKernelComparison(
                name: name, maxDifference: 0, vectorSeconds: nil, portableSeconds: portableSeconds,
                tolerance: tolerance, instructionSet: instructionSet)
        }
        // Alternated, so that both see the same drift of a shared machine; the best of each is kept.
        var portableSeconds = Double.infinity
        var vectorSeconds = Double.infinity
        for _ in 0..<max(1, repeats) {
            portableSeconds = min(portableSeconds, best(1) { body(false, portable) })
            vectorSeconds = min(vectorSeconds, best(1) { body(true, vector) })
        }
        return VectorKernelComparison(
            name: name, maxDifference: maxDifference(portable, vector),
            vectorSeconds: vectorSeconds, portableSeconds: portableSeconds,
            tolerance: tolerance, instructionSet: instructionSet)
    }

    /// A stride-2 3×3 convolution (RIFE's first convolution of a block: 28 → 16 channels) on a `width × height`
    /// map: its im2col gathers every other column.
    public static func stride2Convolution(width: Int, height: Int, repeats: Int) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0003)
        let x = random.tensor([1, 28, height, width], range: -1..<1)
        let weight = random.tensor([16, 28, 3, 3], range: -0.5..<0.5)
        let bias = random.tensor([16], range: -0.5..<0.5)
        let shape = [1, 16, (height + 1) / 2, (width + 1) / 2]
        return measure(
            "3×3 stride-2 convolution 28→16 at \(width)×\(height)", repeats: repeats,
            portable: Tensor(zeros: shape), vector: Tensor(zeros: shape)
        ) { avx2, out in
            _ = Ops.conv2d(
                x, weight: weight, bias: bias, window: Window2D(stride: 2, padding: 1),
                activation: .leakyReLU(0.2), out: out, avx2: avx2)
        }
    }

    /// RIFE's small 3×3 convolutions (bias, LeakyReLU 0.2) by `DirectConv3x3` (AVX-512) against im2col + GEMM with
    /// the AVX2 gather, `cin → cout` with `stride` on a `width × height` input. Inputs in [−1, 1) and weights in
    /// [−0.5, 0.5) give outputs of a few units; float32 sums of `9 · cin` terms in two orders differ by about 1e-6
    /// there, and 1e-4 is allowed.
    /// With `residual`, a RIFE `ResConv` (`cin == cout`, stride 1): a skip connection added before the activation.
    public static func directConvolution(
        cin: Int, cout: Int, stride: Int, width: Int, height: Int, residual: Bool = false,
        repeats: Int
    ) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0100 &+ UInt64(cin * 1000 + cout * 10 + stride))
        let x = random.tensor([1, cin, height, width], range: -1..<1)
        let weight = random.tensor([cout, cin, 3, 3], range: -0.5..<0.5)
        let bias = random.tensor([cout], range: -0.5..<0.5)
        let conv = try! Conv2d(weight: weight, bias: bias, stride: stride, padding: 1, activation: .leakyReLU(0.2))
        let shape = [1, cout, (height - 1) / stride + 1, (width - 1) / stride + 1]
        let skip = residual ? random.tensor(shape, range: -1..<1) : nil
        let name = "3×3 conv \(cin)→\(cout) stride \(stride)\(residual ? " + skip" : "") at \(width)×\(height), direct"
        let direct = DirectConv3x3(conv)
        return measure(
            name, repeats: repeats, portable: Tensor(zeros: shape), vector: Tensor(zeros: shape),
            instructionSet: "AVX-512", tolerance: 1e-4
        ) { vectorKernel, out in
            if vectorKernel, let direct {
                _ = direct(x, residual: skip, out: out)
            } else {
                _ = conv(x, residual: skip, out: out)
            }
        }
    }

    public static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        var worst: Float = 0
        let (p, q) = (a.pointer, b.pointer)
        for i in 0..<a.count {
            let d = abs(p[i] - q[i])
            if !(d <= worst) { worst = d.isNaN ? .infinity : d }
        }
        return worst
    }

    public static func best(_ repeats: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
}

/// A small deterministic generator for comparison data (SplitMix64).
public struct DeterministicRandom: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in `range`.
    public mutating func float(in range: Range<Float>) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * (Float(next() >> 40) / Float(1 << 24))
    }
    /// A tensor of `shape` with values uniform in `range`.
    public mutating func tensor(_ shape: [Int], range: Range<Float>) -> Tensor {
        var values = [Float](repeating: 0, count: shape.reduce(1, *))
        for i in values.indices { values[i] = float(in: range) }
        return Tensor(shape: shape, values: values)
    }
}
