import Foundation
import KinetoGolden
import KinetoTestSupport
import Testing

@Suite struct OpsGoldenTests {
    /// Every operator case of PyTorch's golden file within 1e-5 of the reference's largest magnitude
    /// (`OpsGoldenCheck.tolerance`), through the same library call as `kineto golden check ops`.
    @Test func allOperatorCasesMatchPyTorch() throws {
        let file = goldenDirectory().appendingPathComponent("ops-golden.safetensors")
        let report = try GoldenSuite.named("ops").run(file, nil)
        for entry in report.failures {
            Issue.record(
                "\(entry.name).\(entry.output): rel \(entry.relativeError) > \(entry.tolerance) \(entry.note ?? "")")
        }
        #expect(OpsGoldenCheck.tolerance == 1e-5)
        #expect(report.entries.count >= 36)
        #expect(Set(report.entries.map(\.name)).count == 36)
        #expect(report.passed)
    }

    @Test func defaultCasesFileSitsBesideTheGoldenFile() {
        let file = URL(fileURLWithPath: "/data/golden/ops-golden.safetensors")
        #expect(OpsGoldenCheck.defaultCasesFile(for: file).path == "/data/golden/ops-cases.json")
    }

    @Test func unknownKindListsKnownOnes() {
        #expect(throws: GoldenError.self) { try GoldenSuite.named("nope") }
        do { _ = try GoldenSuite.named("nope") } catch { #expect("\(error)".contains("ops")) }
    }

    @Test func reportFailsOnWrongValuesAndShapes() {
        let expected = KinetoEngineTensor.make([1, 2, 2, 2], (0..<8).map(Float.init))
        let close = KinetoEngineTensor.make([1, 2, 2, 2], (0..<8).map { Float($0) + 1e-7 })
        let wrong = KinetoEngineTensor.make([1, 2, 2, 2], (0..<8).map { Float($0) + 0.01 })
        let shape = KinetoEngineTensor.make([1, 8], (0..<8).map(Float.init))
        #expect(
            GoldenReport.Entry.compare("c", output: "out", actual: close, expected: expected, tolerance: 1e-5).passed)
        #expect(
            !GoldenReport.Entry.compare("c", output: "out", actual: wrong, expected: expected, tolerance: 1e-5).passed)
        #expect(
            !GoldenReport.Entry.compare("c", output: "out", actual: shape, expected: expected, tolerance: 1e-5).passed)
        let report = GoldenReport(kind: "ops", source: "x", entries: [])
        #expect(!report.passed)
    }
}
