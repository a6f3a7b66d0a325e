import COpenBLAS
import Foundation

/// SIMD features of the CPU that decide which OpenBLAS kernels can run (what the CPU has and the OS enabled).
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let avx = CPUFeatures(rawValue: 1 << 0)
    public static let avx2 = CPUFeatures(rawValue: 1 << 1)
    public static let fma = CPUFeatures(rawValue: 1 << 2)
    public static let avx512f = CPUFeatures(rawValue: 1 << 3)
    public static let avx512bw = CPUFeatures(rawValue: 1 << 4)
    public static let avx512dq = CPUFeatures(rawValue: 1 << 5)
    public static let avx512vl = CPUFeatures(rawValue: 1 << 6)

    /// This machine's features, from cpuid/xgetbv (empty on non-x86 CPUs).
    public static var current: CPUFeatures { CPUFeatures(rawValue: UInt32(kineto_cpu_features())) }

    /// Features named in a `flags` line of /proc/cpuinfo (the kernel lists only what the OS enabled).
    public init(cpuinfoFlags flags: String) {
        let names = Set(flags.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init))
        var result: CPUFeatures = []
        let table: [(String, CPUFeatures)] = [
            ("avx", .avx), ("avx2", .avx2), ("fma", .fma), ("avx512f", .avx512f),
            ("avx512bw", .avx512bw), ("avx512dq", .avx512dq), ("avx512vl", .avx512vl),
        ]
        for (name, feature) in table where names.contains(name) { result.insert(feature) }
        self = result
    }

    public var description: String {
        let table: [(String, CPUFeatures)] = [
            ("avx", .avx), ("avx2", .avx2), ("fma", .fma), ("avx512f", .avx512f),
            ("avx512bw", .avx512bw), ("avx512dq", .avx512dq), ("avx512vl", .avx512vl),
        ]
        let names = table.filter { contains($0.1) }.map(\.0)
        return names.isEmpty ? "none" : names.joined(separator: " ")
    }
}
