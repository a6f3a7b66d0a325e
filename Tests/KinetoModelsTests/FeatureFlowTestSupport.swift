import Foundation
import KinetoModels
import KinetoTestSupport
import KinetoWeights

/// One network with the golden manifest's deterministic weights, shared by the tests (building it generates
/// about 70 M values); the suites that use it run serialized.
enum FeatureFlowTestNetwork {
    static let manifest = goldenDirectory().appendingPathComponent("featureflow-manifest.json")
    static let shared: FeatureFlowNetwork = {
        do { return try FeatureFlowNetwork(weights: try DeterministicManifest(contentsOf: manifest)) } catch {
            fatalError("cannot build FeatureFlow from \(manifest.path): \(error)")
        }
    }()
}
