import ArgumentParser
import Foundation
import KinetoGolden

/// `kineto golden …`: comparisons with reference tensors from the official implementations.
struct GoldenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "golden",
        abstract: "Check Kineto against reference tensors of the official implementations.",
        subcommands: [GoldenCheckCommand.self]
    )
}

/// `kineto golden check KIND FILE [--cases JSON]`: prints one line per compared output, fails if any fails.
struct GoldenCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare Kineto's results with a golden file; exits non-zero if any case fails.",
        discussion: "Kinds:\n" + GoldenSuite.all.map { "  \($0.kind): \($0.summary)" }.joined(separator: "\n")
    )

    @Argument(help: "What to check: \(GoldenSuite.all.map(\.kind).joined(separator: ", ")).")
    var kind: String

    @Argument(help: "The golden safetensors file.")
    var file: String

    @Option(
        help: "The JSON that goes with FILE (ops: the cases; default: NAME-cases.json beside NAME-golden.safetensors).")
    var cases: String?

    @Option(help: "The weights file for a network check (rife: flownet.pkl; default: the installed model).")
    var weights: String?

    @Option(help: "The weights manifest for featureflow (default: featureflow-manifest.json beside FILE).")
    var manifest: String?

    func validate() throws {
        do { _ = try GoldenSuite.named(kind) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let suite = try GoldenSuite.named(kind)
        let report = try suite.run(
            URL(fileURLWithPath: file), (cases ?? weights ?? manifest).map { URL(fileURLWithPath: $0) })
        for line in report.lines { print(line) }
        if !report.passed { throw ExitCode.failure }
    }
}
