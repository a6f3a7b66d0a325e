import KinetoEngine
import Testing

@Suite struct BLASRuntimeTests {
    let avx512: CPUFeatures = [.avx, .avx2, .fma, .avx512f, .avx512bw, .avx512dq, .avx512vl]
    let avx2: CPUFeatures = [.avx, .avx2, .fma]

    @Test func misdetectedAVX512MachineGetsSkylakeX() {
        #expect(
            BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "Prescott", features: avx512)
                == "SkylakeX")
        #expect(
            BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "Haswell", features: avx512) == "SkylakeX"
        )
        #expect(
            BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "Zen", features: avx512) == "SkylakeX")
    }

    @Test func avx2MachineGetsHaswellOnlyWhenDetectedWorse() {
        #expect(
            BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "Prescott", features: avx2) == "Haswell")
        #expect(
            BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "Sandybridge", features: avx2)
                == "Haswell")
        #expect(BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "Zen", features: avx2) == nil)
        #expect(BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "Haswell", features: avx2) == nil)
    }

    @Test func leavesAloneWhenUserChoseOrCPUIsOld() {
        #expect(
            BLASRuntime.coreTypeOverride(environmentValue: "Prescott", detectedCore: "Prescott", features: avx512)
                == nil)
        #expect(BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "Prescott", features: [.avx]) == nil)
        #expect(BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "Prescott", features: []) == nil)
        // AVX-512 foundation alone (no BW/DQ/VL) is not enough for OpenBLAS's SkylakeX kernels.
        #expect(
            BLASRuntime.coreTypeOverride(
                environmentValue: nil, detectedCore: "Haswell",
                features: avx2.union(.avx512f)) == nil)
        #expect(BLASRuntime.coreTypeOverride(environmentValue: nil, detectedCore: "SkylakeX", features: avx512) == nil)
    }

    @Test func cpuinfoFlagsParse() {
        let flags = "fpu sse sse2 avx fma avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni"
        #expect(CPUFeatures(cpuinfoFlags: flags) == avx512)
        #expect(CPUFeatures(cpuinfoFlags: "fpu sse avx fma avx2") == avx2)
    }

    @Test func cpuidAgreesWithKernelFlags() throws {
        // The kernel's /proc/cpuinfo lists exactly the OS-enabled features, like cpuid + xgetbv.
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return }
        #expect(CPUFeatures.current == CPUFeatures(cpuinfoFlags: String(line)))
        #expect(!BLASRuntime.coreName.isEmpty)
    }
}
