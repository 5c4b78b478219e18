package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.GpVarianceTracker;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GP posterior variances over N rows, updated by one pivoted-Cholesky step per conditioning row
 * (see {@link GpVarianceTracker} for the algorithm; it is the exploration step of "Few-shot LLM
 * Synthetic Data with Distribution Matching", WWW 2025).
 *
 * <p>Per {@link #condition}: the kernel column {@code k(X, x_p)} is one SGEMV of the augmented
 * rows (see {@link DistanceGemm}) against row p's partner vector, then a clamp and exp on the
 * host copy, written straight into the new factor row, O(N d); then {@code v = (k - V V[p]^T) / sqrt(var_p + s^2)} is one DGEMV straight into
 * row t of the factor store plus a DSCAL, O(N t); then {@code var -= v^2}, O(N).
 *
 * <p>Precision: X and the kernel column are float32, but the factor V ({@code maxRank x N},
 * stored transposed so each new factor is a contiguous row) and the variances are float64. The
 * variance is a downdate, {@code 1 - sum_t v_t^2}, that cancels towards 0 exactly where the
 * sampler looks next, and each step divides by {@code sqrt(var_p + s^2)}, which is small for small
 * noise; in float32 both the rounding of every stored factor and of the running sum would be
 * amplified step after step (and a variance rounded below -s^2 makes the next pivot NaN). In
 * float64 the recurrence adds nothing to the float32 error of the kernel columns. The price is
 * {@code 8 N maxRank} bytes and a DGEMV at half the SGEMV rate, which for t up to d is no more than
 * the kernel column itself.
 *
 * <p>Not thread-safe.
 */
final class Nd4jGpVarianceTracker extends HostVarianceTracker {

    private final int dim;
    private final int depth;
    private final float alpha;
    private final INDArray rows;
    private final INDArray partner;
    private final INDArray column;
    private final INDArray factors;
    private final FloatPointer rowsPtr;
    private final FloatPointer partnerPtr;
    private final FloatPointer columnPtr;
    private final DoublePointer factorsPtr;
    private final float[] partnerHost;
    private final float[] columnHost;
    private final double[] factorHost;

    Nd4jGpVarianceTracker(FloatMatrix x, double lengthScale, double noise, int maxRank) {
        super(x.rows(), lengthScale, noise, maxRank);
        this.dim = x.cols();
        this.depth = DistanceGemm.depthFor(dim);
        this.alpha = (float) (1.0 / (lengthScale * lengthScale));
        this.rows = DistanceGemm.leftRows(x);
        this.partner = Buffers.floats(depth);
        this.column = Buffers.floats(size);
        // Uninitialised: only rows below the rank are ever read, and memory for rank capacity
        // that is never used is never committed.
        this.factors = Buffers.scratchDoubles((long) maxRank * size);
        this.rowsPtr = Buffers.floatPointer(rows);
        this.partnerPtr = Buffers.floatPointer(partner);
        this.columnPtr = Buffers.floatPointer(column);
        this.factorsPtr = Buffers.doublePointer(factors);
        this.partnerHost = new float[depth];
        this.columnHost = new float[size];
        this.factorHost = new double[size];
    }

    @Override
    double[] newFactor(int p, double pivot2) {
        kernelColumn(p);
        DoublePointer target = OpenBlas.at(factorsPtr, (long) rank * size);
        for (int i = 0; i < size; i++) {
            // Clamp: no exponent may round above 0 (k <= 1).
            factorHost[i] = Math.exp(Math.min(columnHost[i], 0f));
        }
        // The self-distance is 0: the float32 ||x||^2 + ||x||^2 - 2 x.x leaves a residue that a
        // small length scale turns into k(x_p, x_p) well below 1.
        factorHost[p] = 1.0;
        target.put(factorHost, 0, size);
        if (rank > 0) {
            // v = k - V[:, :t] V[p, :t]^T, with V stored transposed (factor t = row t), so
            // V[p, :t] is column p of the store: read in place with stride N. The output row
            // t is not among the rows read.
            OpenBlas.dgemvTransposedAdd(rank, size, -1.0, factorsPtr, OpenBlas.at(factorsPtr, p),
                    size, target);
        }
        OpenBlas.dscal(size, 1.0 / Math.sqrt(pivot2), target);
        target.get(factorHost, 0, size);
        return factorHost;
    }

    /**
     * {@code columnHost = k(X, x_p)}: one SGEMV for the exponents, then clamp and exp on the host
     * copy. The epilogue runs in Java on purpose: on an N-vector ND4J's op dispatch
     * ({@code Transforms.min} + {@code Transforms.exp}) measured about six times the cost of the
     * two GEMVs of a step together (JFR, N = 20,000), while the loop below is a few microseconds
     * per thousand rows.
     */
    private void kernelColumn(int p) {
        // Row p is stored as [x_p, -||x_p||^2 / 2, 1]; its partner swaps the last two.
        OpenBlas.at(rowsPtr, (long) p * depth).get(partnerHost, 0, depth);
        float half = partnerHost[dim];
        partnerHost[dim] = 1f;
        partnerHost[dim + 1] = half;
        partnerPtr.put(partnerHost, 0, depth);
        OpenBlas.gemv(size, depth, alpha, rowsPtr, partnerPtr, columnPtr);
        columnPtr.get(columnHost, 0, size);
    }

    @Override
    void release() {
        Buffers.close(rows, partner, column, factors);
    }
}
