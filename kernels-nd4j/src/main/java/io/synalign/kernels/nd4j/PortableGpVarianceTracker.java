package io.synalign.kernels.nd4j;

import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.host.ExactKernelColumn;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * GP posterior variances over N rows, one pivoted-Cholesky step per conditioning row (see
 * {@link GpVarianceTracker}; the exploration step of "Few-shot LLM Synthetic Data with
 * Distribution Matching", WWW 2025), with ND4J INDArray operations only: the portable path
 * ({@link Nd4jPath#PORTABLE}).
 *
 * <p>Per {@link #condition}: the kernel column {@code k(X, x_p)} is computed on the host in
 * double by the difference form ({@link ExactKernelColumn}, O(N d); a float32 GEMM of the
 * augmented rows was 1e-4 off the reference near copies, as the CPU path's javadoc says) and
 * becomes a 1 x N DOUBLE row; {@code v = (k - V V[p]^T) / sqrt(var_p + s^2)} is one float64
 * GEMM with {@code beta = 1} straight into the new factor plus a scalar multiply, O(N t); v is
 * assigned into row t of the factor store, then copied to the host, where {@code var -= v^2},
 * O(N).
 *
 * <p>Precision as on the CPU path ({@link Nd4jGpVarianceTracker}, whose javadoc says why): X is
 * float32, the kernel column, the factor V ({@code maxRank x N} DOUBLE, one factor per row) and
 * the variances are float64. The variances live on the host, updated from each step's v (N
 * doubles copied per step, against the O(N t) GEMM on the device), so {@link #variance} costs no
 * device round trip and {@link #argmax} keeps the SPI's exact tie and NaN rules
 * ({@link Argmax}), which ND4J's {@code argMax} does not promise. Memory {@code 8 N maxRank}
 * bytes plus {@code 8 N}. Not thread-safe.
 */
final class PortableGpVarianceTracker extends HostVarianceTracker {

    private final FloatMatrix x;
    private final double lengthScale;
    private final double[] column;
    private final INDArray factors;

    PortableGpVarianceTracker(FloatMatrix x, double lengthScale, double noise, int maxRank,
            BackendLifetime backend) {
        super(x.rows(), lengthScale, noise, maxRank, backend);
        this.x = x;
        this.lengthScale = lengthScale;
        this.column = new double[size];
        // Uninitialised: only rows below the rank are ever read.
        this.factors = Nd4j.createUninitialized(DataType.DOUBLE, Math.max(1, maxRank),
                Math.max(1, size));
    }

    @Override
    double[] newFactor(int p, double pivot2) {
        INDArray v = kernelRow(p);
        try {
            if (rank > 0) {
                // v = k - V[p, :t] V[:t, :]: column p of the first t factors against them.
                INDArray previous = PortableOperands.rows(factors, 0, rank);
                INDArray pivotColumn = factors.get(NDArrayIndex.interval(0, rank),
                        NDArrayIndex.interval(p, p + 1));
                Nd4j.gemm(pivotColumn, previous, v, true, false, -1.0, 1.0);
            }
            v.muli(1.0 / Math.sqrt(pivot2));
            PortableOperands.rows(factors, rank, rank + 1).assign(v);
            return v.reshape(size).toDoubleVector();
        } finally {
            Buffers.close(v);
        }
    }

    /** {@code k(x_p, X)} as a new 1 x N DOUBLE row, computed on the host in double. */
    private INDArray kernelRow(int p) {
        ExactKernelColumn.compute(x, p, lengthScale, column);
        return Nd4j.createFromArray(column).reshape(1, size);
    }

    @Override
    void release() {
        Buffers.close(factors);
    }
}
