package io.synalign.kernels;

import java.util.Arrays;

/**
 * The template every {@link KernelOperator} implementation extends: the shape, the closed state
 * and the argument checks live here once, so every backend rejects the same bad calls with the
 * same messages ({@link OperatorArguments}) and a backend only writes its products.
 *
 * <p>{@link #multiply(double[], double[])} and {@link #rowSums(double[])} are final: each first
 * refuses a closed operator ({@code "kernel operator is closed"}, an
 * {@link IllegalStateException}), then checks the lengths (an
 * {@link IllegalArgumentException} naming both), then answers an empty kernel ({@code n = 0} or
 * {@code m = 0}) with zeros, and only then calls {@link #multiplyChecked} or
 * {@link #rowSumsChecked}, which may therefore assume an open operator, vectors of the right
 * lengths and {@code n, m >= 1}. {@link #close()} is idempotent and calls {@link #release()}
 * exactly once.
 *
 * <p>The overloads on {@link DeviceVector}s keep the SPI's defaults (the host arrays of the
 * vectors, through the checked array path) and stay overridable: a backend whose vectors live on
 * a device overrides them, and such an override must begin with {@link #checkOpen()} and
 * {@link OperatorArguments#checkMultiply(DeviceVector, DeviceVector, int, int)}. Not
 * thread-safe, like the operators themselves.
 */
public abstract class AbstractKernelOperator implements KernelOperator {

    private final int rows;
    private final int cols;
    private final BackendLifetime backend;
    private boolean closed;

    /**
     * @param rows n, the rows of K (rows of X)
     * @param cols m, the columns of K (rows of Y)
     */
    protected AbstractKernelOperator(int rows, int cols) {
        this(rows, cols, null);
    }

    /**
     * An operator that refuses to run once {@code backend} is closed.
     *
     * @param rows n, the rows of K (rows of X)
     * @param cols m, the columns of K (rows of Y)
     * @param backend the lifetime of the backend that made it; null for none
     */
    protected AbstractKernelOperator(int rows, int cols, BackendLifetime backend) {
        this.rows = rows;
        this.cols = cols;
        this.backend = backend;
    }

    @Override
    public final int rows() {
        return rows;
    }

    @Override
    public final int cols() {
        return cols;
    }

    @Override
    public final void multiply(double[] w, double[] out) {
        checkOpen();
        OperatorArguments.checkMultiply(w, out, rows, cols);
        if (rows == 0 || cols == 0) {
            Arrays.fill(out, 0.0);
            return;
        }
        multiplyChecked(w, out);
    }

    @Override
    public final void rowSums(double[] out) {
        checkOpen();
        OperatorArguments.checkRowSums(out, rows);
        if (rows == 0 || cols == 0) {
            Arrays.fill(out, 0.0);
            return;
        }
        rowSumsChecked(out);
    }

    @Override
    public final KernelOperator principalSubmatrix(int[] indices, long memoryBudgetBytes) {
        checkOpen();
        OperatorArguments.checkPrincipalRows(indices, rows);
        return principalSubmatrixChecked(indices, memoryBudgetBytes);
    }

    /**
     * {@link #principalSubmatrix} on an open operator with checked row numbers; {@code null}
     * (the default) where the backend offers none.
     */
    protected KernelOperator principalSubmatrixChecked(int[] indices, long memoryBudgetBytes) {
        return null;
    }

    /**
     * {@code out = K w} on an open operator, with {@code w.length == cols() >= 1} and
     * {@code out.length == rows() >= 1}; out is overwritten.
     */
    protected abstract void multiplyChecked(double[] w, double[] out);

    /** {@code out[i] = sum_j K[i][j]} on an open operator, {@code out.length == rows() >= 1}. */
    protected abstract void rowSumsChecked(double[] out);

    /**
     * @throws IllegalStateException {@code "kernel operator is closed"} once closed, and once the
     *     backend that made it is closed (see {@link BackendLifetime})
     */
    protected final void checkOpen() {
        OperatorArguments.checkOpen(closed, "kernel operator");
        if (backend != null) {
            backend.checkOpen();
        }
    }

    /** Whether {@link #close()} has been called. */
    protected final boolean isClosed() {
        return closed;
    }

    /** Marks the operator closed and frees its resources; later calls do nothing. */
    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        release();
    }

    /**
     * Frees the backend's buffers (off-heap, device); called exactly once, by the first
     * {@link #close()}, after the operator is marked closed.
     */
    protected abstract void release();
}
