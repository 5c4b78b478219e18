package io.synalign.kernels;

import io.synalign.kernels.host.HostVector;

/**
 * A stored random-Fourier-feature matrix {@code Phi} (n rows x D features) of a row set, with
 * the two products the RFF-MMD learner needs. Cost per product O(n D); memory O(n D) floats.
 * Not thread-safe; close to free backend memory.
 */
public interface FeatureOperator extends AutoCloseable {

    /** n, the number of rows. */
    int rows();

    /** D, the number of features. */
    int features();

    /** {@code out = Phi^T w}: w has length n, out length D. */
    void transposeTimes(double[] w, double[] out);

    /** {@code out = Phi z}: z has length D, out length n. */
    void times(double[] z, double[] out);

    /** {@code out = Phi^T w} on backend vectors (default: the arrays of host vectors). */
    default void transposeTimes(DeviceVector w, DeviceVector out) {
        transposeTimes(HostVector.array(w), HostVector.array(out));
    }

    /** {@code out = Phi z} on backend vectors (default: the arrays of host vectors). */
    default void times(DeviceVector z, DeviceVector out) {
        times(HostVector.array(z), HostVector.array(out));
    }

    @Override
    void close();
}
