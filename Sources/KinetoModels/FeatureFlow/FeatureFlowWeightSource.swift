import Foundation
import KinetoWeights

/// Where FeatureFlow's weights come from: anything that can hand out a tensor by its full state-dict name,
/// prefixed with the network it belongs to (`bdcn.features.conv1_1.weight`, `structure.dcn.emb.bias`,
/// `detail.reconstruct.HRconv.weight`).
///
/// Sources: the deterministic test weights of `Tests/Fixtures/golden/featureflow-manifest.json` (`DeterministicManifest`,
/// which resolves the aliases of shared modules), the model file that `FeatureFlowImporter` writes
/// (`SafeTensorsFile`), or a dictionary.
public protocol FeatureFlowWeightSource {
    /// A short description for error messages (a file path, "manifest …").
    var sourceDescription: String { get }
    /// The tensor called `name`, or nil if the source has none.
    func weight(named name: String) throws -> WeightTensor?
}

extension DeterministicManifest: FeatureFlowWeightSource {
    public var sourceDescription: String { path }
    public func weight(named name: String) throws -> WeightTensor? {
        guard (try? entry(name)) != nil else { return nil }
        return try tensor(name)
    }
}

extension SafeTensorsFile: FeatureFlowWeightSource {
    public var sourceDescription: String { path }
    public func weight(named name: String) throws -> WeightTensor? {
        contains(name) ? try tensor(name) : nil
    }
}

/// Weights held in memory, by full name.
public struct FeatureFlowWeightDictionary: FeatureFlowWeightSource {
    public var tensors: [String: WeightTensor]
    public var sourceDescription: String
    public init(_ tensors: [String: WeightTensor], description: String = "weights in memory") {
        self.tensors = tensors
        self.sourceDescription = description
    }
    public func weight(named name: String) throws -> WeightTensor? { tensors[name] }
}

/// FeatureFlow's weights are incomplete or of the wrong shapes: every problem is listed.
public struct FeatureFlowWeightError: Error, CustomStringConvertible, Sendable {
    /// The file or source the weights came from.
    public let source: String
    /// Names the network needs that the source lacks.
    public let missing: [String]
    /// Names whose shape differs: (name, found, expected).
    public let mismatched: [(name: String, found: [Int], expected: [Int])]

    public var description: String {
        var lines = [
            "FeatureFlow weights from \(source) do not fit the network: \(missing.count) missing, \(mismatched.count) with the wrong shape"
        ]
        for name in missing.prefix(40) { lines.append("  missing: \(name)") }
        if missing.count > 40 { lines.append("  … and \(missing.count - 40) more missing") }
        for m in mismatched.prefix(40) {
            lines.append("  wrong shape: \(m.name) is \(m.found), expected \(m.expected)")
        }
        if mismatched.count > 40 { lines.append("  … and \(mismatched.count - 40) more with the wrong shape") }
        return lines.joined(separator: "\n")
    }
}
