import Foundation
import KinetoEngine
import KinetoMedia
import KinetoModels

/// Seconds per interpolated frame of FeatureFlow, per stage, and peak memory (`kineto bench models --model
/// featureflow`). Timing does not depend on the weights' values, so the deterministic test weights serve when the
/// official checkpoint is not installed.
public enum FeatureFlowBenchmark {
    /// One measured frame size.
    public struct Result: Sendable {
        public var width: Int, height: Int
        /// Best wall-clock seconds of one frame over the timed runs.
        public var seconds: Double
        /// CPU seconds (all threads) of the best run.
        public var cpuSeconds: Double
        /// Stages of the best run: `bdcn`, `structure`, `detail`.
        public var stageSeconds: [String: Double]
        /// CPU seconds of the stages of the best run.
        public var stageCPUSeconds: [String: Double]
        /// Bytes the network's tensor pool held at its peak (intermediates, not weights).
        public var poolBytes: Int
        /// The process's peak resident memory so far (weights included), in bytes (`VmHWM`; 0 where unknown).
        public var peakResidentBytes: Int
    }

    /// Times `repeats` frames (after one warm-up) of `width`×`height` through `interpolator`.
    public static func measure(
        _ interpolator: FeatureFlowInterpolator, width: Int, height: Int,
        repeats: Int = 2
    ) throws -> Result {
        let (first, second) = framePair(width: width, height: height)
        let network = interpolator.network
        let wasProfiling = network.profiling
        network.profiling = true
        defer { network.profiling = wasProfiling }
        _ = try interpolator.interpolate(first, second, at: 0.5)
        var best = Double.infinity
        var bestCPU = Double.infinity
        var stages: [String: Double] = [:]
        var stagesCPU: [String: Double] = [:]
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpu = ProcessStatistics.cpuSeconds
            _ = try interpolator.interpolate(first, second, at: 0.5)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if seconds < best {
                best = seconds
                stages = network.stageSeconds
            }
            let cpuSeconds = ProcessStatistics.cpuSeconds - cpu
            if cpuSeconds < bestCPU {
                bestCPU = cpuSeconds
                stagesCPU = network.stageCPUSeconds
            }
        }
        return Result(
            width: width, height: height, seconds: best, cpuSeconds: bestCPU, stageSeconds: stages,
            stageCPUSeconds: stagesCPU,
            poolBytes: network.pool.allocatedBytes, peakResidentBytes: ProcessStatistics.peakResidentBytes ?? 0)
    }

    /// CPU and wall milliseconds of FeatureFlow's typical 3×3 convolutions, direct (im2col + sgemm) against
    /// Winograd F(4×4, 3×3): `(name, directCPU, winogradCPU, directWall, winogradWall)`.
    public static func convolutionComparison(repeats: Int = 3) throws -> [(String, Double, Double, Double, Double)] {
        let cases: [(String, Int, Int, Int)] = [
            ("64→64 @256×256", 64, 256, 256), ("512→512 @32×32", 512, 32, 32),
            ("64→64 @64×64", 64, 64, 64),
        ]
        let pool = TensorPool()
        var results: [(String, Double, Double, Double, Double)] = []
        for (name, c, h, w) in cases {
            let weight = Tensor(
                shape: [c, c, 3, 3], values: (0..<(c * c * 9)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 })
            let conv = try Conv2d(weight: weight, bias: Tensor(zeros: [c]), padding: 1, activation: .leakyReLU(0.1))
            let winograd = WinogradConv3x3(conv, padding: .zeros)!
            let x = pool.tensor([1, c, h, w], values: (0..<(c * h * w)).map { Float(($0 * 104729) % 997) / 997 - 0.5 })
            func time(_ body: () -> Void) -> (Double, Double) {
                body()
                var bestCPU = Double.infinity
                var bestWall = Double.infinity
                for _ in 0..<repeats {
                    let cpu = ProcessStatistics.cpuSeconds
                    let wall = DispatchTime.now().uptimeNanoseconds
                    body()
                    bestCPU = min(bestCPU, ProcessStatistics.cpuSeconds - cpu)
                    bestWall = min(bestWall, Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9)
                }
                return (bestCPU * 1000, bestWall * 1000)
            }
            let d = time { _ = conv(x) }
            let wg = time { _ = winograd(x) }
            results.append((name, d.0, wg.0, d.1, wg.1))
        }
        return results
    }

    /// CPU seconds of DetailEnhance's parts on a `width`×`height` frame (multiples of 8): features (three
    /// frames), PCD alignment (three), TSA fusion, reconstruction.
    public static func detailBreakdown(_ network: FeatureFlowNetwork, width: Int, height: Int) -> [(String, Double)] {
        let (a, b) = framePair(width: width, height: height)
        let x0 = network.pool.tensor([1, 3, height, width], values: a.pixels.map { 2 * $0 - 1 })
        let x1 = network.pool.tensor([1, 3, height, width], values: b.pixels.map { 2 * $0 - 1 })
        let ref = Ops.blend(
            x0, x1, weight: Ops.affine(network.pool.tensor([1, 1, height, width], zeroed: true), scale: 0, shift: 0.5))
        let d = network.detail
        var parts: [(String, Double)] = []
        func measure<T>(_ name: String, _ body: () -> T) -> T {
            let cpu = ProcessStatistics.cpuSeconds
            let result = body()
            parts.append((name, ProcessStatistics.cpuSeconds - cpu))
            return result
        }
        let f = measure("features ×3") { [d.alignedFeatures(ref), d.alignedFeatures(x0), d.alignedFeatures(x1)] }
        let p = measure("pcd ×3") { [d.align(f[1], to: f[0]), d.align(f[0], to: f[0]), d.align(f[2], to: f[0])] }
        let fused = measure("tsa") { d.fuse(p) }
        _ = measure("reconstruct") { d.reconstruct(fused, center: ref) }
        return parts
    }

    /// A smooth textured frame and the same shifted 3 px right and 2 px down, in [0, 1].
    public static func framePair(width: Int, height: Int) -> (RGBImage, RGBImage) {
        func frame(dx: Double, dy: Double) -> RGBImage {
            var pixels = [Float](repeating: 0, count: 3 * width * height)
            for c in 0..<3 {
                for y in 0..<height {
                    for x in 0..<width {
                        let u = Double(x) - dx
                        let v = Double(y) - dy
                        let value = 0.5 + 0.25 * sin(u * 0.05 + Double(c)) * cos(v * 0.07) + 0.2 * sin((u + v) * 0.013)
                        pixels[(c * height + y) * width + x] = Float(value)
                    }
                }
            }
            return RGBImage(width: width, height: height, pixels: pixels)
        }
        return (frame(dx: 0, dy: 0), frame(dx: 3, dy: 2))
    }
}
