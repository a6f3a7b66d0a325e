import Foundation

/// The reference data the repository carries (`Tests/Fixtures/golden`), or $KINETO_GOLDEN_DIR.
let goldenDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["KINETO_GOLDEN_DIR"] { return URL(fileURLWithPath: dir) }
    return packageRoot.appendingPathComponent("Tests/Fixtures/golden")
}()

let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func golden(_ relativePath: String) -> URL { goldenDirectory.appendingPathComponent(relativePath) }

/// A fresh temporary directory, removed when `body` returns.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kineto-weights-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}
