import CBLAS

/// The few OpenBLAS calls the training core makes; C types stay inside this target.
enum BLAS {
    /// Row-major `C = alpha · op(A) · op(B) + beta · C`, with `op(A)` of `m × k` and `op(B)` of `k × n`.
    @inline(__always)
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     alpha: Float, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// Pins OpenBLAS to one thread: a worker is one core, and sweeps get their parallelism from processes.
    static func useOneThread() {
        openblas_set_num_threads(1)
    }
}
