import Foundation
import KinetoModels

extension GoldenSuite {
    /// RIFE 4.25 against the reference IFNet with the real weights: `rife-golden.safetensors`; the weights are the
    /// installed model (`kineto models install rife`) unless a weights file is given as the companion.
    public static let rife = GoldenSuite(
        kind: "rife",
        summary: "RIFE 4.25 network vs the reference (rife-golden.safetensors; --weights FILE or the installed model)"
    ) { file, weights in
        let tensors = try GoldenFile.open(file)
        let names = (tensors as? SafeTensorsGoldenTensors)?.file.names ?? []
        let loaded = try RIFEModelFiles.loadWeights(explicit: weights)
        return RIFEGoldenCheck.run(
            tensors: tensors, caseNames: RIFEGoldenCheck.caseNames(in: names),
            interpolator: { try RIFEInterpolator(weights: loaded, scale: $0) }, source: file.path)
    }
}
