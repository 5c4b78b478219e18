package io.synalign.kernels;

import io.synalign.kernels.host.HostVector;

/**
 * The linear map {@code w -> K w} for the RBF kernel matrix
 * {@code K[i][j] = exp(-||x_i - y_j||^2 / (2 sigma^2))} between fixed row sets X (n rows) and
 * Y (m rows), held by a backend (possibly on a device) between products.
 *
 * <p>Cost per product: O(n m d) when tiled (the GEMM for each tile is recomputed and the exp
 * epilogue fused with the weighted row sum), O(n m) when the plan materialised K. Memory:
 * O(tileRows * m) tiled, O(n m) materialised. Instances are not thread-safe; close them to free
 * backend memory, before the backend that made them (see {@link KernelBackend}: afterwards every
 * call but {@link #close()} and the shape queries throws {@link IllegalStateException}).
 *
 * <p>Cancellation ({@link Cancellation}): the {@code reference} backend's products (tiled or
 * kept) and the {@code nd4j} backend's (tiled and, on its CPU path, kept) ask for the calling
 * thread's interrupt before each tile (on nd4j's CPU path, each block of one, each block of rows
 * of a kept K, each group of panels of a kept K_XX) and throw a
 * {@link java.util.concurrent.CancellationException}, the status kept set. After it:
 * <ul>
 *   <li>{@code out} is unspecified and must not be read: the reference's is partly written (the
 *       rows of the tiles done), nd4j's unwritten. No caller reads it: the engine's optimiser,
 *       {@code WeightedMmd}, the held-out check and the Spark job's lockstep passes let the
 *       exception leave the method that owns {@code out}, and the command line writes nothing
 *       from an interrupted fit;</li>
 *   <li>the inputs ({@code w}) are unchanged and the operator is as it was: the next product
 *       gives the bits of one never interrupted (the contract checks it).</li>
 * </ul>
 * A backend that does not check (the {@code cuda} backend, untried without a device) runs the
 * product to its end, keeping the status set. nd4j's builds of a kept kernel (O(n m d), its
 * symmetric K_XX included) ask before each row tile and throw the same exception with their
 * memory freed, as does the gather of a kept K_XX's {@link #principalSubmatrix} and the build
 * of a tiled K_XX's kept one.
 *
 * <p>Accuracy, tiled or kept alike: {@code ||out - K w||_2 <= 1e-5 || |K| |w| ||_2} for a
 * product and {@code ||out - K 1||_2 <= 1e-5 ||K 1||_2} for the row sums, against the exact K,
 * wherever the rows lie (see {@link KernelBackend#rbfOperator}); a repeated product on the same
 * input is bit-identical.
 */
public interface KernelOperator extends AutoCloseable {

    /** n, the number of rows of K (rows of X). */
    int rows();

    /** m, the number of columns of K (rows of Y). */
    int cols();

    /**
     * Whether K is kept in memory rather than recomputed per product: what the backend did,
     * not what the plan asked. Never true for a tiled plan; false for a kept plan only where K
     * did not fit (see {@link KernelBackend#rbfOperator}).
     */
    boolean materialised();

    /**
     * How K is held, for logs and reports, e.g. {@code "tiled"}, {@code "kept, fp32"} or
     * {@code "kept, fp16 upper triangle, 1.2 GiB"}.
     */
    default String storageDescription() {
        return materialised() ? "kept, fp32" : "tiled";
    }

    /**
     * {@code out = K w}.
     *
     * @param w length {@link #cols()}
     * @param out length {@link #rows()}, overwritten
     */
    void multiply(double[] w, double[] out);

    /**
     * {@code out = K w} on backend vectors: on a device nothing crosses the bus. The default,
     * for host backends, runs {@link #multiply(double[], double[])} on the vectors' arrays. The
     * same values, to the same accuracy, as the array form: the optimiser uses only this one.
     *
     * @param w length {@link #cols()}
     * @param out length {@link #rows()}, overwritten
     */
    default void multiply(DeviceVector w, DeviceVector out) {
        multiply(HostVector.array(w), HostVector.array(out));
    }

    /** {@code out[i] = sum_j K[i][j]}, the fused row sum (no weight vector is read). */
    void rowSums(double[] out);

    /**
     * {@code outs[k] = K ws[k]} for every k: the same values, bit for bit, as one
     * {@link #multiply(DeviceVector, DeviceVector)} per vector (the default). An operator that
     * recomputes K per product may compute each block of K once for all the vectors.
     */
    default void multiplyEach(DeviceVector[] ws, DeviceVector[] outs) {
        if (ws.length != outs.length) {
            throw new IllegalArgumentException("multiplyEach: " + ws.length + " vectors, "
                    + outs.length + " outputs");
        }
        for (int k = 0; k < ws.length; k++) {
            multiply(ws[k], outs[k]);
        }
    }

    /**
     * Whether {@link #principalSubmatrix} may give an operator: false where it always answers
     * null (a kernel between two row sets, a backend without submatrices: the default), so a
     * caller such as the MMD optimiser need not spend a full product on a check whose set it
     * could never gather. True does not promise one: a submatrix that would not fit the budget
     * is still null. O(1); constant for the operator's life.
     */
    default boolean offersPrincipalSubmatrix() {
        return false;
    }

    /**
     * The principal submatrix {@code K[I][I]} of a self-kernel ({@code K_XX}) for the row
     * numbers I, as an operator of its own: the MMD optimiser's working set, whose products
     * touch only the rows whose weights may be nonzero, {@code |I|^2 / n^2} of a full product.
     * {@code null} when this operator offers none ({@link #offersPrincipalSubmatrix} false: a
     * kernel between two row sets, a backend without it) or when keeping it besides this one
     * would exceed {@code memoryBudgetBytes}. Kept or tiled is the backend's choice: a tiled
     * self-kernel may give a kept submatrix where it fits the budget (it keeps nothing itself).
     * The result is independent of this operator: either may be closed first.
     *
     * @param rows ascending, distinct row numbers in {@code [0, rows())}, at least one
     * @param memoryBudgetBytes what this operator and the submatrix may keep together
     * @throws IllegalArgumentException when {@code rows} is empty, unsorted, repeats a row or
     *     leaves the range (see {@link OperatorArguments#checkPrincipalRows})
     * @throws NativeMemoryException when the submatrix fits the budget but its memory cannot be
     *     allocated: whether a working set is used must not depend on the JVM's limits, since
     *     the optimiser's iterates (and so the weights) differ without one
     */
    default KernelOperator principalSubmatrix(int[] rows, long memoryBudgetBytes) {
        OperatorArguments.checkPrincipalRows(rows, rows());
        return null;
    }

    @Override
    void close();
}
