import ArgumentParser
import Foundation
import KinetoBench
import KinetoEngine
import KinetoModels
import KinetoWeights

extension BenchModelsCommand {
    /// `kineto bench models --model featureflow`: seconds per frame and per stage, peak memory. Weights: `--weights` (an imported model file or a deterministic manifest),
    /// else the installed model, else the golden manifest of the checkout (timing does not depend on the values).
    func runFeatureFlow(sizes parsed: [(Int, Int)]) throws {
        if profile {
            for (name, d, w, dw, ww) in try FeatureFlowBenchmark.convolutionComparison() {
                print(
                    String(
                        format: "conv3x3 %@: direct %.1f ms CPU (%.1f wall), Winograd F(4,3) %.1f ms CPU (%.1f wall)",
                        name, d, dw, w, ww))
            }
        }
        let source = try FeatureFlowModelFiles.benchmarkWeights(explicit: weights.map { URL(fileURLWithPath: $0) })
        let interpolator = FeatureFlowInterpolator(network: try FeatureFlowNetwork(weights: source))
        print(
            "FeatureFlow (weights: \(source.sourceDescription)), OpenBLAS core \(BLASRuntime.coreName), threads \(Parallel.maxThreads)"
        )
        for (width, height) in parsed {
            let r = try FeatureFlowBenchmark.measure(interpolator, width: width, height: height, repeats: repeats)
            let s = r.stageSeconds
            let line = String(
                format:
                    "featureflow %5dx%-5d: %.2f s/frame (best of %d): bdcn %.2f, structure %.2f, detail %.2f; pool %d MB, peak RSS %d MB",
                width, height, r.seconds, repeats, s["bdcn"] ?? 0, s["structure"] ?? 0, s["detail"] ?? 0,
                r.poolBytes >> 20, r.peakResidentBytes >> 20)
            print(line)
            if profile && width % 8 == 0 && height % 8 == 0 {
                let parts = FeatureFlowBenchmark.detailBreakdown(interpolator.network, width: width, height: height)
                print(
                    "  DetailEnhance CPU: "
                        + parts.map { String(format: "%@ %.2f", $0.0, $0.1) }.joined(separator: ", "))
            }
            let c = r.stageCPUSeconds
            print(
                String(
                    format: "  CPU time (all threads): %.2f s/frame: bdcn %.2f, structure %.2f, detail %.2f",
                    r.cpuSeconds, c["bdcn"] ?? 0, c["structure"] ?? 0, c["detail"] ?? 0))
            interpolator.network.pool.trim()
        }
    }
}
