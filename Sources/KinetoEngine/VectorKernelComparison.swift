import Foundation

/// An AVX2 kernel against the portable Swift loop it replaces, on the same pseudo-random data: the largest
/// difference (0 when the two agree bit for bit, as they must) and the seconds of each. For the tests (agreement)
/// and `kineto bench ops` (speed). The networks' kernels are added by KinetoModels (`VectorKernelComparison.all`).
public struct VectorKernelComparison: Sendable {
    public let name: String
    public let maxDifference: Float
    /// Nil where the CPU has no AVX2.
    public let vectorSeconds: Double?
    public let portableSeconds: Double

    public init(name: String, maxDifference: Float, vectorSeconds: Double?, portableSeconds: Double) {
        self.name = name
        self.maxDifference = maxDifference
        self.vectorSeconds = vectorSeconds
        self.portableSeconds = portableSeconds
    }

    /// Runs `body(avx2)` into `portable` and `vector` outputs the caller made and compares them.
    public static func measure(_ name: String, repeats: Int, portable: Tensor, vector: Tensor,
                               _ body: (_ avx2: Bool, _ out: Tensor) -> Void) -> VectorKernelComparison {
        guard VectorKernels.avx2 else {
            let portableSeconds = best(repeats) { body(false, portable) }
            return VectorKernelComparison(name: name, maxDifference: 0, vectorSeconds: nil, portableSeconds: portableSeconds)
        }
        // Alternated, so that both see the same drift of a shared machine; the best of each is kept.
        var portableSeconds = Double.infinity, vectorSeconds = Double.infinity
        for _ in 0..<max(1, repeats) {
            portableSeconds = min(portableSeconds, best(1) { body(false, portable) })
            vectorSeconds = min(vectorSeconds, best(1) { body(true, vector) })
        }
        return VectorKernelComparison(name: name, maxDifference: maxDifference(portable, vector),
                                      vectorSeconds: vectorSeconds, portableSeconds: portableSeconds)
    }

    /// A stride-2 3×3 convolution (RIFE's first convolution of a block: 28 → 16 channels) on a `width × height`
    /// map: its im2col gathers every other column.
    public static func stride2Convolution(width: Int, height: Int, repeats: Int) -> VectorKernelComparison {
        var random = DeterministicRandom(seed: 0x5EED_0003)
        let x = random.tensor([1, 28, height, width], range: -1..<1)
        let weight = random.tensor([16, 28, 3, 3], range: -0.5..<0.5), bias = random.tensor([16], range: -0.5..<0.5)
        let shape = [1, 16, (height + 1) / 2, (width + 1) / 2]
        return measure("3×3 stride-2 convolution 28→16 at \(width)×\(height)", repeats: repeats,
                       portable: Tensor(zeros: shape), vector: Tensor(zeros: shape)) { avx2, out in
            _ = Ops.conv2d(x, weight: weight, bias: bias, window: Window2D(stride: 2, padding: 1),
                           activation: .leakyReLU(0.2), out: out, avx2: avx2)
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

    static func best(_ repeats: Int, _ body: () -> Void) -> Double {
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
