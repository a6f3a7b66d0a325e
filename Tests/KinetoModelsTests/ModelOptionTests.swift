import Foundation
import KinetoModels
import Testing

/// Model settings are checked once, where a person writes them, into values that cannot be wrong afterwards.
@Suite struct ModelOptionTests {
    @Test(arguments: ["0.25", ".5", "0.5", "1", "1.0", "2", " 4 "])
    func theReferenceScalesParse(text: String) throws {
        let scale = try RIFEScale(parsing: text)
        #expect(RIFEScale.supported.contains(scale))
        #expect(scale.value == Double(text.trimmingCharacters(in: .whitespaces)))
    }

    @Test(arguments: ["3", "0.125", "8", "-1", "0", "half", "", "nan"])
    func otherScalesAreRefusedWithTheList(text: String) {
        do {
            _ = try RIFEScale(parsing: text)
            Issue.record("scale '\(text)' was accepted")
        } catch {
            #expect("\(error)".contains("'\(text)' is not one of 0.25, 0.5, 1, 2, 4"), "\(error)")
        }
    }

    /// A live job falls back to half its scale, down to the reference's smallest.
    @Test func halvingStopsAtAQuarter() {
        #expect(RIFEScale.full.halved == RIFEScale(0.5))
        #expect(RIFEScale(0.5)?.halved == RIFEScale(0.25))
        #expect(RIFEScale(0.25)?.halved == nil)
        #expect(RIFEScale(4)?.description == "4" && RIFEScale(0.5)?.description == "0.5")
    }

    @Test func featureFlowTilesAreMultiplesOfTheStride() throws {
        let tiling = try FeatureFlowTiling(core: 256, margin: 16)
        #expect(tiling.core == 256 && tiling.margin == 16)
        #expect(FeatureFlowTiling.standard.core == 448 && FeatureFlowTiling.standard.margin == 32)
        #expect(throws: FeatureFlowError.self) { try FeatureFlowTiling(core: 100, margin: 16) }
        #expect(throws: FeatureFlowError.self) { try FeatureFlowTiling(core: 0, margin: 0) }
        #expect(throws: FeatureFlowError.self) { try FeatureFlowTiling(core: 256, margin: -8) }
        #expect(throws: FeatureFlowError.self) { try FeatureFlowTiling(core: 256, margin: 12) }
    }
}
