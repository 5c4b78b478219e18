package io.synalign.kernels.host;

import io.synalign.kernels.DeviceVector;

/**
 * A {@link DeviceVector} on the Java heap: a {@code double[]} (so at most
 * {@code Integer.MAX_VALUE - 8} values). The vectors of the host backends, {@code reference} and
 * {@code nd4j}; closing one frees nothing.
 */
public final class HostVector implements DeviceVector {

    private final double[] values;

    /** Wraps {@code values} without copying. */
    public HostVector(double[] values) {
        if (values == null) {
            throw new IllegalArgumentException("values must not be null");
        }
        this.values = values;
    }

    @Override
    public long length() {
        return values.length;
    }

    /** The backing array (not a copy). */
    public double[] values() {
        return values;
    }

    /**
     * The array behind a host vector, for operators that compute on {@code double[]}.
     *
     * @throws IllegalArgumentException when {@code v} belongs to another backend
     */
    public static double[] array(DeviceVector v) {
        if (v instanceof HostVector h) {
            return h.values;
        }
        throw new IllegalArgumentException("expected a host vector, got "
                + (v == null ? "null" : v.getClass().getSimpleName())
                + ": vectors belong to the backend that made them");
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "HostVector[" + values.length + "]";
    }
}
