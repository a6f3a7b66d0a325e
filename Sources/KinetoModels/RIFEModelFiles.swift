import Foundation

/// Where RIFE's weights come from: an explicit file, or the installed, verified model.
public enum RIFEModelFiles {
    /// The weights at `explicit`; else the file named by `KINETO_RIFE_WEIGHTS`; else the verified installed model
    /// of `store` (an error that says how to install it when there is none).
    public static func loadWeights(explicit: URL? = nil, store: ModelStore = .standard()) throws -> RIFEWeights {
        if let explicit { return try RIFEWeights(contentsOf: explicit) }
        if let path = ProcessInfo.processInfo.environment["KINETO_RIFE_WEIGHTS"], !path.isEmpty {
            return try RIFEWeights(contentsOf: URL(fileURLWithPath: path))
        }
        return try RIFEWeights(contentsOf: try store.verifiedFile(.rife))
    }
}
