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
        guard let file = store.installedFile(.rife) else {
            return try RIFEWeights(contentsOf: try store.verifiedFile(.rife))
        }
        // The file is hashed on another thread while this one reads it (each takes about 0.1 s at job start); the
        // weights are returned only once the hash matched, and a mismatch is the error reported.
        final class Verdict: @unchecked Sendable { var file: Result<URL, any Error> = .failure(CancellationError()) }
        let verdict = Verdict()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            verdict.file = Result { try store.verifiedFile(.rife) }
            done.signal()
        }
        let weights = Result { try RIFEWeights(contentsOf: file) }
        done.wait()
        let verified = try verdict.file.get()
        return verified == file ? try weights.get() : try RIFEWeights(contentsOf: verified)
    }
}
