import Foundation
import KinetoEngine
import KinetoMedia

/// Seconds per interpolated frame of FeatureFlow, per stage, and peak memory (`kineto bench models --model
/// featureflow`). Timing does not depend on the weights' values, so the deterministic test weights serve when the
/// official checkpoint is not installed.
public enum FeatureFlowBenchmark {
    /// One measured frame size.
    public struct Result: Sendable {
        public var width: Int, height: Int
        /// Best wall-clock seconds of one frame over the timed runs.
        public var seconds: Double
        /// Stages of the best run: `bdcn`, `structure`, `detail`.
        public var stageSeconds: [String: Double]
        /// Bytes the network's tensor pool held at its peak (intermediates, not weights).
        public var poolBytes: Int
        /// The process's peak resident memory so far (weights included), in bytes.
        public var peakResidentBytes: Int
    }

    /// PyTorch 2.15 CPU, 2 threads, official code (`shared/golden/tools/bench_featureflow_torch.py`) on the
    /// development machine (2-core AMD EPYC): seconds per frame and per stage.
    public static let reference: [String: (total: Double, bdcn: Double, structure: Double, detail: Double)] = [
        "256x256": (9.85, 0.62, 1.04, 8.19),
    ]

    /// Times `repeats` frames (after one warm-up) of `width`×`height` through `interpolator`.
    public static func measure(_ interpolator: FeatureFlowInterpolator, width: Int, height: Int,
                               repeats: Int = 2) throws -> Result {
        let (first, second) = framePair(width: width, height: height)
        let network = interpolator.network
        let wasProfiling = network.profiling
        network.profiling = true
        defer { network.profiling = wasProfiling }
        _ = try interpolator.interpolate(first, second, at: 0.5)
        var best = Double.infinity, stages: [String: Double] = [:]
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try interpolator.interpolate(first, second, at: 0.5)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if seconds < best { best = seconds; stages = network.stageSeconds }
        }
        return Result(width: width, height: height, seconds: best, stageSeconds: stages,
                      poolBytes: network.pool.allocatedBytes, peakResidentBytes: peakResidentBytes())
    }

    /// The process's peak resident set size (Linux `ru_maxrss` is in KiB).
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// A smooth textured frame and the same shifted 3 px right and 2 px down, in [0, 1].
    public static func framePair(width: Int, height: Int) -> (RGBImage, RGBImage) {
        func frame(dx: Double, dy: Double) -> RGBImage {
            var pixels = [Float](repeating: 0, count: 3 * width * height)
            for c in 0..<3 {
                for y in 0..<height {
                    for x in 0..<width {
                        let u = Double(x) - dx, v = Double(y) - dy
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
