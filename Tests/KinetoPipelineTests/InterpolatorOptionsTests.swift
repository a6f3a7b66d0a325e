import KinetoMedia
import KinetoModels
import KinetoPipeline
import KinetoTestSupport
import Testing

/// A model setting the chosen method has no use for is an error before anything is read or written, never ignored.
@Suite struct InterpolatorOptionsTests {
    @Test func aScaleIsForRIFEOnly() throws {
        let half = try #require(RIFEScale(0.5))
        try InterpolationMethod.rife.check(InterpolatorOptions(rifeScale: half))
        for method in [InterpolationMethod.blend, .repeatFrames, .featureflow] {
            #expect(throws: PipelineError.self) { try method.check(InterpolatorOptions(rifeScale: half)) }
        }
        let tiles = try FeatureFlowTiling(core: 256, margin: 16)
        try InterpolationMethod.featureflow.check(InterpolatorOptions(featureFlowTiling: tiles))
        #expect(throws: PipelineError.self) {
            try InterpolationMethod.rife.check(InterpolatorOptions(featureFlowTiling: tiles))
        }
    }

    /// The job refuses it before creating its output.
    @Test func aJobWithAScaleForBlendFailsBeforeWriting() throws {
        let scratch = try Scratch()
        let input = try scratch.clip("in.mp4", seconds: 0.5, audio: false)
        let job = InterpolationJob(
            input: input, output: scratch.path("out.mp4"), targetRate: .multiple(numerator: 2, denominator: 1),
            method: .blend, interpolatorOptions: InterpolatorOptions(rifeScale: RIFEScale(0.5)))
        do {
            _ = try JobRunner.run(job)
            Issue.record("a scale for blend was accepted")
        } catch let error as PipelineError {
            #expect("\(error)".contains("a scale applies to the rife model only, not to 'blend'"), "\(error)")
        }
        #expect(scratch.contents == ["in.mp4"])
    }

    /// A live job's fallback level is named by its options ("rife at scale 0.5").
    @Test func theLabelNamesTheScale() {
        #expect(InterpolatorOptions(rifeScale: RIFEScale(0.5)).label == " at scale 0.5")
        #expect(InterpolatorOptions().label == "")
    }
}
