import Foundation
import KinetoGolden
import KinetoModels
import KinetoTestSupport
import Testing

@Suite struct RIFEGoldenTests {
    /// Every case of the RIFE golden file (real weights, real frames): flows after blocks 0, 2, 4, mask logits and
    /// output within 1e-3 of the reference's largest magnitude (`RIFEGoldenCheck.tolerance`), through the same
    /// library call as `kineto golden check rife`.
    @Test func allCasesMatchTheReference() throws {
        let file = goldenDirectory().appendingPathComponent("rife-golden.safetensors")
        let report = try GoldenSuite.named("rife").run(file, nil)
        for line in report.lines { print(line) }
        for entry in report.failures {
            Issue.record(
                "\(entry.name).\(entry.output): rel \(entry.relativeError) > \(entry.tolerance) \(entry.note ?? "")")
        }
        #expect(RIFEGoldenCheck.tolerance == 1e-3)
        #expect(Set(report.entries.map(\.name)) == ["crop_t025", "crop_t050", "full_t050"])
        #expect(report.passed)
    }

    /// The same with Winograd F(4×4, 3×3) on every residual convolution of blocks 1-4 (the golden frames are small
    /// enough that the default leaves block 1 on im2col, as 448×256 does; from 360p up it runs Winograd) and with
    /// none: both within the same tolerance.
    @Test(arguments: [0, Int.max]) func allCasesMatchWithAndWithoutWinograd(minimumTiles: Int) throws {
        let file = goldenDirectory().appendingPathComponent("rife-golden.safetensors")
        let tensors = try GoldenFile.open(file)
        let names = (tensors as? SafeTensorsGoldenTensors)?.file.names ?? []
        let weights = try RIFEModelFiles.loadWeights()
        let report = RIFEGoldenCheck.run(
            tensors: tensors, caseNames: RIFEGoldenCheck.caseNames(in: names),
            interpolator: {
                let interpolator = try RIFEInterpolator(weights: weights, scale: $0)
                interpolator.network.winogradMinimumTiles = minimumTiles
                return interpolator
            }, source: file.path)
        for line in report.lines { print("winograd from \(minimumTiles) tiles: " + line) }
        #expect(report.entries.count == 13)
        #expect(report.passed)
    }
}
