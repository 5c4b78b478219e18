package io.synalign.kernels;

/**
 * The vector operations of a backend, on its {@link DeviceVector}s: allocation and copies, the
 * few fused element-wise passes and reductions the MMD weight optimiser runs per iteration, and
 * the capped-simplex projection. Each pass reads its inputs once; each reduction returns its
 * scalars (on a device: one small read-back). All sums are in double, in an order that depends
 * only on the length, so repeated calls on equal inputs give bit-identical results.
 *
 * <p>Host backends run them over {@code double[]} ({@link io.synalign.kernels.host.HostVectorOps},
 * one implementation for {@code reference} and {@code nd4j}); {@code cuda} runs them as kernels
 * on device memory. Cost O(n) per operation. Not thread-safe per vector.
 *
 * <p>Accuracy: values are doubles on every backend, a device's vectors included (the bounds
 * below leave no room for float32 arithmetic). Element-wise passes are within 4 ulps of their
 * operands' magnitude (a device may fuse a multiply and an add); reductions
 * ({@link #dot}, {@link #sum}, {@link #distanceSquared}, {@link #stepStatistics}) within
 * {@code 1e-13} of the sum of the absolute values of their terms, in any summation order; the
 * capped-simplex projection within {@code 1e-15 max(1, max |v_i|)} of the exact one. Copies,
 * fills and {@link #copyRange} are exact.
 */
public interface VectorOps {

    /** A zero vector of {@code length} values. */
    DeviceVector zeros(long length);

    /** A vector holding a copy of {@code values}. */
    DeviceVector of(double[] values);

    /** Copies {@code values} into {@code out} (of length {@code values.length}). */
    void write(double[] values, DeviceVector out);

    /** Copies {@code v} into {@code out} (of length {@code v.length()}). */
    void read(DeviceVector v, double[] out);

    /** {@code v} as a new array. */
    default double[] toArray(DeviceVector v) {
        long n = v.length();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a vector of " + n + " values does not fit one"
                    + " Java array");
        }
        double[] out = new double[(int) n];
        read(v, out);
        return out;
    }

    /** {@code to = from}. */
    void copy(DeviceVector from, DeviceVector to);

    /**
     * {@code to[toOffset + i] = from[fromOffset + i]} for {@code i < length}: moving a slice
     * between a vector of n rows and a vector of one block of rows.
     */
    void copyRange(DeviceVector from, long fromOffset, DeviceVector to, long toOffset,
            long length);

    /** {@code v_i = value} for every i. */
    void fill(DeviceVector v, double value);

    /** {@code out = x + beta (x - previous)}: the momentum extrapolation. */
    void extrapolate(DeviceVector x, DeviceVector previous, double beta, DeviceVector out);

    /**
     * {@code out = y - (2 (hy - h)) * inverseStep}: a gradient step of
     * {@code f = w^T H w - 2 h^T w + c} from y, given {@code hy = H y}.
     */
    void gradientStep(DeviceVector y, DeviceVector hy, DeviceVector h, double inverseStep,
            DeviceVector out);

    /** The sums of {@link StepStatistics} in one pass over its five inputs. */
    StepStatistics stepStatistics(DeviceVector next, DeviceVector y, DeviceVector hNext,
            DeviceVector hy, DeviceVector h);

    /** {@code sum_i a_i b_i}. */
    double dot(DeviceVector a, DeviceVector b);

    /** {@code sum_i v_i}. */
    double sum(DeviceVector v);

    /** {@code sum_i (a_i - b_i)^2}. */
    double distanceSquared(DeviceVector a, DeviceVector b);

    /** {@code v_i = v_i + shift} for every i. */
    void add(DeviceVector v, double shift);

    /** {@code v_i = v_i * factor} for every i. */
    void scale(DeviceVector v, double factor);

    /** {@code out = alpha x + beta y}. */
    void linearCombination(double alpha, DeviceVector x, double beta, DeviceVector y,
            DeviceVector out);

    /**
     * A projector onto the capped simplex of dimension n and cap c (see
     * {@link CappedSimplexProjector}).
     *
     * @throws IllegalArgumentException when {@code c n < 1} (the set is empty)
     */
    CappedSimplexProjector cappedSimplex(long n, double cap);
}
