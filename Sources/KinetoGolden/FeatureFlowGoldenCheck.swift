import Foundation
import KinetoEngine
import KinetoModels
import KinetoWeights

/// Runs FeatureFlow on the frame pair of a golden file (`featureflow-golden.safetensors`, made by
/// `Tests/Fixtures/golden/tools/golden_featureflow.py` with the official code and deterministic weights) and compares every
/// stored stage: `bdcn.edge0/1`, `structure.features0/1`, `structure.dcn_mixed`, `structure.dcn_out_x`,
/// `structure.output`, `detail.aligned_ref_L1/L3`, `detail.pcd0`, `detail.tsa`, `detail.output`, `output.frame`.
/// Each stage is computed from Kineto's own previous stages (errors accumulate as they would in use).
///
/// Tolerance: every stage within `relativeTolerance` (1e-4) × the stage's largest magnitude; the output frame
/// (in [-1, 1]) within `frameTolerance` (1e-3) absolute. Float32 sums in another order differ in the last bits;
/// a larger error is a bug.
public enum FeatureFlowGoldenCheck {
    public static let relativeTolerance: Float = 1e-4
    public static let frameTolerance: Float = 1e-3

    /// The stages compared, in network order.
    public static let stageNames = [
        "bdcn.edge0", "bdcn.edge1", "structure.features0", "structure.features1", "structure.dcn_mixed",
        "structure.dcn_out_x", "structure.output", "detail.aligned_ref_L1", "detail.aligned_ref_L3", "detail.pcd0",
        "detail.tsa", "detail.output", "output.frame",
    ]

    /// The manifest that goes with a golden file: `featureflow-manifest.json` beside it.
    public static func defaultManifest(for golden: URL) -> URL {
        golden.deletingLastPathComponent().appendingPathComponent("featureflow-manifest.json")
    }

    /// Checks the golden file `tensors` with the network built from `weights` (the manifest's deterministic
    /// weights). Also runs the frame pair through `FeatureFlowInterpolator` (padding, tiling) and compares its frame.
    public static func run(tensors: GoldenTensors, weights: FeatureFlowWeightSource, source: String) -> GoldenReport {
        var report = GoldenReport(kind: "featureflow", source: source)
        do {
            guard let img0 = try tensors.tensor("input.img0"), let img1 = try tensors.tensor("input.img1") else {
                throw GoldenError("\(source) has no input.img0 / input.img1: not a FeatureFlow golden file")
            }
            guard img0.rank == 4, img0.c == 3, img0.shape == img1.shape else {
                throw GoldenError("input.img0 \(img0.shape) and input.img1 \(img1.shape) must both be [1, 3, H, W]")
            }
            guard img0.h % FeatureFlowNetwork.sizeMultiple == 0, img0.w % FeatureFlowNetwork.sizeMultiple == 0 else {
                throw GoldenError("frames are \(img0.w)×\(img0.h); the official network needs multiples of 8")
            }
            let network = try FeatureFlowNetwork(weights: weights)
            let stages = network.stages(img0, img1)
            for name in stageNames {
                guard let expected = try tensors.tensor(name) else {
                    report.entries.append(.failure(name, output: "-", note: "missing from the golden file"))
                    continue
                }
                guard let actual = stages[name] else { continue }
                report.entries.append(compare(name, actual: actual, expected: expected))
            }
            // The public path: padding, tiling, the [0, 1] ↔ [-1, 1] conversions left out.
            let interpolator = FeatureFlowInterpolator(network: network)
            let frame = interpolator.run(img0, img1)
            if let expected = try tensors.tensor("output.frame") {
                var entry = compare("output.frame", actual: frame, expected: expected)
                entry.name = "interpolator"
                report.entries.append(entry)
            }
        } catch {
            report.entries.append(.failure("featureflow", note: "\(error)"))
        }
        return report
    }

    static func compare(_ name: String, actual: Tensor, expected: Tensor) -> GoldenReport.Entry {
        let (stage, output) = split(name)
        if name == "output.frame" {
            // Absolute tolerance on the frame: expressed as a relative one of its largest magnitude.
            var entry = GoldenReport.Entry.compare(
                stage, output: output, actual: actual, expected: expected, tolerance: 1)
            entry.tolerance = frameTolerance / max(entry.referenceMagnitude, .leastNormalMagnitude)
            entry.passed = entry.maxAbsError <= frameTolerance
            entry.note = "tolerance \(frameTolerance) absolute"
            return entry
        }
        return .compare(stage, output: output, actual: actual, expected: expected, tolerance: relativeTolerance)
    }

    static func split(_ name: String) -> (String, String) {
        guard let dot = name.firstIndex(of: ".") else { return (name, "-") }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }
}

extension GoldenSuite {
    /// FeatureFlow against the official code with deterministic weights: `featureflow-golden.safetensors` and
    /// `featureflow-manifest.json` (beside it unless `--manifest` names it).
    public static let featureflow = GoldenSuite(
        kind: "featureflow",
        summary:
            "FeatureFlow, every stage vs the official code (featureflow-golden.safetensors; --manifest JSON, default beside it)"
    ) { file, manifest in
        let tensors = try GoldenFile.open(file)
        let manifestURL = manifest ?? FeatureFlowGoldenCheck.defaultManifest(for: file)
        let weights = try DeterministicManifest(contentsOf: manifestURL)
        return FeatureFlowGoldenCheck.run(tensors: tensors, weights: weights, source: file.path)
    }
}
