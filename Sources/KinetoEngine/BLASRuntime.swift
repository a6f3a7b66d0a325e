import COpenBLAS
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// OpenBLAS at run time: which kernels it uses, and its threading.
///
/// Debian's OpenBLAS is built for all x86 cores and picks kernels by CPU model when it loads; on virtual machines it
/// can misdetect a modern CPU as an old one (e.g. "Prescott", SSE3 kernels, 4-5× slower sgemm). Its choice can only
/// be overridden by `OPENBLAS_CORETYPE` before the library loads, i.e. before `main`. `ensureBestKernels()`
/// therefore re-executes the process once with the variable set when the detected core is worse than what the CPU
/// supports.
public enum BLASRuntime {
    /// The kernel family a core name stands for, in increasing order of what it needs from the CPU.
    public enum KernelClass: Int, Comparable, Sendable {
        case generic = 0
        case avx = 1
        case avx2 = 2
        case avx512 = 3
        public static func < (a: KernelClass, b: KernelClass) -> Bool { a.rawValue < b.rawValue }
    }

    /// The kernel class of an OpenBLAS core name (`openblas_get_corename()` / `OPENBLAS_CORETYPE` spelling).
    public static func kernelClass(ofCoreName name: String) -> KernelClass {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return .avx512
        case "haswell", "zen", "skylake": return .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": return .avx
        default: return .generic
        }
    }

    /// The best OpenBLAS core type the CPU features allow: "SkylakeX" (AVX-512 F/BW/DQ/VL), "Haswell" (AVX2+FMA),
    /// or nil (leave OpenBLAS's own choice).
    public static func bestCoreType(for features: CPUFeatures) -> String? {
        if features.isSuperset(of: [.avx512f, .avx512bw, .avx512dq, .avx512vl]) { return "SkylakeX" }
        if features.isSuperset(of: [.avx2, .fma]) { return "Haswell" }
        return nil
    }

    /// The pure decision behind `ensureBestKernels()`: the `OPENBLAS_CORETYPE` value to re-execute with, or nil to
    /// keep running. Nil when the user already set the variable, or the detected core is as good as the CPU allows.
    public static func coreTypeOverride(
        environmentValue: String?, detectedCore: String,
        features: CPUFeatures
    ) -> String? {
        if let value = environmentValue, !value.isEmpty { return nil }
        guard let best = bestCoreType(for: features) else { return nil }
        return kernelClass(ofCoreName: detectedCore) < kernelClass(ofCoreName: best) ? best : nil
    }

    /// Name of the kernel set OpenBLAS runs, e.g. "Haswell", "SkylakeX", "Zen", "Prescott".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration string.
    public static var config: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    /// If OpenBLAS misdetected the CPU, re-executes this process (same argv, `/proc/self/exe`) with
    /// `OPENBLAS_CORETYPE` set to the best supported core; otherwise returns. Call it first thing in `main`, before
    /// threads or files are opened. On failure of `execv` it returns and the process runs with the slower kernels.
    public static func ensureBestKernels() {
        #if os(Linux)
            let current = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
            guard
                let coreType = coreTypeOverride(
                    environmentValue: current, detectedCore: coreName,
                    features: .current)
            else { return }
            setenv("OPENBLAS_CORETYPE", coreType, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
        #endif
    }

    /// Makes each OpenBLAS call single-threaded: the engine parallelizes GEMMs itself (see `Parallel`). Idempotent;
    /// operators call it on first use.
    public static func configure() { _ = configured }

    private static let configured: Void = {
        openblas_set_num_threads(1)
    }()
}
