import Foundation
import KinetoModels
import KinetoWeights

/// The golden directory: `<package root>/Tests/Fixtures/golden`, or `KINETO_GOLDEN_DIR`.
func featureFlowGoldenDirectory() -> URL {
    if let path = ProcessInfo.processInfo.environment["KINETO_GOLDEN_DIR"] { return URL(fileURLWithPath: path) }
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return packageRoot.appendingPathComponent("Tests/Fixtures/golden")
}

/// One network with the golden manifest's deterministic weights, shared by the tests (building it generates
/// about 70 M values); the suites that use it run serialized.
enum FeatureFlowTestNetwork {
    static let manifest = featureFlowGoldenDirectory().appendingPathComponent("featureflow-manifest.json")
    static let shared: FeatureFlowNetwork = {
        do { return try FeatureFlowNetwork(weights: try DeterministicManifest(contentsOf: manifest)) } catch {
            fatalError("cannot build FeatureFlow from \(manifest.path): \(error)")
        }
    }()
}
