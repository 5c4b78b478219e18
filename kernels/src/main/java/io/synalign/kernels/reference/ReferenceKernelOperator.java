package io.synalign.kernels.reference;

import io.synalign.kernels.AbstractKernelOperator;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The reference backend's kernel operator ({@link ReferenceBackend#rbfOperator}): the float64
 * oracle, tiled (each entry recomputed in double per product, nothing kept) or kept (K built
 * once in float64, so its products are bit-identical to the tiled ones).
 *
 * <p>Cancellation ({@link Cancellation}): a product walks K in tiles of the plan's
 * {@code tileRows} rows and asks for the calling thread's interrupt before each (a field read
 * against {@code tileRows x m x d} entries' work), throwing the contract's
 * {@link java.util.concurrent.CancellationException}, status kept set, {@code out} partly
 * written (the rows of the tiles done: unspecified by {@link KernelOperator}'s contract, which
 * no caller reads; writing a scratch and copying it at the end would cost an n-vector and a
 * pass for nothing), {@code w} and the operator unchanged. A tiled product is O(n m d), single-threaded: at 10^6 rows, hours. The check sits
 * between rows, so the arithmetic is that of the unchecked loop.
 */
final class ReferenceKernelOperator extends AbstractKernelOperator {

    /** What an interrupted product names ({@link Cancellation}). */
    private static final String CANCELLED = "reference kernel product (tile)";

    private final ReferenceBackend backend;
    private final FloatMatrix x;
    private final FloatMatrix y;
    private final double sigma;
    private final TilePlan plan;
    /** K in float64, row-major, when kept; null for a tiled operator. */
    private final double[] kept;
    private final int tileRows;
    /** Told the number of each tile of a product as it starts (tests place interrupts so). */
    private IntConsumer tileStarted = tile -> { };

    ReferenceKernelOperator(ReferenceBackend backend, FloatMatrix x, FloatMatrix y, double sigma,
            TilePlan plan, double[] kept, BackendLifetime lifetime) {
        super(x.rows(), y.rows(), lifetime);
        this.backend = backend;
        this.x = x;
        this.y = y;
        this.sigma = sigma;
        this.plan = plan;
        this.kept = kept;
        this.tileRows = Math.max(1, plan.tileRows());
    }

    /** Tells {@code hook} of each tile of a product as it starts. */
    void onTileStarted(IntConsumer hook) {
        this.tileStarted = hook;
    }

    @Override
    public boolean materialised() {
        return kept != null;
    }

    @Override
    public String storageDescription() {
        return kept != null ? "kept, fp64" : "tiled";
    }

    @Override
    protected void multiplyChecked(double[] w, double[] out) {
        int m = y.rows();
        for (int i = 0; i < x.rows(); i++) {
            if (i % tileRows == 0) {
                Cancellation.stopIfInterrupted(CANCELLED);
                tileStarted.accept(i / tileRows);
            }
            double s = 0;
            for (int j = 0; j < m; j++) {
                double k = kept != null ? kept[i * m + j]
                        : ReferenceBackend.rbf(ReferenceBackend.distance2(x, i, y, j), sigma);
                s += k * w[j];
            }
            out[i] = s;
        }
    }

    @Override
    protected void rowSumsChecked(double[] out) {
        double[] ones = new double[y.rows()];
        Arrays.fill(ones, 1.0);
        multiplyChecked(ones, out);
    }

    /** A self-kernel (X and Y the same object) offers submatrices, kept or tiled. */
    @Override
    public boolean offersPrincipalSubmatrix() {
        return x == y;
    }

    /**
     * The kernel of the selected rows, kept (in float64) when it fits the budget beside this
     * one: a kept parent counts its own {@code 8 n^2} bytes and the submatrix's {@code 8 |I|^2}
     * (as {@link ReferenceBackend#keptKernelBytes} does); a tiled parent keeps nothing, so the
     * submatrix alone must fit. Beyond the budget a kept parent gives none and a tiled one a
     * tiled submatrix (it keeps nothing either). Keeping a tiled parent's submatrix changes no
     * value: a kept product reads the very doubles a tiled one computes, in the same order, so
     * the two are bit-identical; it only turns each product on the set from {@code O(|I|^2 d)}
     * into {@code O(|I|^2)} after one {@code O(|I|^2 d)} build, the work of one tiled product.
     */
    @Override
    protected KernelOperator principalSubmatrixChecked(int[] indices, long budget) {
        if (x != y) {
            return null;
        }
        long held = kept != null ? 8L * kept.length : 0;
        long own = backend.keptKernelBytes(indices.length, indices.length, true, plan.storage());
        boolean fits = own != Long.MAX_VALUE && held + own <= budget;
        if (kept != null && !fits) {
            return null;
        }
        FloatMatrix rows = x.selectRows(indices);
        return backend.rbfOperator(rows, rows, sigma, fits
                ? new TilePlan(true, plan.tileRows()) : TilePlan.tiled(plan.tileRows()));
    }

    @Override
    protected void release() {
    }
}
