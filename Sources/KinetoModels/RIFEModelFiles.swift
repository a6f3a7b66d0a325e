import Foundation

/// Where RIFE's weights come from: an explicit file, or the installed model.
public enum RIFEModelFiles {
    /// The weights at `explicit`, or else the file named by `KINETO_RIFE_WEIGHTS`.
    public static func loadWeights(explicit: URL?) throws -> RIFEWeights {
        if let explicit { return try RIFEWeights(contentsOf: explicit) }
        if let path = ProcessInfo.processInfo.environment["KINETO_RIFE_WEIGHTS"] {
            return try RIFEWeights(contentsOf: URL(fileURLWithPath: path))
        }
        throw RIFEError("RIFE weights not found")
    }
}
