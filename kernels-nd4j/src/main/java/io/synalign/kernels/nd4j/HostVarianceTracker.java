package io.synalign.kernels.nd4j;

import io.synalign.kernels.Argmax;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.OperatorArguments;
import java.util.Arrays;
import java.util.BitSet;

/**
 * What both ND4J variance trackers share ({@link Nd4jGpVarianceTracker}, the CPU path;
 * {@link PortableGpVarianceTracker}, the portable one): the posterior variances live on the host
 * in float64, so {@link #variance} costs no native call and {@link #argmax} keeps the SPI's
 * exact tie and NaN rules ({@link Argmax}). {@link #condition} checks its row and the pivot, asks
 * the subclass for the new factor {@code v = (k - V V[p]^T) / sqrt(var_p + s^2)} (written into
 * its factor store as factor {@code rank}), then downdates {@code var -= v^2}, O(N).
 */
abstract class HostVarianceTracker implements GpVarianceTracker {

    final int size;
    final int maxRank;
    final double noise;
    final double[] variance;
    int rank;
    private final BackendLifetime backend;
    private boolean closed;

    /** @param backend the lifetime of the backend that made it: refused once that is closed */
    HostVarianceTracker(int size, double lengthScale, double noise, int maxRank,
            BackendLifetime backend) {
        GpVarianceTracker.checkSettings(lengthScale, noise, maxRank);
        this.backend = backend;
        this.size = size;
        this.maxRank = maxRank;
        this.noise = noise;
        this.variance = new double[size];
        Arrays.fill(variance, 1.0);
    }

    /**
     * Computes factor {@code rank} for conditioning row {@code p}, stores it as row
     * {@code rank} of the factor store, and returns it on the host (N values).
     *
     * @param pivot2 {@code var_p + s^2}, checked positive
     */
    abstract double[] newFactor(int p, double pivot2);

    /** Frees the native buffers; called once, by {@link #close}. */
    abstract void release();

    @Override
    public final int size() {
        return size;
    }

    @Override
    public final int rank() {
        return rank;
    }

    @Override
    public final int maxRank() {
        return maxRank;
    }

    @Override
    public final void condition(int p) {
        checkOpen();
        OperatorArguments.checkRow(p, size);
        OperatorArguments.checkCapacity(rank, maxRank);
        double pivot2 = OperatorArguments.checkPivot(p, variance[p], noise);
        double[] v = newFactor(p, pivot2);
        for (int i = 0; i < size; i++) {
            variance[i] -= v[i] * v[i];
        }
        rank++;
    }

    @Override
    public final double variance(int row) {
        checkOpen();
        OperatorArguments.checkRow(row, size);
        return variance[row];
    }

    @Override
    public final void variances(double[] out) {
        checkOpen();
        OperatorArguments.checkVariancesOut(out, size);
        System.arraycopy(variance, 0, out, 0, size);
    }

    @Override
    public final int argmax(BitSet excluded) {
        checkOpen();
        return Argmax.of(variance, excluded);
    }

    @Override
    public final void reset() {
        checkOpen();
        Arrays.fill(variance, 1.0);
        rank = 0;
    }

    /** Refuses use once this tracker or the backend that made it is closed. */
    private void checkOpen() {
        backend.checkOpen();
        OperatorArguments.checkOpen(closed, "variance tracker");
    }

    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        release();
    }
}
