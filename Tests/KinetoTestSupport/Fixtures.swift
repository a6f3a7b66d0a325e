import Foundation

/// Where the data the tests read lies: the package root, `samples/`, and the golden reference data.
public enum Fixtures {
    /// The package root (this file is `Tests/KinetoTestSupport/Fixtures.swift`).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A clip of `samples/`.
    public static func sample(_ name: String) -> String { packageRoot.appendingPathComponent("samples/\(name)").path }
}

/// The golden directory: `<package root>/Tests/Fixtures/golden`, or `KINETO_GOLDEN_DIR`.
public func goldenDirectory() -> URL {
    if let path = ProcessInfo.processInfo.environment["KINETO_GOLDEN_DIR"] { return URL(fileURLWithPath: path) }
    return Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/golden")
}

/// A file of the golden directory.
public func golden(_ relativePath: String) -> URL { goldenDirectory().appendingPathComponent(relativePath) }

/// A face photo of the golden directory (`faces/NAME.jpg`).
public func facePhoto(_ name: String) -> String { golden("faces/\(name).jpg").path }
