import Foundation
import KinetoPipeline

/// Who this daemon is among the workers of a shared queue.
public enum WorkerIdentity {
    /// The host's name: the default worker id (`[daemon] worker` overrides it; it must be unique per daemon).
    public static var defaultID: String {
        ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
    }

    /// Kineto's version as workers report it (the CLI's `kineto version` prints the same).
    public static var kinetoVersion: String { KinetoVersion.string }

    public static var hostName: String { ProcessInfo.processInfo.hostName }

    /// The id as it may appear in a file name: letters, digits, `-` and `_`.
    public static func fileSafe(_ id: String) -> String {
        String(id.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }
}
