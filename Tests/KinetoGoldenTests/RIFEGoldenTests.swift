import Foundation
import KinetoGolden
import KinetoModels
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
            Issue.record("\(entry.name).\(entry.output): rel \(entry.relativeError) > \(entry.tolerance) \(entry.note ?? "")")
        }
        #expect(RIFEGoldenCheck.tolerance == 1e-3)
        #expect(Set(report.entries.map(\.name)) == ["crop_t025", "crop_t050", "full_t050"])
        #expect(report.passed)
    }
}
