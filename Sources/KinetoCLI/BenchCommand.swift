import ArgumentParser
import Foundation
import KinetoBench
import KinetoEngine
import KinetoModels

/// `kineto bench …`: performance measurements, one subcommand per area (ops; media and models join later).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Kineto's performance on this machine.",
        subcommands: [BenchOpsCommand.self, BenchMediaCommand.self, BenchModelsCommand.self, BenchPipelineCommand.self]
    )
}

/// `kineto bench ops`: sgemm peak, then the heavy operators at the networks' layer shapes.
struct BenchOpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Time sgemm and the convolutions of RIFE and FeatureFlow (ms, GFLOP/s, fraction of sgemm peak)."
    )

    @Option(help: "Seconds of repeats per operation (best time is reported).")
    var seconds: Double = 1.0

    @Option(help: "Threads per operation (default: all cores).")
    var threads: Int?

    @Option(help: "Only the operators whose name contains this text (the sgemm peak is always measured).")
    var filter: String?

    func run() throws {
        if let threads {
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
            Parallel.maxThreads = threads
        }
        let features = CPUFeatures.current
        print(
            "OpenBLAS core: \(BLASRuntime.coreName) (OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset")); CPU: \(features); threads: \(Parallel.maxThreads)"
        )
        let cases = OpsBenchmark.standardCases.filter { filter == nil || $0.name.contains(filter!) }
        _ = OpsBenchmark.run(seconds: seconds, cases: cases) { print(BenchOpsCommand.line($0)) }
        // The vector kernels beside the portable code they replace (results compared here too).
        for comparison in VectorKernelComparison.all(repeats: 30)
        where filter == nil || comparison.name.contains(filter!) {
            print(BenchOpsCommand.line(comparison))
        }
        // Last: OpenBLAS's own threads keep spinning for a while after a threaded call and would slow what follows.
        print(BenchOpsCommand.line(OpsBenchmark.sgemmOpenBLASThreads(seconds: seconds)))
    }

    static func line(_ c: VectorKernelComparison) -> String {
        let name = c.name.padding(toLength: 52, withPad: " ", startingAt: 0)
        let portable = String(format: "%.2f", c.portableSeconds * 1000)
        guard let vector = c.vectorSeconds else {
            return "\(name) \(portable) ms portable (no \(c.instructionSet) on this CPU)"
        }
        let same =
            c.maxDifference == 0
            ? "identical"
            : c.maxDifference <= c.tolerance
                ? String(format: "within %.0e (max difference %.1e)", c.tolerance, c.maxDifference)
                : "DIFFER by \(c.maxDifference)"
        return
            "\(name) \(String(format: "%8.2f", vector * 1000)) ms \(c.instructionSet), \(portable) ms portable (\(String(format: "%.2f", c.portableSeconds / vector))×), results \(same)"
    }

    static func line(_ r: OpsBenchmark.Result) -> String {
        let name = r.name.padding(toLength: 52, withPad: " ", startingAt: 0)
        var text =
            "\(name) \(String(format: "%8.2f", r.milliseconds)) ms  (median \(String(format: "%.2f", r.medianMilliseconds)), n=\(r.repeats))"
        if r.gflop > 0 { text += "  \(String(format: "%6.1f", r.gflopsPerSecond)) GFLOP/s" }
        if let fraction = r.fractionOfPeak { text += String(format: "  %3.0f%% of peak", fraction * 100) }
        return text
    }
}
