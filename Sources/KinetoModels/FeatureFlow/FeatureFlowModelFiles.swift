import Foundation
import KinetoWeights

extension ModelDescriptor {
    /// FeatureFlow (CVPR 2020, CM-BF/FeatureFlow, MIT): its official weights (FeFlow.ckpt and
    /// bdcn_pretrained_on_bsds500.pth) are shared only through file-hosting links, so they are not downloaded:
    /// `kineto models import featureflow` converts the user's copies into one safetensors file.
    public static let featureflow = ModelDescriptor(
        id: "featureflow", aliases: ["feflow"],
        summary: "FeatureFlow video frame interpolation, middle frame only (BDCN edges + StructureGen + DetailEnhance)",
        licence: "MIT (code); the weights come from the official release",
        source: "FeFlow.ckpt and bdcn_pretrained_on_bsds500.pth from the links in CM-BF/FeatureFlow's README, imported",
        fileName: FeatureFlowModelFiles.fileName,
        sha256: nil,
        installHint:
            "not installed: import the official checkpoint with `kineto models import featureflow --checkpoint FeFlow.ckpt --bdcn bdcn_pretrained_on_bsds500.pth` (files from the links in CM-BF/FeatureFlow's README)"
    )
}

/// Where FeatureFlow's weights come from: an explicit file, or the imported model in the store.
public enum FeatureFlowModelFiles {
    /// The imported model's file name in the store's `featureflow/` directory.
    public static let fileName = "featureflow.safetensors"
    /// The file beside it that holds its SHA-256 (written by the importer, checked on load).
    public static let digestFileName = "featureflow.safetensors.sha256"

    /// Weights from `explicit` (a model file written by the importer, or a deterministic-weights manifest `.json`),
    /// else from the file named by `KINETO_FEATUREFLOW_WEIGHTS`, else the imported model of `store` (an error that
    /// says how to import it when there is none, or when its SHA-256 does not match the one recorded at import).
    public static func loadWeights(explicit: URL? = nil, store: ModelStore = .standard()) throws
        -> FeatureFlowWeightSource
    {
        if let explicit { return try open(explicit) }
        if let path = ProcessInfo.processInfo.environment["KINETO_FEATUREFLOW_WEIGHTS"], !path.isEmpty {
            return try open(URL(fileURLWithPath: path))
        }
        let file = try store.verifiedFile(.featureflow)
        let digestFile = file.deletingLastPathComponent().appendingPathComponent(digestFileName)
        if let recorded = try? String(contentsOf: digestFile, encoding: .utf8) {
            let expected = recorded.trimmingCharacters(in: .whitespacesAndNewlines).prefix(64)
            let actual = try SHA256.hexDigest(ofFile: file)
            guard actual == expected else {
                throw ModelStoreError(
                    "model featureflow at \(file.path) is corrupt: SHA-256 \(actual), recorded at import \(expected); import it again: \(ModelDescriptor.featureflow.installHint)"
                )
            }
        }
        return try open(file)
    }

    /// The interpolator with the weights `loadWeights` finds.
    public static func makeInterpolator(explicit: URL? = nil, store: ModelStore = .standard()) throws
        -> FeatureFlowInterpolator
    {
        try FeatureFlowInterpolator(weights: try loadWeights(explicit: explicit, store: store))
    }

    /// Weights for timing: as `loadWeights`, with a hint about deterministic weights when none is installed.
    public static func benchmarkWeights(explicit: URL?) throws -> FeatureFlowWeightSource {
        do { return try loadWeights(explicit: explicit) } catch let error as ModelStoreError {
            throw ModelStoreError(
                "\(error.message); to time the network without the official weights, pass --weights Tests/Fixtures/golden/featureflow-manifest.json (deterministic weights)"
            )
        }
    }

    static func open(_ url: URL) throws -> FeatureFlowWeightSource {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw FeatureFlowError("cannot read FeatureFlow weights \(url.path): no such file or no permission")
        }
        if url.pathExtension.lowercased() == "json" { return try DeterministicManifest(contentsOf: url) }
        return try SafeTensorsFile(contentsOf: url)
    }
}
