import Foundation
import KinetoWeights

/// Converts FeatureFlow's official weight files into Kineto's model file.
///
/// - `FeFlow.ckpt`: `torch.save` of a dict with metadata (a `datetime`, loss lists, …) and the state dicts
///   `state_dictGEN` (StructureGen) and `state_dictDE` (DetailEnhance). The official code loads them with
///   `strict=False`; the parts of ResNet-50 and VGG-16 that the forward pass never reaches (layer3, layer4, fc,
///   `extract_features` of DetailEnhance, …) are ignored here the same way.
/// - `bdcn_pretrained_on_bsds500.pth`: BDCN's bare state dict; only the layers of its first side output are used.
///
/// Both PyTorch serializations are read (the legacy one of the 2020 release and today's zip). Every tensor the
/// network needs is checked by name and shape; all problems are reported at once. The result is one safetensors
/// file holding exactly the needed tensors under their prefixed names (`bdcn.`, `structure.`, `detail.`), as float32,
/// plus its SHA-256 beside it.
public enum FeatureFlowImporter {
    /// What an import did.
    public struct Report: Sendable {
        /// The model file written.
        public var file: URL
        /// Its SHA-256 (lowercase hex), also written to `featureflow.safetensors.sha256`.
        public var sha256: String
        /// Tensors written.
        public var tensorCount: Int
        /// Values written.
        public var valueCount: Int
        /// Tensors of the checkpoints that the network does not use (ignored, as the official strict=False load).
        public var ignoredCount: Int
    }

    /// The two official files as one weight source with prefixed names: `structure.` + `state_dictGEN` keys,
    /// `detail.` + `state_dictDE` keys, `bdcn.` + the BDCN state dict's keys. Tensors stay in the mapped files until
    /// asked for.
    public static func source(checkpoint: URL, bdcn: URL) throws -> CheckpointSource {
        let main = try TorchCheckpoint(contentsOf: checkpoint)
        let edges = try TorchCheckpoint(contentsOf: bdcn)
        var tensors: [String: TorchTensor] = [:]
        for (dict, prefix) in [("state_dictGEN", "structure."), ("state_dictDE", "detail.")] {
            guard let value = try? main.value(at: dict), value.dictionary != nil else {
                let keys = main.root.dictionary?.keys.joined(separator: ", ") ?? main.root.kindDescription
                throw WeightError(
                    file: checkpoint.path, key: dict,
                    "missing: this is not FeatureFlow's FeFlow.ckpt (it should hold state_dictGEN and state_dictDE; it holds \(keys))"
                )
            }
            for (name, tensor) in try main.tensors(under: dict) { tensors[prefix + name] = tensor }
        }
        guard edges.root.dictionary != nil else {
            throw WeightError(
                file: bdcn.path,
                "not a state dict (a \(edges.root.kindDescription)): expected BDCN's bdcn_pretrained_on_bsds500.pth")
        }
        for (name, tensor) in try edges.tensors() { tensors["bdcn." + name] = tensor }
        return CheckpointSource(tensors: tensors, description: "\(checkpoint.path) + \(bdcn.path)")
    }

    /// Tensors of PyTorch checkpoints by prefixed name, converted to float32 on request.
    public struct CheckpointSource: FeatureFlowWeightSource {
        public let tensors: [String: TorchTensor]
        public let sourceDescription: String

        public init(tensors: [String: TorchTensor], description: String) {
            self.tensors = tensors
            self.sourceDescription = description
        }

        public func weight(named name: String) throws -> WeightTensor? {
            guard let tensor = tensors[name] else { return nil }
            guard tensor.dtype.isFloatingPoint else {
                throw WeightError(
                    file: sourceDescription, key: name,
                    "holds \(tensor.dtype.rawValue) values; a float tensor was expected")
            }
            return tensor.weightTensor(name: name)
        }
    }

    /// Checks `source` against the network and returns the tensors it needs, in build order; throws
    /// `FeatureFlowWeightError` listing every missing or misshapen tensor.
    public static func neededTensors(from source: FeatureFlowWeightSource) throws -> [WeightTensor] {
        let loader = FeatureFlowWeightLoader(source: source, recordsTensors: true)
        _ = try FeatureFlowNetwork(loader: loader)
        return loader.used
    }

    /// Imports the official files into `directory` (normally the store's `featureflow/` folder): checks them,
    /// writes `featureflow.safetensors` (appearing only once complete) and its SHA-256.
    @discardableResult
    public static func importOfficial(checkpoint: URL, bdcn: URL, into directory: URL) throws -> Report {
        let source = try source(checkpoint: checkpoint, bdcn: bdcn)
        let needed = try neededTensors(from: source)
        var writer = SafeTensorsWriter(metadata: [
            "model": "featureflow",
            "checkpoint": checkpoint.lastPathComponent,
            "bdcn": bdcn.lastPathComponent,
        ])
        for tensor in needed { try writer.add(tensor.name, shape: tensor.shape, floats: tensor.values) }
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw FeatureFlowError("cannot create the model directory \(directory.path): \(error.localizedDescription)")
        }
        let file = directory.appendingPathComponent(FeatureFlowModelFiles.fileName)
        try writer.write(to: file)
        let digest = try SHA256.hexDigest(ofFile: file)
        let digestFile = directory.appendingPathComponent(FeatureFlowModelFiles.digestFileName)
        do {
            try "\(digest)  \(FeatureFlowModelFiles.fileName)\n".write(
                to: digestFile, atomically: true, encoding: .utf8)
        } catch {
            throw FeatureFlowError("cannot write \(digestFile.path): \(error.localizedDescription)")
        }
        let used = Set(needed.map(\.name))
        return Report(
            file: file, sha256: digest, tensorCount: needed.count,
            valueCount: needed.reduce(0) { $0 + $1.count },
            ignoredCount: source.tensors.keys.filter { !used.contains($0) }.count)
    }

    /// Imports into `store`'s directory for the `featureflow` model.
    @discardableResult
    public static func importOfficial(checkpoint: URL, bdcn: URL, store: ModelStore) throws -> Report {
        let target = store.path(of: .featureflow).deletingLastPathComponent()
        return try importOfficial(checkpoint: checkpoint, bdcn: bdcn, into: target)
    }
}
