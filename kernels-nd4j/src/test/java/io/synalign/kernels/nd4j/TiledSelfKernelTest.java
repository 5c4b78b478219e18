package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.host.HostVector;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tiled K_XX ({@link Nd4jKernelOperator} with the same rows on both sides) computes only the
 * blocks on and above its diagonal and uses each one off it for the block below too (helper
 * symt30): its products against an independent double oracle at awkward sizes and bandwidths
 * (ordinary, and flat at 10 and 30 times the median distance, where every block takes the
 * double sums of {@code flatBlockProduct} on both sides), the blocks a product starts, the exact
 * symmetry that follows (the old code computed K_ij and K_ji apart and they differed), and
 * cancellation. Bitwise determinism across thread counts is {@link ThreadCountDeterminismTest}'s
 * ({@code tiledSelf}, {@code tiledSelfFlat}, {@code tiledSelfEach}).
 */
class TiledSelfKernelTest {

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
    }

    /** The median of the rows' pairwise distances (in double): the median heuristic. */
    private static double medianDistance(FloatMatrix x) {
        int n = x.rows();
        if (n < 2) {
            return 1.0;
        }
        double[] d = new double[n * (n - 1) / 2];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                d[k++] = Math.sqrt(squaredDistance(x, i, j));
            }
        }
        Arrays.sort(d);
        return d[d.length / 2];
    }

    private static double squaredDistance(FloatMatrix x, int i, int j) {
        float[] v = x.data();
        int dim = x.cols();
        double s = 0;
        for (int k = 0; k < dim; k++) {
            double diff = (double) v[i * dim + k] - v[j * dim + k];
            s += diff * diff;
        }
        return s;
    }

    /**
     * {@code out = G w} and {@code scale = |G| |w|} with {@code g_ij = expm1(-d_ij^2 / (2
     * sigma^2))} in double ({@code K = G + 1 1^T}): the oracle keeps {@code 1 - k} to double
     * precision, so it holds a flat K to what its products must keep.
     */
    private static void oracle(FloatMatrix x, double sigma, double[] w, double[] out,
            double[] scale) {
        int n = x.rows();
        for (int i = 0; i < n; i++) {
            double s = 0;
            double a = 0;
            for (int j = 0; j < n; j++) {
                double g = Math.expm1(-squaredDistance(x, i, j) / (2 * sigma * sigma));
                s += g * w[j];
                a += Math.abs(g * w[j]);
            }
            out[i] = s;
            scale[i] = a;
        }
    }

    private static double[] weights(int n, long seed) {
        Random r = new Random(seed);
        double[] w = new double[n];
        for (int j = 0; j < n; j++) {
            w[j] = r.nextDouble() - 0.4;
        }
        return w;
    }

    /**
     * {@code ||K w - (G w + 1 sum w)|| / || |G| |w| ||}: the error held to the flat part's own
     * size, which at 30 x the median is about 5e-4 of K's (a product whose K kept only
     * {@code 3e-8} of {@code 1 - k} absolutely would be off by about {@code 1e-4} of it).
     */
    private static double error(double[] got, double[] g, double[] scale, double[] w) {
        double sum = 0;
        for (double v : w) {
            sum += v;
        }
        double err = 0;
        double norm = 0;
        for (int i = 0; i < got.length; i++) {
            double e = got[i] - (g[i] + sum);
            err += e * e;
            norm += scale[i] * scale[i];
        }
        // One row: G = 0, and K w = w must be exact.
        return Math.sqrt(err) / Math.max(Math.sqrt(norm), Double.MIN_NORMAL);
    }

    /**
     * Products, row sums and a {@code multiplyEach} of two vectors, within 2e-6 of the double
     * oracle (normwise, in {@code |G| |w|}), at 1, 2 and 37 rows (the fit's plan: a single
     * tile; 1 row, a single block), and at 293, 611 and 1,037 rows under tiles cutting them into
     * 7, 13 and 3 block rows with a short last one (the fit's plan at 1,037: blocks of 366); each
     * at the median bandwidth, a quarter of it, and 10 and 30 times it (flat: every block shifted,
     * both sides summed in double). Measured 1.7e-10 to 4.6e-8 for K w (the old code, which
     * computed K_ij and K_ji apart, the same to two digits).
     */
    @ParameterizedTest(name = "{0} x {1}, tiles of {2} rows")
    @CsvSource({"1, 5, 0", "2, 7, 0", "37, 13, 0", "293, 7, 64", "611, 29, 32", "1037, 13, 0"})
    void productsMatchADoubleOracleAtAwkwardSizes(int n, int d, int tileRows) {
        FloatMatrix x = GaussianRows.of(n, d, 17L * n + d);
        TilePlan plan = TilePlan.tiled(tileRows > 0 ? tileRows
                : TilePlan.tileRowsFor(n, n, TilePlan.DEFAULT_TILE_BYTES));
        double median = medianDistance(x);
        double[] w = weights(n, n);
        double[] v = weights(n, n + 1);
        double[] ones = new double[n];
        Arrays.fill(ones, 1.0);
        for (double factor : new double[] {0.25, 1, 10, 30}) {
            double sigma = factor * median;
            String what = n + " x " + d + " at " + factor + " x the median, tiles of "
                    + plan.tileRows();
            try (Nd4jKernelOperator k = new Nd4jKernelOperator(x, x, sigma, plan, null)) {
                double[] got = new double[n];
                double[] g = new double[n];
                double[] scale = new double[n];
                k.multiply(w, got);
                oracle(x, sigma, w, g, scale);
                double e = error(got, g, scale, w);
                assertTrue(e <= 2e-6, what + ": K w off the oracle by " + e);
                if (factor >= 10 && n > 1) {
                    assertTrue(k.shiftedPieces() > 0, what + ": no piece shifted");
                }

                k.rowSums(got);
                oracle(x, sigma, ones, g, scale);
                e = error(got, g, scale, ones);
                assertTrue(e <= 2e-6, what + ": row sums off the oracle by " + e);

                DeviceVector[] in = {new HostVector(w.clone()), new HostVector(v.clone())};
                DeviceVector[] out = {new HostVector(new double[n]),
                    new HostVector(new double[n])};
                k.multiplyEach(in, out);
                double[][] vectors = {w, v};
                for (int t = 0; t < 2; t++) {
                    oracle(x, sigma, vectors[t], g, scale);
                    e = error(HostVector.array(out[t]), g, scale, vectors[t]);
                    assertTrue(e <= 2e-6, what + ": multiplyEach's vector " + t
                            + " off the oracle by " + e);
                }
            }
        }
    }

    /**
     * A product starts the {@code R (R + 1) / 2} blocks on and above the diagonal of its
     * {@code R x R} grid, each once; a cross-kernel of the same sizes all {@code R^2}. Fails on
     * the old code (every block of K_XX: 49 of 49 at 293 rows, tiles of 64).
     */
    @Test
    void aSelfKernelProductComputesTheUpperTriangleOfItsBlocks() {
        FloatMatrix x = GaussianRows.of(293, 7, 3);
        FloatMatrix y = GaussianRows.of(293, 7, 4);
        double[] w = weights(293, 5);
        try (Nd4jKernelOperator self = new Nd4jKernelOperator(x, x, 2.0, TilePlan.tiled(64), null);
                Nd4jKernelOperator cross = new Nd4jKernelOperator(x, y, 2.0, TilePlan.tiled(64),
                        null)) {
            UnitStarts selfStarts = new UnitStarts(0);
            self.onBlockStarted(selfStarts::start);
            self.multiply(w, new double[293]);
            UnitStarts crossStarts = new UnitStarts(0);
            cross.onBlockStarted(crossStarts::start);
            cross.multiply(w, new double[293]);
            int all = crossStarts.started().size();
            int side = (int) Math.round(Math.sqrt(all));
            assertEquals(side * side, all, "a cross-kernel's square grid");
            assertTrue(side >= 3, "block rows " + side);
            assertEquals(side * (side + 1) / 2, selfStarts.started().size(),
                    "blocks of a self-kernel product (of " + all + ")");
            assertEquals(selfStarts.started().size(),
                    selfStarts.started().stream().distinct().count(), "each block once");
        }
    }

    /**
     * {@code (K e_j)_i == (K e_i)_j} bit for bit wherever i and j lie in different blocks: both
     * come from the one stored value of the block above the diagonal, the row side by its GEMV
     * (or double sum), the column side by the transposed strips (or double sums), plus, on a
     * shifted piece, the same exact 1. On the old code the two were separate GEMM entries, whose
     * roundings differ (the rows are augmented differently on the two sides of the GEMM).
     */
    @Test
    void offDiagonalBlocksAreExactlySymmetric() {
        int n = 611;
        FloatMatrix x = GaussianRows.of(n, 29, 8);
        double median = medianDistance(x);
        int[] picks = {0, 45, 100, 199, 301, 402, 503, 610};
        for (double factor : new double[] {1, 10}) {
            try (Nd4jKernelOperator k = new Nd4jKernelOperator(x, x, factor * median,
                    TilePlan.tiled(32), null)) {
                double[][] columns = new double[picks.length][n];
                for (int t = 0; t < picks.length; t++) {
                    double[] e = new double[n];
                    e[picks[t]] = 1;
                    k.multiply(e, columns[t]);
                }
                int side = (int) Math.sqrt(32.0 * n / Nd4jKernelOperator.BLOCKS_PER_TILE);
                int compared = 0;
                int differ = 0;
                StringBuilder first = new StringBuilder();
                for (int a = 0; a < picks.length; a++) {
                    for (int b = a + 1; b < picks.length; b++) {
                        if (picks[a] / side == picks[b] / side) {
                            continue;
                        }
                        compared++;
                        double kij = columns[b][picks[a]];
                        double kji = columns[a][picks[b]];
                        if (kij != kji) {
                            differ++;
                            if (first.length() == 0) {
                                first.append(picks[a]).append(", ").append(picks[b]).append(": ")
                                        .append(kij).append(" against ").append(kji);
                            }
                        }
                    }
                }
                assertTrue(compared >= 20, "pairs compared: " + compared);
                assertEquals(0, differ, "at " + factor + " x the median, " + differ + " of "
                        + compared + " pairs K_ij != K_ji, first " + first);
            }
        }
    }

    /**
     * Interrupted at its fifth block, a self-kernel product stops (no worker starts more than
     * one block after it), throws with the status kept, and the next uninterrupted product gives
     * the bits of one before; flat, so both the double sums and the mirrored slots' pairs are
     * rewritten.
     */
    @Test
    void anInterruptedSelfKernelProductStopsAndTheNextIsWhole() {
        FloatMatrix x = GaussianRows.of(293, 7, 9);
        double[] w = weights(293, 10);
        for (double sigma : new double[] {1.3, 300}) {
            try (Nd4jKernelOperator op = new Nd4jKernelOperator(x, x, sigma, TilePlan.tiled(16),
                    null)) {
                double[] whole = new double[293];
                op.multiply(w, whole);
                UnitStarts cut = new UnitStarts(5);
                op.onBlockStarted(cut::start);
                assertThrows(CancellationException.class, () -> op.multiply(w, new double[293]),
                        "the product ran to its end after the interrupt");
                assertTrue(Thread.interrupted(), "the interrupt status is kept");
                assertTrue(cut.afterInterrupt().size() <= PinnedWorkers.count() - 1,
                        "blocks started after the interrupt: " + cut.afterInterrupt());
                op.onBlockStarted(b -> { });
                double[] again = new double[293];
                op.multiply(w, again);
                assertArrayEquals(whole, again, "sigma " + sigma
                        + ": uninterrupted after a cancelled one, the same bits");
            }
        }
    }
}
