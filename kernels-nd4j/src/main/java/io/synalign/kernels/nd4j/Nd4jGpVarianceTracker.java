package io.synalign.kernels.nd4j;

import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.host.ExactKernelColumn;
import org.bytedeco.javacpp.DoublePointer;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GP posterior variances over N rows, updated by one pivoted-Cholesky step per conditioning row
 * (see {@link GpVarianceTracker} for the algorithm; it is the exploration step of "Few-shot LLM
 * Synthetic Data with Distribution Matching", WWW 2025).
 *
 * <p>Per {@link #condition}: the kernel column {@code k(X, x_p)} is one DGEMV of the augmented
 * rows {@code [x_i - c, -||x_i - c||^2 / 2, 1]} (in double, about a coordinate-wise median c, as
 * {@link AugmentedRows} in float) against row p's partner, then a clamp and exp, written
 * straight into the new factor row, O(N d); then {@code v = (k - V V[p]^T) / sqrt(var_p + s^2)}
 * is one DGEMV into row t of the factor store plus a DSCAL, O(N t); then {@code var -= v^2},
 * O(N). Both DGEMVs run in fixed blocks of rows on the pinned workers ({@link #newFactor}), so
 * the variances are the same bits whatever the thread count. Entries of rows far from c, or at a length scale far below the rows' spread, are
 * recomputed by the difference form ({@link #repairFarEntries}).
 *
 * <p>Precision: X is float32, but the augmented rows, the kernel column, the factor V
 * ({@code maxRank x N}, stored transposed so each new factor is a contiguous row) and the
 * variances are float64. The variance is a downdate, {@code 1 - sum_t v_t^2}, that cancels
 * towards 0 exactly where the sampler looks next, and each step divides by
 * {@code sqrt(var_p + s^2)}, which is small for small noise and for a row near one already
 * conditioned on: an error in any column is amplified by it. The column was a float32 SGEMV
 * (its rounding a few {@code eps32 (||x_i - c||^2 + ||x_p - c||^2)}) until that showed: near
 * copies put the variances 1e-4 off the float64 reference (see {@link ExactKernelColumn}, the
 * portable path's column). In double the same rounding is 2^29 times smaller. The price is
 * {@code 8 N (d + 2)} bytes for the rows, twice the float32 rows' read per column (measured in
 * docs/PERFORMANCE.md), and {@code 8 N maxRank} bytes for V.
 *
 * <p>Not thread-safe.
 */
final class Nd4jGpVarianceTracker extends HostVarianceTracker {

    /** An exponent error below this is double rounding of the kernel's own size. */
    static final double EXPONENT_TOLERANCE = 1e-12;
    /** A kernel value below exp(-this), 2e-22, is 0 to every variance in double. */
    static final double NEGLIGIBLE_EXPONENT = 50;

    private final int depth;
    private final double alpha;
    private final INDArray rows;
    private final INDArray partner;
    private final INDArray factors;
    private final DoublePointer rowsPtr;
    private final DoublePointer partnerPtr;
    private final DoublePointer factorsPtr;
    private final double[] partnerHost;
    private final double[] factorHost;
    private final FloatMatrix x;
    /** {@code ||x_i - c||^2} per row. */
    private final double[] radius2;
    /** Half the {@code r_i + r_p} above which an exponent's rounding can matter. */
    private final double halfLimit;
    /** The rows with {@code r_i > halfLimit}, ascending. */
    private final int[] farRows;

    /** Rounding of a DGEMV exponent per unit of {@code alpha (r_i + r_p)}. */
    private final double eps;

    Nd4jGpVarianceTracker(FloatMatrix x, double lengthScale, double noise, int maxRank,
            BackendLifetime backend) {
        super(x.rows(), lengthScale, noise, maxRank, backend);
        int dim = x.cols();
        this.depth = AugmentedRows.depthFor(dim);
        this.alpha = 1.0 / (lengthScale * lengthScale);
        try (NativeScope scope = new NativeScope()) { // those taken go where one is refused
            this.rows = scope.own(Buffers.scratchDoubles(Math.max(1L, (long) size * depth)));
            this.partner = scope.own(Buffers.scratchDoubles(depth));
            // Uninitialised: only rows below the rank are ever read, and memory for rank
            // capacity that is never used is never committed.
            this.factors = scope.own(Buffers.scratchDoubles((long) maxRank * size));
            scope.transfer();
        }
        this.rowsPtr = Buffers.doublePointer(rows);
        this.partnerPtr = Buffers.doublePointer(partner);
        this.factorsPtr = Buffers.doublePointer(factors);
        this.partnerHost = new double[depth];
        this.factorHost = new double[size];
        this.x = x;
        this.radius2 = new double[size];
        // A dot product of depth d + 2 and the norms: (d + 4) roundings of 2^-53 at worst.
        this.eps = Math.ulp(1.0) / 2 * (dim + 4);
        this.halfLimit = EXPONENT_TOLERANCE / (alpha * eps) / 2;
        double[] centre = AugmentedRows.centre(x, x);
        double[] row = new double[depth];
        int far = 0;
        for (int i = 0; i < size; i++) {
            AugmentedRows.leftRow(x, i, centre, row);
            OpenBlas.at(rowsPtr, (long) i * depth).put(row, 0, depth);
            radius2[i] = -2 * row[dim];
            far += radius2[i] > halfLimit ? 1 : 0;
        }
        this.farRows = new int[far];
        for (int i = 0, f = 0; i < size; i++) {
            if (radius2[i] > halfLimit) {
                farRows[f++] = i;
            }
        }
    }

    /**
     * Rows per block of a new factor: each block of rows is computed whole by one pinned worker
     * ({@link PinnedWorkers#forEachBlock}), its GEMVs single-threaded, so the grid, and the
     * bits of the variances, depend on N alone. One DGEMV on OpenBLAS's own threads rounds by
     * their count ({@code select}'s variances moved in their 8th digit between 1 and 2 threads,
     * review 23). 512 rows of {@code d + 2} doubles (1.5 MiB at d = 384) keep the blocks many
     * enough to share out and each call long against its overhead.
     */
    static final int FACTOR_ROWS = 512;

    /**
     * What an interrupted {@link #condition} names ({@link io.synalign.kernels.Cancellation}):
     * it asks before each block of the new factor, and a cancelled one changes nothing (the
     * rank and the variances are updated only after the whole factor; its partly written row of
     * the store lies past the rank, unread, and the next factor overwrites it).
     */
    static final String CANCELLED = "GP variance factor (block of rows)";

    /**
     * The next factor, {@code v = (k - V V[p]^T) / sqrt(pivot2)}, in fixed blocks of
     * {@link #FACTOR_ROWS} rows. Entry i of v needs row i of the augmented rows, column i of
     * the factor store and row p's (read only), so the blocks are independent, and each entry is
     * a sum over one block's call alone: no partials to combine. Nothing here is a triangular
     * solve; the Cholesky step's only sequential part, {@code var -= v^2}, is elementwise.
     */
    @Override
    double[] newFactor(int p, double pivot2) {
        // Row p is stored as [x_p - c, -||x_p - c||^2 / 2, 1]; its partner swaps the last two,
        // so row i times the partner is x_i . x_p - (||x_i||^2 + ||x_p||^2) / 2 (about c).
        OpenBlas.at(rowsPtr, (long) p * depth).get(partnerHost, 0, depth);
        double half = partnerHost[depth - 2];
        partnerHost[depth - 2] = 1;
        partnerHost[depth - 1] = half;
        partnerPtr.put(partnerHost, 0, depth);
        int blocks = (size + FACTOR_ROWS - 1) / FACTOR_ROWS;
        double scale = 1.0 / Math.sqrt(pivot2);
        PinnedWorkers.forEachBlock(CANCELLED, blocks, (worker, b) -> factorBlock(p, scale,
                b * FACTOR_ROWS, Math.min(FACTOR_ROWS, size - b * FACTOR_ROWS)));
        return factorHost;
    }

    /** Entries {@code start .. start + count - 1} of the new factor, into store and host. */
    private void factorBlock(int p, double scale, int start, int count) {
        DoublePointer target = OpenBlas.at(factorsPtr, (long) rank * size + start);
        OpenBlas.dgemv(count, depth, alpha, OpenBlas.at(rowsPtr, (long) start * depth),
                partnerPtr, target);
        target.get(factorHost, start, count);
        repairFarEntries(p, start, start + count);
        for (int i = start; i < start + count; i++) {
            // Clamp: no exponent may round above 0 (k <= 1).
            factorHost[i] = Math.exp(Math.min(factorHost[i], 0.0));
        }
        if (p >= start && p < start + count) {
            factorHost[p] = 1.0; // the self-distance is 0 exactly
        }
        target.put(factorHost, start, count);
        if (rank > 0) {
            // v = k - V[:, :t] V[p, :t]^T, with V stored transposed (factor t = row t), so
            // V[p, :t] is column p of the store: read in place with stride N, and this block's
            // columns of the first t rows with leading dimension N. Row t is not among them.
            OpenBlas.dgemvTransposedAdd(rank, count, size, -1.0, OpenBlas.at(factorsPtr, start),
                    OpenBlas.at(factorsPtr, p), size, target);
        }
        OpenBlas.dscal(count, scale, target);
        target.get(factorHost, start, count);
    }

    /**
     * Recomputes by the difference form ({@link ExactKernelColumn#squaredDistance}) the
     * exponents of column p's rows {@code from .. to - 1}, in {@link #factorHost}, whose DGEMV rounding can matter: the GEMV
     * form errs by about {@code alpha eps (r_i + r_p)} ({@code r = ||x - c||^2}), which is
     * nothing for rows about the centre at a median-heuristic length scale but not for rows far
     * from it (a cluster 1e6 away with exact copies in it: variances 2.5e-3 off the reference)
     * or at a length scale far below the rows' spread (l = 1e-8: an exact copy of a row
     * conditioned on kept a variance of 1). An entry needs it only when one of r_i, r_p exceeds
     * half the limit, so a column of a row near the centre checks the far rows alone (none,
     * usually), and only entries whose kernel value can be above exp(-NEGLIGIBLE_EXPONENT) are
     * recomputed.
     */
    private void repairFarEntries(int p, int from, int to) {
        double rp = radius2[p];
        if (rp <= halfLimit) {
            int f = Arrays.binarySearch(farRows, from);
            for (f = f >= 0 ? f : -f - 1; f < farRows.length && farRows[f] < to; f++) {
                repairEntry(farRows[f], p, rp);
            }
        } else {
            for (int i = from; i < to; i++) {
                repairEntry(i, p, rp);
            }
        }
    }

    private void repairEntry(int i, int p, double rp) {
        double bound = alpha * eps * (radius2[i] + rp);
        if (bound > EXPONENT_TOLERANCE && factorHost[i] + bound > -NEGLIGIBLE_EXPONENT) {
            factorHost[i] = -alpha * ExactKernelColumn.squaredDistance(x, i, p) / 2;
        }
    }

    @Override
    void release() {
        Buffers.close(rows, partner, factors);
    }
}
