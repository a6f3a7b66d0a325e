import Foundation
import KinetoEngine
import KinetoModels

/// Runs every case of a RIFE golden file (`rife-golden.safetensors`, made by `Tests/Fixtures/golden/tools/golden_rife.py`
/// with the reference IFNet and the real RIFE 4.25 weights) through `RIFEInterpolator` at scale 1 and compares the
/// flows after blocks 0, 2 and 4, the mask logits and the output frame with the stored ones.
///
/// A case `C` is every `C.img0` in the file, with `C.img1`, `C.timestep` (one value), `C.output`, `C.mask_logits`
/// and whichever of `C.flow0` … `C.flow4` are stored; an optional `C.scale` (one value, default 1) selects the
/// reference's `scale` (scale_list `[16, 8, 4, 2, 1] / scale`, padding to a multiple of `max(128, 128 / scale)`).
///
/// Tolerance: the largest absolute error within `tolerance` (1e-3) × the reference's largest magnitude, for every
/// tensor. The output frame is in [0, 1], so that is within 1e-3 absolute; flows are in pixels and mask logits
/// unbounded, so relative is the fair measure. Float32 sums in another order than PyTorch's drift through
/// 5 blocks × 10 convolutions and the warps; a larger error is a bug.
public enum RIFEGoldenCheck {
    /// Relative tolerance of every compared tensor.
    public static let tolerance: Float = 1e-3

    /// Checks every case of `tensors` (`caseNames` lists them) with interpolators made by `interpolator(scale)`.
    public static func run(
        tensors: GoldenTensors, caseNames: [String], interpolator: (Double) throws -> RIFEInterpolator,
        source: String
    ) -> GoldenReport {
        var report = GoldenReport(kind: "rife", source: source)
        if caseNames.isEmpty {
            report.entries.append(
                .failure(
                    "-",
                    note:
                        "no RIFE cases in \(source): expected tensors named CASE.img0, CASE.img1, CASE.timestep, CASE.output"
                ))
        }
        for name in caseNames {
            do {
                report.entries += try check(name, tensors: tensors, interpolator: interpolator)
            } catch {
                report.entries.append(.failure(name, note: "\(error)"))
            }
        }
        return report
    }

    /// The case names of a golden file: every `C` with a `C.img0` tensor, sorted.
    public static func caseNames(in names: [String]) -> [String] {
        names.filter { $0.hasSuffix(".img0") }.map { String($0.dropLast(".img0".count)) }.sorted()
    }

    static func check(_ name: String, tensors: GoldenTensors, interpolator make: (Double) throws -> RIFEInterpolator)
        throws -> [GoldenReport.Entry]
    {
        func tensor(_ key: String) throws -> Tensor {
            guard let t = try tensors.tensor("\(name).\(key)") else {
                throw GoldenError("tensor \(name).\(key) is missing from the golden file")
            }
            return t
        }
        let img0 = try tensor("img0")
        let img1 = try tensor("img1")
        let time = try tensor("timestep")
        guard img0.rank == 4, img0.shape == img1.shape, img0.c == 3, time.count == 1 else {
            throw GoldenError(
                "case \(name): img0 \(img0.shape) and img1 \(img1.shape) must be [1, 3, H, W] and timestep one value")
        }
        let scale = try tensors.tensor("\(name).scale").map { Double($0.pointer[0]) } ?? 1
        let result = try make(scale).run(img0, img1, timestep: time.pointer[0], keepIntermediates: true)
        var entries: [GoldenReport.Entry] = []
        for (index, flow) in result.flows.enumerated() {
            if let expected = try tensors.tensor("\(name).flow\(index)") {
                entries.append(
                    .compare(name, output: "flow\(index)", actual: flow, expected: expected, tolerance: tolerance))
            }
        }
        entries.append(
            .compare(
                name, output: "mask_logits", actual: result.maskLogits, expected: try tensor("mask_logits"),
                tolerance: tolerance))
        entries.append(
            .compare(
                name, output: "output", actual: result.output, expected: try tensor("output"),
                tolerance: tolerance))
        return entries
    }
}
