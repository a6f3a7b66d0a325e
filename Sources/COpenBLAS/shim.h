#ifndef KINETO_COPENBLAS_SHIM_H
#define KINETO_COPENBLAS_SHIM_H
#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/// Bits of kineto_cpu_features(): what the CPU offers AND the OS has enabled (XSAVE state).
enum {
    KINETO_CPU_AVX = 1 << 0,
    KINETO_CPU_AVX2 = 1 << 1,
    KINETO_CPU_FMA = 1 << 2,
    KINETO_CPU_AVX512F = 1 << 3,
    KINETO_CPU_AVX512BW = 1 << 4,
    KINETO_CPU_AVX512DQ = 1 << 5,
    KINETO_CPU_AVX512VL = 1 << 6,
};

/// CPU features relevant to choosing OpenBLAS kernels, read with cpuid and xgetbv (0 on non-x86).
static inline unsigned int kineto_cpu_features(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int a = 0, b = 0, c = 0, d = 0, result = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int has_osxsave = (c >> 27) & 1, has_avx = (c >> 28) & 1, has_fma = (c >> 12) & 1;
    if (!has_osxsave || !has_avx) return 0;
    unsigned int xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0x6) != 0x6) return 0;                 /* XMM and YMM state enabled */
    result |= KINETO_CPU_AVX;
    if (has_fma) result |= KINETO_CPU_FMA;
    unsigned int max_leaf = __get_cpuid_max(0, 0);
    if (max_leaf < 7) return result;
    __cpuid_count(7, 0, a, b, c, d);
    if ((b >> 5) & 1) result |= KINETO_CPU_AVX2;
    if ((xcr0_lo & 0xE6) == 0xE6) {                       /* opmask, ZMM_Hi256, Hi16_ZMM state enabled */
        if ((b >> 16) & 1) result |= KINETO_CPU_AVX512F;
        if ((b >> 17) & 1) result |= KINETO_CPU_AVX512DQ;
        if ((b >> 30) & 1) result |= KINETO_CPU_AVX512BW;
        if ((b >> 31) & 1) result |= KINETO_CPU_AVX512VL;
    }
    return result;
#else
    return 0;
#endif
}
#endif
