package io.synalign.kernels;

import io.synalign.kernels.host.HostVectorOps;

/**
 * Batched numerical primitives the SynAlign engine is written against. Implementations: the ND4J
 * CPU backend ({@code nd4j}), the double-precision Java reference ({@code reference}) and, later,
 * a CUDA backend. The interface speaks only plain Java types so a device backend needs no tensor
 * library on its classpath.
 *
 * <p>Kernel convention throughout: {@code k(x,y) = exp(-||x - y||^2 / (2 sigma^2))} with
 * bandwidth {@code sigma > 0}.
 *
 * <p>Stateless primitives write into caller-provided arrays (no hidden allocation of outputs).
 * Stateful operators ({@link KernelOperator}, {@link FeatureOperator}, {@link GpVarianceTracker})
 * let a backend keep inputs and scratch buffers resident between calls; they are
 * {@link AutoCloseable} and must be closed, like DJL's {@code NDManager} scopes. A backend is
 * itself closeable and closing it releases whatever it pooled.
 */
public interface KernelBackend extends AutoCloseable {

    /** Short name used on the command line and in reports, e.g. {@code nd4j}. */
    String name();

    /** A one-line description (library, precision, threads) for logs and reports. */
    String description();

    /**
     * Pairwise squared Euclidean distances, computed as {@code ||x||^2 + ||y||^2 - 2 X Y^T} with
     * one GEMM and clamped at zero. Cost O(n m d).
     *
     * @param out n x m row-major, overwritten
     */
    void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out);

    /**
     * RBF kernel block {@code out[i*m + j] = exp(-||x_i - y_j||^2 / (2 sigma^2))}.
     *
     * @param out n x m row-major, overwritten
     */
    void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out);

    /**
     * Random Fourier features {@code out[i*D + f] = sqrt(2/D) cos(x_i . omega_f + b_f)}.
     *
     * @param out n x D row-major, overwritten
     */
    void randomFourierFeatures(FloatMatrix x, FourierFeatures map, float[] out);

    /**
     * The kernel-times-vector operator between X (rows of K) and Y (columns of K). When
     * {@code plan.materialise()} the backend builds K once; otherwise each product recomputes K
     * tile by tile in {@code plan.tileRows()} rows, never holding more than one tile.
     */
    KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan);

    /** Builds and stores the random-feature matrix of {@code x}. */
    FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map);

    /**
     * A GP posterior-variance tracker over {@code x} with length scale {@code lengthScale},
     * observation noise {@code noise} (s^2) and room for {@code maxRank} conditioning rows.
     */
    GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale, double noise,
            int maxRank);

    /**
     * The vector operations on this backend's {@link DeviceVector}s, which its operators' vector
     * products take and return. Host backends share {@link HostVectorOps} (vectors on the Java
     * heap); a device backend keeps its vectors in device memory.
     */
    default VectorOps vectors() {
        return HostVectorOps.INSTANCE;
    }

    @Override
    void close();
}
