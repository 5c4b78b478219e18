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

    /**
     * The kernel of the selected rows, kept when this one is: a tiled one keeps nothing, so any
     * budget fits; a kept one must fit both matrices in the budget.
     */
    @Override
    protected KernelOperator principalSubmatrixChecked(int[] indices, long budget) {
        if (x != y) {
            return null;
        }
        if (kept != null && 8L * kept.length + 8L * indices.length * indices.length > budget) {
            return null;
        }
        FloatMatrix rows = x.selectRows(indices);
        return backend.rbfOperator(rows, rows, sigma, plan);
    }

    @Override
    protected void release() {
    }
}
