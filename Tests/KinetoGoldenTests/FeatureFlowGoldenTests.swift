import Foundation
import KinetoGolden
import KinetoModels
import Testing

@Suite struct FeatureFlowGoldenTests {
    /// Every stage of the official FeatureFlow on the 64×96 golden pair, deterministic weights from the manifest,
    /// through the same library call as `kineto golden check featureflow`: each stage within 1e-4 of its largest
    /// magnitude, the output frame (and the interpolator's, padding and tiling included) within 1e-3 absolute.
    @Test func everyStageMatchesTheOfficialCode() throws {
        let file = goldenDirectory().appendingPathComponent("featureflow-golden.safetensors")
        let report = try GoldenSuite.named("featureflow").run(file, nil)
        for line in report.lines { print(line) }
        for entry in report.failures {
            Issue.record("\(entry.name).\(entry.output): max abs \(entry.maxAbsError), rel \(entry.relativeError) > \(entry.tolerance) \(entry.note ?? "")")
        }
        #expect(FeatureFlowGoldenCheck.relativeTolerance == 1e-4)
        #expect(FeatureFlowGoldenCheck.frameTolerance == 1e-3)
        #expect(report.entries.count == FeatureFlowGoldenCheck.stageNames.count + 1)
        #expect(report.passed)
    }
}
