package io.synalign.kernels;

import java.util.Arrays;

/**
 * The template every {@link FeatureOperator} implementation extends: the shape, the closed state
 * and the argument checks live here once, so every backend rejects the same bad calls with the
 * same messages ({@link OperatorArguments}) and a backend only writes its products.
 *
 * <p>{@link #transposeTimes(double[], double[])} and {@link #times(double[], double[])} are
 * final: each first refuses a closed operator ({@code "feature operator is closed"}, an
 * {@link IllegalStateException}), then checks the lengths (an
 * {@link IllegalArgumentException} naming both), then answers an operator of no rows
 * ({@code Phi^T w} is D zeros, {@code Phi z} has no values) and only then calls
 * {@link #transposeTimesChecked} or {@link #timesChecked}, which may therefore assume an open
 * operator, vectors of the right lengths and {@code n >= 1} ({@code D >= 1} always holds, see
 * {@link FourierFeatures}). {@link #close()} is idempotent and calls {@link #release()} exactly
 * once.
 *
 * <p>The overloads on {@link DeviceVector}s and {@link #reload} keep the SPI's defaults and stay
 * overridable: a backend whose vectors live on a device overrides them, and such an override
 * must begin with {@link #checkOpen()} (and, for the products, the matching
 * {@link OperatorArguments} check on the vectors). Not thread-safe, like the operators
 * themselves.
 */
public abstract class AbstractFeatureOperator implements FeatureOperator {

    private final int rows;
    private final int features;
    private final BackendLifetime backend;
    private boolean closed;

    /**
     * @param rows n, the rows of Phi
     * @param features D, the columns of Phi
     */
    protected AbstractFeatureOperator(int rows, int features) {
        this(rows, features, null);
    }

    /**
     * An operator that refuses to run once {@code backend} is closed.
     *
     * @param rows n, the rows of Phi
     * @param features D, the columns of Phi
     * @param backend the lifetime of the backend that made it; null for none
     */
    protected AbstractFeatureOperator(int rows, int features, BackendLifetime backend) {
        this.rows = rows;
        this.features = features;
        this.backend = backend;
    }

    @Override
    public final int rows() {
        return rows;
    }

    @Override
    public final int features() {
        return features;
    }

    @Override
    public final void transposeTimes(double[] w, double[] out) {
        checkOpen();
        OperatorArguments.checkTransposeTimes(w, out, rows, features);
        if (rows == 0) {
            Arrays.fill(out, 0.0);
            return;
        }
        transposeTimesChecked(w, out);
    }

    @Override
    public final void times(double[] z, double[] out) {
        checkOpen();
        OperatorArguments.checkTimes(z, out, rows, features);
        if (rows == 0) {
            return;
        }
        timesChecked(z, out);
    }

    /**
     * {@code out = Phi^T w} on an open operator, with {@code w.length == rows() >= 1} and
     * {@code out.length == features()}; out is overwritten.
     */
    protected abstract void transposeTimesChecked(double[] w, double[] out);

    /**
     * {@code out = Phi z} on an open operator, with {@code z.length == features()} and
     * {@code out.length == rows() >= 1}; out is overwritten.
     */
    protected abstract void timesChecked(double[] z, double[] out);

    /**
     * @throws IllegalStateException {@code "feature operator is closed"} once closed, and once the
     *     backend that made it is closed (see {@link BackendLifetime})
     */
    protected final void checkOpen() {
        OperatorArguments.checkOpen(closed, "feature operator");
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
