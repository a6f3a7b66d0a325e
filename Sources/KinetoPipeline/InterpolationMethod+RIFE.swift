import Foundation
import KinetoEngine
import KinetoModels

extension InterpolationMethod {
    /// `rife`: RIFE 4.25 (Practical-RIFE, MIT), any time between two frames. Options: the weights file
    /// (default: the installed, verified model), `rifeScale` (the reference's scale: 0.5 for 4K, 2 or 4 for small
    /// frames; default 1), threads.
    public static let rife = InterpolationMethod(
        name: "rife", summary: "RIFE 4.25 neural frame interpolation (any time between frames)",
        engine: .model { options in
            if options.threads > 0 { Parallel.maxThreads = options.threads }
            let weights = try RIFEModelFiles.loadWeights(explicit: options.weightsPath.map { URL(fileURLWithPath: $0) })
            return try RIFEInterpolator(weights: weights, scale: (options.rifeScale ?? .full).value)
        },
        cheaper: { options in
            // Half the scale is a coarser flow search: about a quarter of the work in the flow blocks.
            guard let scale = (options.rifeScale ?? .full).halved else { return nil }
            var cheaper = options
            cheaper.rifeScale = scale
            return cheaper
        },
        parallelFrames: { width, height, cores in
            // Up to 720p, one frame per core (at most 4 at once): RIFE's operators are small at these sizes, so
            // splitting each over the cores loses time at every join, most of all while the encoder competes for
            // the cores. Larger frames split well and would hold a network's memory per frame.
            width * height <= 1280 * 720 ? min(cores, 4) : 1
        })

    /// Whether RIFE's weights are installed and verified (the command line then uses RIFE by default).
    public static var rifeIsInstalled: Bool {
        if case .verified = ModelStore.standard().state(of: .rife) { return true }
        return false
    }
}
