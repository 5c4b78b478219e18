package io.synalign.kernels;

import java.util.BitSet;

/**
 * Posterior variance of a zero-mean Gaussian process over a fixed row set X (N rows), kept up to
 * date incrementally as rows join the conditioning set C.
 *
 * <p>Prior {@code k(x,y) = exp(-||x-y||^2 / (2 l^2))} (unit signal variance), observation noise
 * {@code s^2} on C, so {@code var(x|C) = 1 - k_C(x)^T (K_CC + s^2 I)^-1 k_C(x)}. With the
 * Cholesky factor {@code L L^T = K_CC + s^2 I} and {@code V = K_XC L^-T} (N x t), adding row p
 * is one step of pivoted Cholesky: compute the kernel column {@code k(X, x_p)} (O(N d)), then
 * {@code v = (k(X, x_p) - V V[p]^T) / sqrt(var(p) + s^2)} (O(N t)), append v to V and subtract
 * {@code v_i^2} from every variance. No refit, no t x t solve.
 *
 * <p>Accuracy, against the same updates in double precision (the contract tests' bounds,
 * absolute): every variance within {@code 1e-5} along a greedy sequence, and within {@code 1e-8}
 * (noise down to 0) when conditioning on near-copies of rows already conditioned on,
 * {@code 1e-9} for exact copies in a cluster far from the others or at a length scale far below
 * the rows' spacing. Such a step divides the new column by a tiny {@code sqrt(var_p + s^2)}, so
 * the kernel column must carry about float64 accuracy: the float32 GEMM form put every variance
 * about 1e-4 off. An implementation computes the columns and keeps V in double; {@link #argmax}
 * may break near-ties differently from the reference (its pick within 1e-5 of the best
 * variance). A tracker over no rows ({@code N = 0}) is valid: its {@link #argmax} is -1 and
 * every row number is out of range.
 *
 * <p>Not thread-safe; close to free backend memory, before the backend that made it (see
 * {@link KernelBackend}). A closed tracker refuses {@link #condition}, {@link #variance},
 * {@link #variances}, {@link #argmax} and {@link #reset} with an {@link IllegalStateException}
 * ({@code "variance tracker is closed"}); {@link #size}, {@link #rank}, {@link #maxRank} and
 * {@link #close} still answer.
 *
 * <p>Cancellation ({@link Cancellation}): the {@code nd4j} backend's {@link #condition} asks for
 * the calling thread's interrupt before each block of rows of the new factor and throws a
 * {@link java.util.concurrent.CancellationException}, status kept set, changing nothing (the
 * rank and the variances are as before; conditioning again gives the bits of an uninterrupted
 * tracker). The callers also ask once per pick.
 */
public interface GpVarianceTracker extends AutoCloseable {

    /** N, the number of rows tracked. */
    int size();

    /** t, the number of rows conditioned on so far. */
    int rank();

    /** The largest rank this tracker was sized for. */
    int maxRank();

    /**
     * Adds row {@code row} to the conditioning set (one rank-one update of every variance).
     *
     * @throws IllegalArgumentException when the row is outside {@code [0, N)}, or its
     *     variance plus the noise is not positive ({@link OperatorArguments#checkPivot})
     * @throws IllegalStateException when {@link #rank()} already equals {@link #maxRank()}
     */
    void condition(int row);

    /**
     * Current posterior variance of row {@code row}.
     *
     * @throws IllegalArgumentException when the row is outside {@code [0, N)}
     *     ({@link OperatorArguments#checkRow})
     */
    double variance(int row);

    /** Copies all N current posterior variances into {@code out}. */
    void variances(double[] out);

    /**
     * Index of the largest posterior variance among rows not in {@code excluded} (null: none
     * excluded); ties go to the lowest index. Returns -1 when no row is eligible (every row
     * excluded, or no rows). The rows are finite (see "Finite inputs" on {@link KernelBackend})
     * and {@link #condition} refuses a pivot that is not positive, so no variance is NaN and the
     * contract asks no NaN rule; the host backends' {@link Argmax} and cuda's
     * {@code argmax_blocks} let no NaN win all the same.
     */
    int argmax(BitSet excluded);

    /** Forgets the conditioning set: every variance returns to the prior, 1. */
    void reset();

    @Override
    void close();

    /**
     * Validates tracker settings, for implementations' constructors.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    static void checkSettings(double lengthScale, double noise, int maxRank) {
        if (!(lengthScale > 0) || Double.isInfinite(lengthScale)) {
            throw new IllegalArgumentException("length scale must be a positive finite number, got "
                    + lengthScale);
        }
        if (!(noise >= 0) || Double.isInfinite(noise)) {
            throw new IllegalArgumentException("noise must be a finite number >= 0, got " + noise);
        }
        if (maxRank < 0) {
            throw new IllegalArgumentException("maxRank must be >= 0, got " + maxRank);
        }
    }
}
