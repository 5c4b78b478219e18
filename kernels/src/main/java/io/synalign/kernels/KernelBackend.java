package io.synalign.kernels;

import io.synalign.kernels.host.HostVectorOps;
import java.util.EnumSet;
import java.util.Set;

/**
 * Batched numerical primitives the SynAlign engine is written against. Implementations: the ND4J
 * CPU backend ({@code nd4j}), the double-precision Java reference ({@code reference}) and, later,
 * a CUDA backend. The interface speaks only plain Java types so a device backend needs no tensor
 * library on its classpath.
 *
 * <p>Kernel convention throughout: {@code k(x,y) = exp(-||x - y||^2 / (2 sigma^2))} with
 * bandwidth {@code sigma > 0}.
 *
 * <p>Stateless primitives write into caller-provided arrays (no hidden allocation of outputs),
 * and every output, of a primitive or an operator's product, is overwritten whatever it held:
 * nothing is accumulated into it. Row sets with no rows are valid everywhere (an empty output,
 * an operator whose products are zeros or empty, a tracker over no rows). Bad arguments are
 * refused with the one-line messages of {@link OperatorArguments}, the same on every backend;
 * {@code BackendContractTest} and {@code VectorOpsContractTest} (the kernels test-jar) check all
 * of this, and the accuracy each method must meet, against the float64 reference.
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
     * Whether several threads may call this backend, and the operators it made, at once. The
     * host backends may be (their operators belong to one caller each); a device backend that
     * shares one device state is not: {@link SerializedBackend#wrap} makes it so.
     */
    default boolean threadSafe() {
        return true;
    }

    /**
     * Pairwise squared Euclidean distances, computed as {@code ||x||^2 + ||y||^2 - 2 X Y^T} with
     * one GEMM and clamped at zero. Cost O(n m d).
     *
     * @param out n x m row-major, overwritten
     */
    void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out);

    /**
     * Inner products {@code out[i*m + j] = x_i . y_j}: one GEMM, the scores of a cosine search
     * over unit-length rows. Cost O(n m d). The default computes them on the host, each product
     * accumulated in double and rounded once (the reference's arithmetic); a backend with a GEMM
     * overrides it.
     *
     * @param out n x m row-major, overwritten
     */
    default void innerProducts(FloatMatrix x, FloatMatrix y, float[] out) {
        if (x.cols() != y.cols()) {
            throw new IllegalArgumentException("dimension mismatch: " + x.cols() + " vs " + y.cols());
        }
        int n = x.rows();
        int m = y.rows();
        int d = x.cols();
        if (out.length != (long) n * m) {
            throw new IllegalArgumentException("output has " + out.length + " values, expected "
                    + (long) n * m);
        }
        float[] a = x.data();
        float[] b = y.data();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int t = 0, ia = i * d, jb = j * d; t < d; t++) {
                    s += (double) a[ia + t] * b[jb + t];
                }
                out[i * m + j] = (float) s;
            }
        }
    }

    /**
     * {@link #innerProducts(FloatMatrix, FloatMatrix, float[])} into {@code out} (n x m
     * row-major from index 0, {@code out.capacity() >= n m}): with a direct buffer a backend that
     * computes off the Java heap writes the block where the caller reads it, without a copy per
     * block (a top-k search reads every score once). The default computes into a heap array and
     * copies.
     */
    default void innerProducts(FloatMatrix x, FloatMatrix y, java.nio.FloatBuffer out) {
        long size = (long) x.rows() * y.rows();
        if (out.capacity() < size) {
            throw new IllegalArgumentException("output holds " + out.capacity() + " values, needs " + size);
        }
        float[] block = new float[(int) size];
        innerProducts(x, y, block);
        out.put(0, block);
    }

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
     * The kernel-times-vector operator between X (rows of K) and Y (columns of K).
     *
     * <p>{@code plan.materialise()} is a request, and {@link KernelOperator#materialised()}
     * reports what was done: when the plan keeps K the backend builds K once, in
     * {@code plan.storage()} (or a more precise format; {@link KernelOperator#storageDescription()}
     * says which), and may instead tile only when K does not fit the memory it keeps K in (an
     * empty K, or free device memory short of it; it logs why). A tiled plan is never kept:
     * each product recomputes K tile by tile in {@code plan.tileRows()} rows (a device backend
     * may size its own tiles), never holding more than one tile, and {@code materialised()} is
     * false. Callers that report how K is held (the engine's {@code H:} line) read the operator,
     * not the plan. When X and Y are the same object (identity, not equal contents) K is
     * symmetric with a unit diagonal, and a backend may keep one triangle of it
     * ({@link #keptKernelBytes} says how much it keeps).
     *
     * <p>Accuracy (the contract tests' bound): {@code ||Kw - (Kw)_64||_2 <= 1e-5 || |K| |w| ||_2}
     * against the float64 kernel of the float32 rows, tiled or kept in float32, for row sums and
     * for the products on arrays and on {@link DeviceVector}s alike; outputs are overwritten and
     * a repeated product is bit-identical.
     *
     * @throws IllegalArgumentException when the plan keeps K in a storage this backend cannot
     *     keep ({@link #keptStorages()}; {@link OperatorArguments#checkStorage}); a tiled plan's
     *     storage is not checked, as nothing is kept
     */
    KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan);

    /**
     * Bytes a materialised {@code rows x cols} kernel matrix occupies on this backend in
     * {@code storage}, {@code symmetric} when X and Y are one row set; {@code Long.MAX_VALUE}
     * when this backend cannot keep such a matrix at all (an addressing limit). The default is
     * the full matrix in float32 within one Java array.
     */
    default long keptKernelBytes(long rows, long cols, boolean symmetric, KernelStorage storage) {
        long entries = rows * cols;
        return entries > Integer.MAX_VALUE - 8 ? Long.MAX_VALUE : storage.bytes() * entries;
    }

    /** The storages {@link #rbfOperator} can keep a matrix in (float32 by default). */
    default Set<KernelStorage> keptStorages() {
        return EnumSet.of(KernelStorage.FLOAT32);
    }

    /**
     * The storage a kept self-kernel should use when the caller does not choose: the one the
     * backend's measurements favour (float32 on the CPU backends).
     */
    default KernelStorage defaultStorage() {
        return KernelStorage.FLOAT32;
    }

    /**
     * How many bytes one kept kernel matrix may occupy on this backend, given the caller's host
     * memory budget. Host backends keep K in host memory: the budget itself. A device backend
     * keeps K in device memory, and answers from the device's free memory instead.
     */
    default long residentBudgetBytes(long hostBudgetBytes) {
        return hostBudgetBytes;
    }

    /**
     * How many bytes of random features (rff's {@code Phi_S}, in chunks of float32) this backend
     * may keep between products; the rest is recomputed from the rows in every pass. The default
     * is half of what the Java heap can still grow by, for backends that keep features on the
     * heap; a backend with its own memory (off-heap, a device) answers from that.
     */
    default long featureBudgetBytes() {
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        return Math.max(0, rt.maxMemory() - used) / 2;
    }

    /**
     * Rows per chunk when random features are built and used chunk by chunk (rff over a row
     * source of any length): the chunk grid fixes the arithmetic, so a backend's results do not
     * depend on how the rows are stored. The default keeps a chunk of features within 32 MiB (a
     * host cache-sized block); a device backend takes larger chunks, so that each product is a
     * few launches, not thousands.
     */
    default int featureChunkRows(int features) {
        return (int) Math.max(1, (32L << 20) / (4L * Math.max(1, features)));
    }

    /**
     * Keeps {@code rows} on this backend until the returned scope closes, so that every
     * operator built from that same matrix object meanwhile shares one copy instead of
     * uploading its own (the MMD learner builds four operators from the synthetic rows). Host
     * backends compute on the caller's arrays and need nothing: the default scope does nothing.
     * The caller must not modify the matrix while the scope is open.
     */
    default Residency keepResident(FloatMatrix rows) {
        return Residency.NONE;
    }

    /** A scope opened by {@link #keepResident}. */
    interface Residency extends AutoCloseable {
        /** A scope that holds nothing. */
        Residency NONE = () -> { };

        @Override
        void close();
    }

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
