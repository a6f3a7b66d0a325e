import Foundation
import KinetoEngine

/// Runs every single-operator case of a golden ops file (`ops-golden.safetensors` + `ops-cases.json`, made by
/// `Tests/Fixtures/golden/tools/golden_ops.py` with PyTorch) through `KinetoEngine.Ops` and compares with the stored outputs.
///
/// Tolerance: the largest absolute error must stay within `tolerance` (1e-5) × the reference's largest magnitude,
/// for every operator, deformable convolutions included. Float32 sums in another order than PyTorch's differ in
/// the last bits (measured: at most 4.2e-7 relative, conv 7×7); a larger error is a bug.
public enum OpsGoldenCheck {
    /// Relative tolerance of every operator case.
    public static let tolerance: Float = 1e-5

    /// Checks every case in `cases` (the parsed cases JSON: case name → parameters with an `op` key).
    public static func run(cases: [String: [String: Any]], tensors: GoldenTensors, source: String) -> GoldenReport {
        var report = GoldenReport(kind: "ops", source: source)
        for name in cases.keys.sorted() {
            do {
                report.entries += try check(name, parameters: cases[name]!, tensors: tensors)
            } catch {
                report.entries.append(.failure(name, note: "\(error)"))
            }
        }
        return report
    }

    /// Checks the cases of a cases JSON file against a golden tensor source.
    public static func run(casesFile: URL, tensors: GoldenTensors, source: String) throws -> GoldenReport {
        run(cases: try loadCases(casesFile), tensors: tensors, source: source)
    }

    /// The default cases file for a golden ops file: `NAME-cases.json` beside `NAME-golden.safetensors`
    /// (i.e. `ops-cases.json` beside `ops-golden.safetensors`).
    public static func defaultCasesFile(for file: URL) -> URL {
        let base = file.deletingPathExtension().lastPathComponent
        let stem = base.hasSuffix("-golden") ? String(base.dropLast("-golden".count)) : base
        return file.deletingLastPathComponent().appendingPathComponent("\(stem)-cases.json")
    }

    /// Parses a cases JSON file: an object of case name → parameter object.
    public static func loadCases(_ url: URL) throws -> [String: [String: Any]] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw GoldenError(
                "cannot read the cases file \(url.path): \(error.localizedDescription); pass it with --cases")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw GoldenError("\(url.path) is not a JSON object of cases (expected {\"case\": {\"op\": ...}})")
        }
        var cases: [String: [String: Any]] = [:]
        for (name, value) in object {
            guard let parameters = value as? [String: Any], parameters["op"] is String else {
                throw GoldenError("\(url.path): case \(name) has no \"op\"")
            }
            cases[name] = parameters
        }
        return cases
    }

    /// The `op` values of a cases file this check can run.
    public static let supportedOperators: Set<String> = [
        "conv2d", "conv_transpose2d", "deform_conv2d", "grid_sample", "interpolate", "pixel_shuffle",
        "pixel_unshuffle", "max_pool2d", "avg_pool2d", "reflection_pad2d", "replication_pad2d", "leaky_relu", "prelu",
        "sigmoid", "tanh", "batch_norm", "softmax",
    ]

    // MARK: - One case

    static func check(_ name: String, parameters p: [String: Any], tensors: GoldenTensors) throws -> [GoldenReport
        .Entry]
    {
        func tensor(_ key: String) throws -> Tensor {
            guard let t = try tensors.tensor("\(name).\(key)") else {
                throw GoldenError("tensor \(name).\(key) is missing from the golden file")
            }
            return t
        }
        func optional(_ key: String) throws -> Tensor? { try tensors.tensor("\(name).\(key)") }
        func int(_ key: String, _ fallback: Int? = nil) throws -> Int {
            if let v = p[key] as? Int { return v }
            if let v = p[key] as? Double, v == v.rounded() { return Int(v) }
            if let fallback { return fallback }
            throw GoldenError("case \(name): parameter \(key) is missing or not an integer")
        }
        func double(_ key: String) throws -> Double {
            if let v = p[key] as? Double { return v }
            if let v = p[key] as? Int { return Double(v) }
            throw GoldenError("case \(name): parameter \(key) is missing or not a number")
        }
        func bool(_ key: String, _ fallback: Bool) -> Bool { (p[key] as? Bool) ?? fallback }
        func string(_ key: String) -> String? { p[key] as? String }

        let op = string("op") ?? ""
        guard supportedOperators.contains(op) else {
            throw GoldenError(
                "case \(name): operator \"\(op)\" is not implemented (known: \(supportedOperators.sorted().joined(separator: ", ")))"
            )
        }
        let x = try tensor("in")
        let expected = try tensor("out")
        let tolerance = OpsGoldenCheck.tolerance
        var extra: [GoldenReport.Entry] = []
        let actual: Tensor
        switch op {
        case "conv2d":
            actual = Ops.conv2d(
                x, weight: try tensor("weight"), bias: try optional("bias"), stride: try int("stride", 1),
                padding: try int("padding", 0), dilation: try int("dilation", 1),
                groups: try int("groups", 1))
        case "conv_transpose2d":
            actual = Ops.convTranspose2d(
                x, weight: try tensor("weight"), bias: try optional("bias"),
                stride: try int("stride", 1), padding: try int("padding", 0),
                outputPadding: try int("output_padding", 0), dilation: try int("dilation", 1),
                groups: try int("groups", 1))
        case "deform_conv2d":
            let mask = bool("modulated", false) ? try tensor("mask") : nil
            actual = Ops.deformConv2d(
                x, offset: try tensor("offset"), mask: mask, weight: try tensor("weight"),
                bias: try optional("bias"), stride: try int("stride", 1),
                padding: try int("padding", 0), dilation: try int("dilation", 1))
        case "grid_sample":
            let mode = try interpolationMode(string("mode") ?? "bilinear", name)
            guard let padding = GridPadding(rawValue: string("padding_mode") ?? "zeros") else {
                throw GoldenError("case \(name): padding_mode \(string("padding_mode") ?? "") is not supported")
            }
            let alignCorners = bool("align_corners", false)
            actual = Ops.gridSample(
                x, grid: try tensor("grid"), mode: mode, padding: padding, alignCorners: alignCorners)
            // The flow form RIFE uses: the same result from the flow field directly.
            if let flow = try optional("flow"), padding == .border, alignCorners, mode == .bilinear {
                extra.append(
                    .compare(
                        name, output: "out(warp)", actual: Ops.warp(x, flow: flow), expected: expected,
                        tolerance: tolerance, note: "Ops.warp from flow"))
            }
        case "interpolate":
            let mode = try interpolationMode(string("mode") ?? "nearest", name)
            actual = Ops.interpolate(
                x, scaleFactor: try double("scale_factor"), mode: mode,
                alignCorners: bool("align_corners", false))
        case "pixel_shuffle":
            actual = Ops.pixelShuffle(x, upscaleFactor: try int("upscale_factor"))
        case "pixel_unshuffle":
            actual = Ops.pixelUnshuffle(x, downscaleFactor: try int("downscale_factor"))
        case "max_pool2d":
            actual = Ops.maxPool2d(
                x, kernel: try int("kernel"), stride: try int("stride", try int("kernel")),
                padding: try int("padding", 0), ceilMode: bool("ceil_mode", false))
        case "avg_pool2d":
            actual = Ops.avgPool2d(
                x, kernel: try int("kernel"), stride: try int("stride", try int("kernel")),
                padding: try int("padding", 0), ceilMode: bool("ceil_mode", false),
                countIncludePad: bool("count_include_pad", true))
        case "reflection_pad2d", "replication_pad2d":
            guard let pads = p["padding"] as? [Int], pads.count == 4 else {
                throw GoldenError("case \(name): padding must be [left, right, top, bottom]")
            }
            actual = Ops.pad(
                x, left: pads[0], right: pads[1], top: pads[2], bottom: pads[3],
                mode: op == "reflection_pad2d" ? .reflect : .replicate)
        case "leaky_relu":
            actual = Ops.leakyReLU(x, negativeSlope: Float(try double("negative_slope")))
        case "prelu":
            actual = Ops.prelu(x, weight: try tensor("weight"))
        case "sigmoid":
            actual = Ops.sigmoid(x)
        case "tanh":
            actual = Ops.tanh(x)
        case "batch_norm":
            let bn = BatchNormParameters(
                weight: try optional("weight"), bias: try optional("bias"),
                runningMean: try tensor("running_mean"), runningVar: try tensor("running_var"),
                eps: Float(try double("eps")))
            actual = Ops.batchNorm(x, bn)
        case "softmax":
            guard try int("dim", 1) == 1 else {
                throw GoldenError("case \(name): softmax is implemented over dim 1 only")
            }
            actual = Ops.softmaxChannels(x)
        default:
            throw GoldenError("case \(name): operator \"\(op)\" is not implemented")
        }
        return [.compare(name, output: "out", actual: actual, expected: expected, tolerance: tolerance)] + extra
    }

    static func interpolationMode(_ text: String, _ name: String) throws -> InterpolationMode {
        guard let mode = InterpolationMode(rawValue: text) else {
            throw GoldenError("case \(name): mode \(text) is not supported (bilinear, nearest)")
        }
        return mode
    }
}
