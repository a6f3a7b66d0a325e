import COpenBLAS
import Foundation
import KinetoEngine

/// Timings of the engine's heavy operators at the layer shapes Kineto's networks use (`kineto bench ops`).
public enum OpsBenchmark {
    /// One measured operation.
    public struct Result: Sendable {
        public var name: String
        /// Best (smallest) time of the repeats, in milliseconds: the least disturbed by other processes.
        public var milliseconds: Double
        /// Median time of the repeats, in milliseconds.
        public var medianMilliseconds: Double
        public var repeats: Int
        /// Arithmetic work (2 × multiply-adds of the GEMM-equivalent), in GFLOP.
        public var gflop: Double
        public var gflopsPerSecond: Double { gflop / (milliseconds / 1000) }
        /// `gflopsPerSecond` / the sgemm peak measured in the same run (nil for the peak itself).
        public var fractionOfPeak: Double?
    }

    /// A layer to time.
    public struct Case: Sendable {
        public var name: String
        public var gflop: Double
        /// Prepares inputs and returns the operation to time.
        public var make: @Sendable (TensorPool) -> @Sendable () -> Void
    }

    /// Times `operation`: a warm-up call, then repeats until `seconds` have passed (at least 3, at most 50).
    public static func measure(seconds: Double = 1.0, _ operation: () -> Void) -> (
        best: Double, median: Double, repeats: Int
    ) {
        operation()
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while times.count < 3
            || (times.count < 50 && Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds)
        {
            let t0 = DispatchTime.now().uptimeNanoseconds
            operation()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        return (times[0], times[times.count / 2], times.count)
    }

    /// `size`³ sgemm split over the engine's threads (one single-threaded OpenBLAS call per column block), the way
    /// the operators call it. This is the peak the operators are compared with.
    public static func sgemmPeak(size: Int = 1024, seconds: Double = 1.0) -> Result {
        let a = Tensor(zeros: [size, size])
        let b = Tensor(zeros: [size, size])
        let c = Tensor(zeros: [size, size])
        fillDeterministic(a)
        fillDeterministic(b)
        let t = measure(seconds: seconds) {
            Gemm.parallelSgemm(
                m: size, n: size, k: size, a: a.pointer, lda: size, b: b.pointer, ldb: size,
                c: c.pointer, ldc: size)
        }
        return Result(
            name: "sgemm \(size)³ (\(Parallel.maxThreads) threads, engine split)", milliseconds: t.best,
            medianMilliseconds: t.median, repeats: t.repeats,
            gflop: 2 * pow(Double(size), 3) / 1e9, fractionOfPeak: nil)
    }

    /// `size`³ sgemm as one `cblas_sgemm` call with OpenBLAS's own threads (for comparison with the engine split).
    public static func sgemmOpenBLASThreads(size: Int = 1024, seconds: Double = 1.0) -> Result {
        let a = Tensor(zeros: [size, size])
        let b = Tensor(zeros: [size, size])
        let c = Tensor(zeros: [size, size])
        fillDeterministic(a)
        fillDeterministic(b)
        BLASRuntime.configure()
        openblas_set_num_threads(Int32(Parallel.maxThreads))
        defer { openblas_set_num_threads(1) }
        let t = measure(seconds: seconds) {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(size), Int32(size), Int32(size), 1,
                a.pointer, Int32(size), b.pointer, Int32(size), 0, c.pointer, Int32(size))
        }
        return Result(
            name: "sgemm \(size)³ (OpenBLAS \(Parallel.maxThreads) threads)", milliseconds: t.best,
            medianMilliseconds: t.median, repeats: t.repeats,
            gflop: 2 * pow(Double(size), 3) / 1e9, fractionOfPeak: nil)
    }

    /// The layer shapes of FeatureFlow and RIFE that dominate their run time.
    public static let standardCases: [Case] = [
        convCase("conv3x3 512→512 @32×32 (FeatureFlow 1/8 of 256²)", cin: 512, cout: 512, h: 32, w: 32),
        convCase("conv3x3 64→64 @256×256 (FeatureFlow full res)", cin: 64, cout: 64, h: 256, w: 256),
        convCase("conv3x3 192→192 @48×80 (RIFE 1/16 of 720p)", cin: 192, cout: 192, h: 48, w: 80),
        Case(name: "convT4x4 s2 192→52 @48×80 (RIFE block head)", gflop: 2 * 192 * 52 * 16 * 48 * 80 / 1e9) { pool in
            let x = randomish([1, 192, 48, 80], pool: pool)
            let weight = randomish([192, 52, 4, 4], pool: nil, scale: 0.05)
            let bias = randomish([52], pool: nil)
            return { _ = Ops.convTranspose2d(x, weight: weight, bias: bias, stride: 2, padding: 1) }
        },
        Case(name: "deform conv v2 64→64 3×3 @64×64, 8 groups", gflop: 2 * 64 * 64 * 9 * 64 * 64 / 1e9) { pool in
            let x = randomish([1, 64, 64, 64], pool: pool)
            let offset = randomish([1, 2 * 8 * 9, 64, 64], pool: pool, scale: 4)
            let mask = Ops.sigmoid(randomish([1, 8 * 9, 64, 64], pool: pool))
            let weight = randomish([64, 64, 3, 3], pool: nil, scale: 0.05)
            let bias = randomish([64], pool: nil)
            return { _ = Ops.deformConv2d(x, offset: offset, mask: mask, weight: weight, bias: bias, padding: 1) }
        },
        // Memory-bound sampling ops RIFE runs at full resolution (no GFLOP figure).
        Case(name: "warp 3ch @720p (RIFE backward warp)", gflop: 0) { pool in
            let x = randomish([1, 3, 720, 1280], pool: pool)
            let flow = randomish([1, 2, 720, 1280], pool: pool, scale: 8)
            return { _ = Ops.warp(x, flow: flow) }
        },
        Case(name: "bilinear ×2 4ch 360p→720p (flow upsampling)", gflop: 0) { pool in
            let x = randomish([1, 4, 360, 640], pool: pool)
            return { _ = Ops.interpolate(x, scaleFactor: 2) }
        },
    ]

    static func convCase(_ name: String, cin: Int, cout: Int, h: Int, w: Int) -> Case {
        Case(name: name, gflop: 2 * Double(cin * cout * 9 * h * w) / 1e9) { pool in
            let x = randomish([1, cin, h, w], pool: pool)
            let weight = randomish([cout, cin, 3, 3], pool: nil, scale: 0.05)
            let bias = randomish([cout], pool: nil)
            return { _ = Ops.conv2d(x, weight: weight, bias: bias, padding: 1, activation: .leakyReLU(0.1)) }
        }
    }

    /// Runs the sgemm peak and every standard case, reporting each result as soon as it is measured.
    public static func run(
        seconds: Double = 1.0, cases: [Case] = standardCases,
        report: (Result) -> Void = { _ in }
    ) -> [Result] {
        let peak = sgemmPeak(seconds: seconds)
        report(peak)
        var results = [peak]
        let pool = TensorPool()
        for c in cases {
            let operation = c.make(pool)
            let t = measure(seconds: seconds, operation)
            let gflops = c.gflop / (t.best / 1000)
            let result = Result(
                name: c.name, milliseconds: t.best, medianMilliseconds: t.median, repeats: t.repeats,
                gflop: c.gflop, fractionOfPeak: c.gflop > 0 ? gflops / peak.gflopsPerSecond : nil)
            report(result)
            results.append(result)
        }
        return results
    }

    static func randomish(_ shape: [Int], pool: TensorPool?, scale: Float = 1) -> Tensor {
        let t = pool.map { $0.tensor(shape) } ?? Tensor(zeros: shape)
        fillDeterministic(t, scale: scale)
        return t
    }

    static func fillDeterministic(_ t: Tensor, scale: Float = 1) {
        var state: UInt32 = 2_463_534_242
        let p = t.pointer
        for i in 0..<t.count {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            p[i] = (Float(state >> 8) / Float(1 << 24) * 2 - 1) * scale
        }
    }
}
