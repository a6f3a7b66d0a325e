import Foundation

/// One kind of golden check that `kineto golden check KIND FILE` can run. Each check (ops here; the network checks
/// join by adding an entry to `all`) turns a golden file (+ optional companion JSON) into a `GoldenReport`.
public struct GoldenSuite: Sendable {
    /// The KIND argument, e.g. `ops`.
    public var kind: String
    /// One line for the help text.
    public var summary: String
    /// Runs the check on `file`, with `companion` (a cases or manifest JSON) if the user gave one.
    public var run: @Sendable (_ file: URL, _ companion: URL?) throws -> GoldenReport

    public init(
        kind: String, summary: String,
        run: @escaping @Sendable (_ file: URL, _ companion: URL?) throws -> GoldenReport
    ) {
        self.kind = kind
        self.summary = summary
        self.run = run
    }

    /// Every known kind.
    public static let all: [GoldenSuite] = [ops, rife, featureflow, faces]

    /// The suite for `kind`, or an error that lists the known kinds.
    public static func named(_ kind: String) throws -> GoldenSuite {
        if let suite = all.first(where: { $0.kind == kind }) { return suite }
        throw GoldenError("unknown golden kind \"\(kind)\"; known kinds: \(all.map(\.kind).joined(separator: ", "))")
    }

    /// Single operators against PyTorch: `ops-golden.safetensors` with `ops-cases.json` beside it by default.
    public static let ops = GoldenSuite(
        kind: "ops", summary: "single operators vs PyTorch (ops-golden.safetensors + ops-cases.json)"
    ) { file, cases in
        let tensors = try GoldenFile.open(file)
        return try OpsGoldenCheck.run(
            casesFile: cases ?? OpsGoldenCheck.defaultCasesFile(for: file),
            tensors: tensors, source: file.path)
    }
}
