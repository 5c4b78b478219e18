package io.synalign.kernels.nd4j;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major CBLAS calls on ND4J buffers, through the JavaCPP OpenBLAS binding that ND4J's own
 * {@code CpuBlas} calls ({@code openblas_nolapack}), so this is the very same library and thread
 * pool as {@code Nd4j.gemm}.
 *
 * <p>Why not {@code Nd4j.gemm}: it runs as the {@code Mmul} custom op, whose matrix-vector path
 * measured 5-10x slower than {@code cblas_sgemv} on kernel tiles here (0.25-0.6 vs 0.05 ns per
 * element on 1000 x 8000), about a fifth of the fused product's time; and it refuses views as
 * outputs, while a tile's GEMV writes into a slice of the result. Offsets are in elements; the
 * pointer arguments are never moved (each call positions a fresh view of the address).
 */
final class OpenBlas {

    private OpenBlas() {
    }

    /** A view of {@code p} {@code offset} elements further on; {@code p} is not moved. */
    static FloatPointer at(FloatPointer p, long offset) {
        return new FloatPointer(p).position(p.position() + offset);
    }

    /** A view of {@code p} {@code offset} elements further on; {@code p} is not moved. */
    static DoublePointer at(DoublePointer p, long offset) {
        return new DoublePointer(p).position(p.position() + offset);
    }

    /**
     * {@code C = alpha A B^T}: A is {@code rows x depth}, B is {@code cols x depth}, C is
     * {@code rows x cols}, all row-major and dense (leading dimensions depth, depth, cols).
     */
    static void gemmNT(int rows, int cols, int depth, float alpha, FloatPointer a, FloatPointer b,
            FloatPointer c) {
        openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, cols, depth,
                alpha, a, depth, b, depth, 0f, c, cols);
    }

    /**
     * {@code C = alpha A B}: A is {@code rows x depth}, B is {@code depth x cols}, C is
     * {@code rows x cols}, all row-major and dense.
     */
    static void gemmNN(int rows, int cols, int depth, float alpha, FloatPointer a, FloatPointer b,
            FloatPointer c) {
        openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, depth,
                alpha, a, depth, b, cols, 0f, c, cols);
    }

    /** {@code y = alpha A x}, A row-major dense {@code rows x cols}. */
    static void gemv(int rows, int cols, float alpha, FloatPointer a, FloatPointer x,
            FloatPointer y) {
        gemv(rows, cols, alpha, a, x, 0f, y);
    }

    /** {@code y = alpha A x + beta y}, A row-major dense {@code rows x cols}. */
    static void gemv(int rows, int cols, float alpha, FloatPointer a, FloatPointer x, float beta,
            FloatPointer y) {
        openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, cols, alpha, a, cols, x, 1,
                beta, y, 1);
    }

    /**
     * {@code y = A x} ({@code transposed}: {@code A^T x}), A row-major {@code rows x cols} with
     * row stride {@code lda} (so a block of a wider matrix can be passed in place).
     */
    static void gemv(boolean transposed, int rows, int cols, FloatPointer a, int lda,
            FloatPointer x, FloatPointer y) {
        openblas_nolapack.cblas_sgemv(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans, rows,
                cols, 1f, a, lda, x, 1, 0f, y, 1);
    }

    /** {@code y = A^T x}, A row-major dense {@code rows x cols}, so y has {@code cols} values. */
    static void gemvTransposed(int rows, int cols, FloatPointer a, FloatPointer x, FloatPointer y) {
        openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasTrans, rows, cols, 1f, a, cols, x, 1, 0f,
                y, 1);
    }

    /**
     * {@code y += alpha A^T x} in double precision, A row-major {@code rows x cols} with row
     * stride {@code lda} (so a block of columns of a wider matrix can be passed in place), x read
     * with stride {@code incX} (so a column of a row-major matrix can be passed in place).
     */
    static void dgemvTransposedAdd(int rows, int cols, int lda, double alpha, DoublePointer a,
            DoublePointer x, int incX, DoublePointer y) {
        openblas_nolapack.cblas_dgemv(CblasRowMajor, CblasTrans, rows, cols, alpha, a, lda, x,
                incX, 1.0, y, 1);
    }

    /** {@code y = alpha A x} in double precision, A row-major dense {@code rows x cols}. */
    static void dgemv(int rows, int cols, double alpha, DoublePointer a, DoublePointer x,
            DoublePointer y) {
        openblas_nolapack.cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, cols, alpha, a, cols, x,
                1, 0.0, y, 1);
    }

    /** {@code x *= alpha} over {@code n} doubles. */
    static void dscal(int n, double alpha, DoublePointer x) {
        openblas_nolapack.cblas_dscal(n, alpha, x, 1);
    }
}
