import Foundation
import KinetoEngine
import KinetoModels

extension InterpolationMethod {
    /// `featureflow`: FeatureFlow (CVPR 2020, MIT), the middle frame of two (other times by recursive midpoints).
    /// Options: the weights file (default: the imported model, `kineto models import featureflow`; a deterministic
    /// manifest `.json` also serves for tests), threads. Tile settings: `tile=N` (largest kept side of a
    /// DetailEnhance tile, default 448), `margin=N` (context around it, default 32).
    public static let featureflow = InterpolationMethod(
        name: "featureflow",
        summary: "FeatureFlow neural frame interpolation (middle frames; import its official checkpoint first)",
        engine: .model { options in
            if options.threads > 0 { Parallel.maxThreads = options.threads }
            let interpolator = try FeatureFlowModelFiles.makeInterpolator(
                explicit: options.weightsPath.map { URL(fileURLWithPath: $0) })
            for (key, apply) in [
                ("tile", { (v: Int) in interpolator.detailTileCore = max(8, v / 8 * 8) }),
                ("margin", { (v: Int) in interpolator.detailTileMargin = max(0, v / 8 * 8) }),
            ] {
                guard let text = options.settings[key] else { continue }
                guard let value = Int(text), value >= 0 else {
                    throw FeatureFlowError("FeatureFlow \(key) '\(text)' is not a whole number of pixels")
                }
                apply(value)
            }
            return interpolator
        })
}
