import Foundation
import KinetoEngine
import KinetoModels

extension InterpolationMethod {
    /// `featureflow`: FeatureFlow (CVPR 2020, MIT), the middle frame of two (other times by recursive midpoints).
    /// Options: the weights file (default: the imported model, `kineto models import featureflow`; a deterministic
    /// manifest `.json` also serves for tests), threads, and `featureFlowTiling` (DetailEnhance's tiles of large
    /// frames, default 448 px with 32 px of context).
    public static let featureflow = InterpolationMethod(
        name: "featureflow",
        summary: "FeatureFlow neural frame interpolation (middle frames; import its official checkpoint first)",
        engine: .model { options in
            if options.threads > 0 { Parallel.maxThreads = options.threads }
            let interpolator = try FeatureFlowModelFiles.makeInterpolator(
                explicit: options.weightsPath.map { URL(fileURLWithPath: $0) })
            let tiling = options.featureFlowTiling ?? .standard
            interpolator.detailTileCore = tiling.core
            interpolator.detailTileMargin = tiling.margin
            return interpolator
        })
}
