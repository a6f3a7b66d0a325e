import COpenBLAS

/// Row-major single-precision GEMM on OpenBLAS, split over the cores by column blocks.
public enum Gemm {
    /// `C[M×N] = alpha · op(A) · B[K×N] + beta · C`, row-major, one single-threaded `cblas_sgemm` call in the caller's
    /// thread. `op(A)` is `A[M×K]` (lda ≥ K) or, with `transposeA`, the transpose of `A[K×M]` (lda ≥ M).
    @inline(__always)
    public static func sgemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLASRuntime.configure()
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The same product with the N columns split over `Parallel.maxThreads` threads (one `cblas_sgemm` per block).
    public static func parallelSgemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        Parallel.forRanges(n, minimum: minimumColumns(m: m, k: k), granularity: 16) { cols in
            sgemm(
                m: m, n: cols.count, k: k, alpha: alpha, a: a, lda: lda, transposeA: transposeA,
                b: b + cols.lowerBound, ldb: ldb, beta: beta, c: c + cols.lowerBound, ldc: ldc)
        }
    }

    /// Fewest columns worth a thread of their own: about 2 MFLOP of work.
    @inline(__always)
    static func minimumColumns(m: Int, k: Int) -> Int { max(16, 1_000_000 / max(1, m * k)) }
}
