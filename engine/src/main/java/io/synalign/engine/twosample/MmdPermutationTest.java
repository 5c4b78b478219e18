package io.synalign.engine.twosample;

import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.SplittableRandom;

/**
 * The kernel two-sample test (Gretton et al. 2012, "A Kernel Two-Sample Test", JMLR): the biased
 * MMD² between X (n rows) and Y (m rows) with the RBF kernel of bandwidth sigma, and its
 * permutation p-value: the pooled rows are split at random into sets of n and m, P times, and
 * {@code p = (1 + #{MMD²_perm >= MMD²_obs}) / (1 + P)}.
 *
 * <p>The statistic of a split with coefficient vector {@code a} ({@code +1/n} on the rows taken
 * as X, {@code -1/m} on the others) is {@code a^T K a} over the pooled kernel matrix K. K is built
 * once ({@link KernelBackend#rbfBlock}), and the permutations are evaluated in batches as one
 * product {@code K A} ({@link KernelBackend#innerProducts} of K against the batch's coefficient
 * rows, a GEMM on ND4J and CUDA), not one at a time. Cost: (n + m)² d for K plus
 * (n + m)² P for the permutations; memory (n + m)² floats for K plus one batch.
 */
public final class MmdPermutationTest {

    /** Permutations evaluated per product. */
    static final int BATCH = 64;

    /** The observed statistic and its permutation p-value. */
    public record Result(double mmd2, double pValue, int permutations) {
    }

    private MmdPermutationTest() {
    }

    /**
     * @param permutations P, at least 1
     * @throws IllegalArgumentException when a set is empty, the dimensions differ, P &lt; 1, or a
     *     row holds a value that is not finite (naming the set, row and column)
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted,
     *     checked before the kernel and every batch of {@value #BATCH} permutations
     *     ({@link io.synalign.kernels.Cancellation}); the status is kept set, nothing returned
     */
    public static Result test(KernelBackend backend, FloatMatrix x, FloatMatrix y, double sigma,
            int permutations, long seed) {
        if (x.rows() == 0 || y.rows() == 0) {
            throw new IllegalArgumentException("both sets need rows: " + x.rows() + " and " + y.rows());
        }
        if (x.cols() != y.cols()) {
            throw new IllegalArgumentException("dimension mismatch: " + x.cols() + " vs " + y.cols());
        }
        if (permutations < 1) {
            throw new IllegalArgumentException("permutations must be at least 1: " + permutations);
        }
        // A NaN row made MMD^2 NaN, reported with a p-value as if it were a result.
        x.requireFinite("x");
        y.requireFinite("y");
        int n = x.rows();
        int m = y.rows();
        int total = n + m;
        if ((long) total * total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the pooled kernel matrix of " + total
                    + " rows does not fit one array; subsample the sets");
        }
        float[] pooled = new float[total * x.cols()];
        System.arraycopy(x.data(), 0, pooled, 0, n * x.cols());
        System.arraycopy(y.data(), 0, pooled, n * x.cols(), m * x.cols());
        FloatMatrix z = new FloatMatrix(total, x.cols(), pooled);
        float[] k = new float[total * total];
        Cancellation.stopIfInterrupted("MMD permutation test");
        backend.rbfBlock(z, z, sigma, k);
        FloatMatrix kernel = new FloatMatrix(total, total, k);

        int[] identity = new int[total];
        for (int i = 0; i < total; i++) {
            identity[i] = i;
        }
        double observed = statistics(backend, kernel, new int[][] {identity}, n, m)[0];
        SplittableRandom random = new SplittableRandom(seed);
        int atLeast = 0;
        for (int start = 0; start < permutations; start += BATCH) {
            // Once per batch of permutations (one product K A): see Cancellation.
            Cancellation.stopIfInterrupted("MMD permutation test (batch of permutations)");
            int count = Math.min(BATCH, permutations - start);
            int[][] orders = new int[count][];
            for (int p = 0; p < count; p++) {
                orders[p] = shuffled(total, random);
            }
            for (double s : statistics(backend, kernel, orders, n, m)) {
                // A relative tolerance: a permutation equal to the observed split in exact
                // arithmetic must count, whatever float32 rounding does to it.
                if (s >= observed - 1e-6 * Math.abs(observed)) {
                    atLeast++;
                }
            }
        }
        return new Result(observed, (1.0 + atLeast) / (1.0 + permutations), permutations);
    }

    /**
     * {@code a_p^T K a_p} for each split p, where split p takes the rows {@code orders[p][0..n)}
     * as X: one product K A for the batch, then one dot product per column, in double.
     */
    static double[] statistics(KernelBackend backend, FloatMatrix kernel, int[][] orders, int n, int m) {
        int total = kernel.rows();
        int count = orders.length;
        float[] a = new float[count * total];
        for (int p = 0; p < count; p++) {
            for (int r = 0; r < total; r++) {
                a[p * total + orders[p][r]] = r < n ? (float) (1.0 / n) : (float) (-1.0 / m);
            }
        }
        FloatMatrix coefficients = new FloatMatrix(count, total, a);
        float[] ka = new float[total * count];
        backend.innerProducts(kernel, coefficients, ka); // (K A)[i, p] = K_i . a_p
        double[] out = new double[count];
        for (int i = 0; i < total; i++) {
            for (int p = 0; p < count; p++) {
                out[p] += (double) a[p * total + i] * ka[i * count + p];
            }
        }
        return out;
    }

    private static int[] shuffled(int total, SplittableRandom random) {
        int[] o = new int[total];
        for (int i = 0; i < total; i++) {
            o[i] = i;
        }
        for (int i = total - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }
}
