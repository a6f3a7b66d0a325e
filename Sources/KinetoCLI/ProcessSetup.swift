import KinetoEngine

/// What the `kineto` executable does before parsing its arguments.
public enum ProcessSetup {
    /// Makes OpenBLAS use the best kernels the CPU supports (may re-execute the process once, see
    /// `BLASRuntime.ensureBestKernels`). Call first in `main`.
    public static func run() {
        BLASRuntime.ensureBestKernels()
    }
}
