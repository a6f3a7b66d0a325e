import Foundation
import KinetoGolden
import KinetoModels
import KinetoTestSupport
import Testing

@Suite(.serialized) struct FeatureFlowGoldenTests {
    /// Every stage of the official FeatureFlow on the 64×96 golden pair, deterministic weights from the manifest,
    /// through the same library call as `kineto golden check featureflow`: each stage within 1e-4 of its largest
    /// magnitude, the output frame (and the interpolator's, padding and tiling included) within 1e-3 absolute.
    @Test func everyStageMatchesTheOfficialCode() throws {
        let file = goldenDirectory().appendingPathComponent("featureflow-golden.safetensors")
        let report = try GoldenSuite.named("featureflow").run(file, nil)
        for line in report.lines { print(line) }
        for entry in report.failures {
            Issue.record(
                "\(entry.name).\(entry.output): max abs \(entry.maxAbsError), rel \(entry.relativeError) > \(entry.tolerance) \(entry.note ?? "")"
            )
        }
        #expect(FeatureFlowGoldenCheck.relativeTolerance == 1e-4)
        #expect(FeatureFlowGoldenCheck.frameTolerance == 1e-3)
        #expect(report.entries.count == FeatureFlowGoldenCheck.stageNames.count + 1)
        #expect(report.passed)
    }

    /// The same with Winograd's F(4×4, 3×3) on every 3×3 convolution (StructureGen's 512-channel layers at 8×12
    /// included, which the default leaves direct at this size) and with none: both paths within the same tolerances.
    @Test(arguments: [0, Int.max]) func everyStageMatchesWithAndWithoutWinograd(minimumTiles: Int) throws {
        let saved = FeatureFlowNetwork.winogradMinimumTiles
        FeatureFlowNetwork.winogradMinimumTiles = minimumTiles
        defer { FeatureFlowNetwork.winogradMinimumTiles = saved }
        let file = goldenDirectory().appendingPathComponent("featureflow-golden.safetensors")
        let report = try GoldenSuite.named("featureflow").run(file, nil)
        for line in report.lines { print("winograd from \(minimumTiles) tiles: " + line) }
        #expect(report.passed)
    }
}
