package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.GpVarianceTracker;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * GP posterior variances over N rows, one pivoted-Cholesky step per conditioning row (see
 * {@link GpVarianceTracker}; the exploration step of "Few-shot LLM Synthetic Data with
 * Distribution Matching", WWW 2025), with ND4J INDArray operations only: the portable path
 * ({@link Nd4jPath#PORTABLE}).
 *
 * <p>Per {@link #condition}: the exponents {@code -||x_i - x_p||^2 / (2 l^2)} are one float32
 * {@code Nd4j.gemm} of row p's partner vector against the augmented rows (see
 * {@link PortableOperands}), O(N d); they are cast to float64, clamped at 0 and exponentiated in
 * place; {@code v = (k - V V[p]^T) / sqrt(var_p + s^2)} is one float64 GEMM with
 * {@code beta = 1} straight into the new factor plus a scalar multiply, O(N t); v is assigned
 * into row t of the factor store, then copied to the host, where {@code var -= v^2}, O(N).
 *
 * <p>Precision as on the CPU path ({@link Nd4jGpVarianceTracker}, whose javadoc says why): X and
 * the exponents are float32, the factor V ({@code maxRank x N} DOUBLE, one factor per row) and
 * the variances are float64. The variances live on the host, updated from each step's v (N
 * doubles copied per step, against the O(N t) GEMM on the device), so {@link #variance} costs no
 * device round trip and {@link #argmax} keeps the SPI's exact tie and NaN rules
 * ({@link Argmax}), which ND4J's {@code argMax} does not promise. Memory {@code 8 N maxRank}
 * bytes plus {@code 4 N (d + 2)}. Not thread-safe.
 */
final class PortableGpVarianceTracker extends HostVarianceTracker {

    private final FloatMatrix x;
    private final float alpha;
    /** The centre the stored rows and every partner row are taken about. */
    private final double[] centre;
    private final INDArray rows;
    private final INDArray exponents;
    private final INDArray factors;

    PortableGpVarianceTracker(FloatMatrix x, double lengthScale, double noise, int maxRank) {
        super(x.rows(), lengthScale, noise, maxRank);
        this.x = x;
        this.alpha = (float) (1.0 / (lengthScale * lengthScale));
        this.centre = AugmentedRows.centre(x, x);
        this.rows = PortableOperands.leftRows(x, centre);
        this.exponents = Nd4j.create(DataType.FLOAT, 1, Math.max(1, size));
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

    /**
     * {@code k(x_p, X)} as a new 1 x N DOUBLE row: one float32 GEMM for the exponents, then cast,
     * clamp (the exponent of x_p against itself must not round above 0) and exp in float64.
     */
    private INDArray kernelRow(int p) {
        INDArray partner = PortableOperands.matrix(
                AugmentedRows.host(x.rowRange(p, p + 1), centre, false), 1,
                DistanceGemm.depthFor(x.cols()));
        try {
            Nd4j.gemm(partner, rows, exponents, false, true, alpha, 0.0);
        } finally {
            Buffers.close(partner);
        }
        INDArray k = exponents.castTo(DataType.DOUBLE);
        Transforms.min(k, 0.0, false);
        Transforms.exp(k, false);
        k.putScalar(0, p, 1.0); // the self-distance is 0 (the float32 form leaves a residue)
        return k;
    }

    @Override
    void release() {
        Buffers.close(rows, exponents, factors);
    }
}
