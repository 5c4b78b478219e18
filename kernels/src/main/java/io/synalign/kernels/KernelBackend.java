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
 *
 * <p><b>Finite inputs.</b> A backend may assume that every row it is given holds finite values
 * (no NaN, no infinity), as it may assume a positive finite bandwidth: what it computes from a
 * non-finite row is unspecified, and the backends differ (Java's {@code Math.max(0f, NaN)} is
 * NaN where CUDA's {@code fmaxf(0, NaN)} is 0, so a NaN row's squared distances are NaN on the
 * host and 0 on the device). The callers guarantee it instead: the command line refuses a
 * non-finite value where it reads a file or an encoder's output, a {@link RowSource} refuses
 * one as it reads it, and every entry of the engine that hands rows to a backend (the MMD
 * weight learner with every method, per label or not; the random-feature block sum the Spark
 * job calls; the GP selector; the similar-pairs scan; the inner-product search, whose corpus
 * may be checked once for many searches; the permutation test, the witness, the weighted MMD,
 * the median heuristic; the classifier two-sample test) checks its rows first
 * ({@link FloatMatrix#requireFinite}: one line naming the rows, the row and the column). So the
 * contract tests give no backend a non-finite row, and no result of a backend needs a NaN rule:
 * the GP tracker's variances stay finite on finite rows (its pivots are checked positive).
 * Rows whose squares pass float32's range (values beyond about {@code 1e19}) are finite but
 * beyond the float32 arithmetic the accuracy bounds assume; nothing refuses them yet.
 *
 * <p><b>Planning answers.</b> {@link #keptKernelBytes}, {@link #residentBudgetBytes},
 * {@link #featureBudgetBytes}, {@link #featureChunkRows} and {@link #keepResident} are what the
 * engine plans a fit with (whether to keep K_SS, how many chunks of features to keep, how to cut
 * a row source into chunks). Each method states what the planner relies on, and
 * {@code BackendContractTest} checks exactly that: byte counts never negative, a kept K never
 * counted at fewer bytes than its entries take, chunks of at least one row and a fixed grid, a
 * resident copy shared by identity.
 *
 * <p><b>Accuracy.</b> Results are float32 (the reference computes in float64 and rounds once)
 * and are held to the double-precision {@code reference} backend by bounds that a backward-stable
 * float32 GEMM meets, stated on each method: normwise {@code 1e-5} for blocks and products, with
 * a product's error measured against {@code |K| |w|}, since a product with mixed-sign weights may
 * cancel far below {@code ||K|| ||w||}. Two uses ask for more than float32 GEMMs give: the GP
 * tracker's variances (within {@code 1e-8} of the reference when it conditions on near-copies of
 * rows, which takes its kernel columns in float64) and the {@link VectorOps} (double vectors,
 * reductions within {@code 1e-13} of the sum of the absolute terms: float64 on the device too).
 * The backend contract tests ({@code BackendContractTest}, {@code VectorOpsContractTest} in the
 * kernels test jar) check every bound on awkward shapes.
 *
 * <p><b>Cancellation</b> ({@link Cancellation}). The {@code nd4j} backend's stateless
 * primitives ({@link #squaredDistances}, {@link #innerProducts}, {@link #rbfBlock},
 * {@link #randomFourierFeatures}) ask for the calling thread's interrupt before each block of
 * output rows and throw a {@link java.util.concurrent.CancellationException}, status kept set,
 * their scratch freed; {@code out} is then unspecified (partly written) and must not be read.
 * Backends that do not check run to their end, keeping the status set. The operators' and the
 * tracker's rules are on {@link KernelOperator}, {@link FeatureOperator} and
 * {@link GpVarianceTracker}.
 *
 * <p><b>Closing.</b> Everything a backend makes (kernel operators and their principal
 * submatrices, feature operators, trackers, device vectors, capped-simplex projectors,
 * {@link #keepResident} scopes) must be closed before the backend: a device backend frees its
 * context, streams and modules when it closes, and work launched on them afterwards is undefined
 * behaviour. A backend refuses such use with an {@link IllegalStateException}: its own
 * computations and every call of what it made, except {@code close()} and the queries of shape,
 * name and description ({@link BackendLifetime}; the {@code reference}, {@code nd4j} and {@code cuda} backends do;
 * host vectors, plain Java arrays shared by the host backends, are exempt). Closing one of them after the
 * backend is allowed and throws nothing, so that a {@code finally} that closes in the wrong
 * order does not hide the failure it is unwinding; what it held on a device may then stay
 * allocated until the process ends. A principal submatrix is independent of its parent operator
 * (either may be closed first) but not of the backend.
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
     * Pairwise squared Euclidean distances {@code out[i*m + j] = ||x_i - y_j||^2}, never negative.
     * Cost O(n m d).
     *
     * <p>Accuracy: each entry within {@code 1e-5 max(||x_i||^2 + ||y_j||^2, ||x_i - c||^2 +
     * ||y_j - c||^2)} of the exact value, c the mean of both row sets: the rounding of the GEMM
     * form {@code ||x||^2 + ||y||^2 - 2 X Y^T} in float32, about the origin or about c. That form
     * (one GEMM) is therefore allowed here, but the bound is relative to the rows' norms, not to
     * the distance: two near rows far from the origin may keep no correct digit of their
     * distance. And one outlier row (1e8 away) must leave every other pair within
     * {@code 1e-4 (1 + ||x_i - y_j||^2)} (the median heuristic reads them), which centring
     * every row on a mean that the outlier drags away does not. The reference sums the differences in double; {@link #rbfBlock} and the
     * operators ask for more (see {@link #rbfOperator}).
     *
     * @param out n x m row-major, overwritten
     */
    void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out);

    /**
     * Inner products {@code out[i*m + j] = x_i . y_j}: one GEMM, the scores of a cosine search
     * over unit-length rows. Cost O(n m d). The default computes them on the host, each product
     * accumulated in double and rounded once (the reference's arithmetic); a backend with a GEMM
     * overrides it. Accuracy: each entry within {@code 1e-5 sum_t |x_it y_jt|} of the exact
     * product (a float32 GEMM's dot-product bound).
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
     * RBF kernel block {@code out[i*m + j] = exp(-||x_i - y_j||^2 / (2 sigma^2))}, every entry in
     * [0, 1]. Accuracy: {@code ||out - K||_F <= 1e-5 ||K||_F} against the exact block (tiny
     * entries of far pairs may be relatively wrong: they matter to no product).
     *
     * @param out n x m row-major, overwritten
     */
    void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out);

    /**
     * Random Fourier features {@code out[i*D + f] = sqrt(2/D) cos((x_i - c) . omega_f + b_f)},
     * c the map's centre ({@link FourierFeatures#centredAt}; 0 when it has none), subtracted
     * from the row before the phases are formed. Accuracy: {@code ||out - Phi||_F <= 1e-5
     * ||Phi||_F} against the exact features.
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
     * <p>Accuracy, of every product on every plan (see {@link KernelOperator#multiply}): normwise
     * {@code 1e-5} against {@code |K| |w|}, and that wherever the rows lie. Rows far from the
     * origin compared with their spread (two clusters 1,000 apart; an outlier at 1e8), exact
     * copies of rows at a bandwidth far below their spacing (k = 1, where the float32 GEMM form
     * gave 0.86), and the unit diagonal of a self-kernel at {@code sigma = 1e-3} (where its
     * residue gave {@code exp(-100)}) all keep their kernel values. A plain float32 GEMM form of
     * the distances about the origin fails these: a backend centres its operands and recomputes
     * in double the pairs whose rounding bound matters at the bandwidth (as nd4j and cuda do).
     *
     * <p>Accuracy of a flat kernel (a bandwidth far above the rows' spread, every k near 1): the
     * products also keep each value's distance from 1, {@code ||Kw - (Kw)_64||_2 <= 1e-5
     * || |K - 1 1^T| |w| ||_2}. The MMD^2 and its gradient are differences of such products whose
     * terms near 1 cancel, and a float32 k keeps {@code 1 - k} to {@code 3e-8} absolutely only:
     * at 100 x the median bandwidth the MMD^2 was reported 35 % off. Since
     * {@code K w = (K - 1 1^T) w + 1 sum_j w_j}, a backend may store {@code g = k - 1} where K is
     * flat and add the weights' sums in double (nd4j does so in pieces of K whose every value is
     * above {@code e^-1/4}; see its {@code ShiftedTiles}; cuda per term in its double sums,
     * and per 32 x 32 tile of its kept triangle, see {@code rbf.cu} and {@code symk.cu}). The
     * reference (float64), nd4j and cuda meet this bound (cuda's kernels checked in its CPU
     * emulation; on a GPU by the device script).
     *
     * @throws IllegalArgumentException when the plan keeps K in a storage this backend cannot
     *     keep ({@link #keptStorages()}; {@link OperatorArguments#checkStorage}); a tiled plan's
     *     storage is not checked, as nothing is kept
     */
    KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan);

    /**
     * Bytes a materialised {@code rows x cols} kernel matrix occupies on this backend in
     * {@code storage}, {@code symmetric} when X and Y are one row set; {@code Long.MAX_VALUE}
     * when this backend cannot keep such a matrix at all (an addressing limit, or bytes beyond a
     * long). The default is the full matrix in float32 within one Java array.
     *
     * <p>The planner keeps K_SS when this answer for {@code (n, n, true)} is at most
     * {@link #residentBudgetBytes}, so for every storage in {@link #keptStorages()} and every
     * {@code n} up to {@code Integer.MAX_VALUE - 8} the answer must be {@code Long.MAX_VALUE} or
     * a count of at least the bytes of the entries kept ({@code n (n + 1) / 2} for a symmetric
     * K, which may keep one triangle, {@code rows x cols} otherwise, times
     * {@link KernelStorage#bytes()}): never negative (an overflow would read as fitting), never
     * short of what K takes; and a count, not {@code Long.MAX_VALUE}, for small matrices (a few
     * thousand rows) that the backend can keep.
     */
    default long keptKernelBytes(long rows, long cols, boolean symmetric, KernelStorage storage) {
        long entries = rows * cols;
        return entries > Integer.MAX_VALUE - 8 ? Long.MAX_VALUE : storage.bytes() * entries;
    }

    /**
     * Whether a kernel matrix this backend keeps ({@link #rbfOperator} with a materialising
     * plan, {@link #keptKernelBytes} of it) lives on the Java heap, where it counts against the
     * JVM's {@code -Xmx} as well as the memory budget: true by default (the default
     * {@link #keptKernelBytes} is one Java array), false for a backend that keeps it off the
     * heap (native memory) or on a device. The engine adds it to the heap a kernel fit needs, so
     * that a K_SS within the budget but beyond the heap is refused (or, for {@code auto}, not
     * chosen) before it is built, rather than ending the fit in OutOfMemoryError.
     */
    default boolean keepsKernelsOnHeap() {
        return true;
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
     * memory budget. Host backends keep K in host memory: the budget itself, or less where the
     * process may not take that much more of the memory it runs in (a container's limit, a
     * small machine: {@link #residentBudgetReason} says so). A device backend
     * keeps K in device memory, and answers from the device's free memory instead. Never
     * negative (a reserve taken off free memory is clamped at 0).
     */
    default long residentBudgetBytes(long hostBudgetBytes) {
        return hostBudgetBytes;
    }

    /**
     * Why the last {@link #residentBudgetBytes} answer of a host backend to the calling thread
     * was below the host budget it was given (the memory this process may still take, in a container or on a small
     * machine), for the plan's log; null where it was not lowered, or where the backend keeps K
     * in device memory (whose free memory is then the reason).
     */
    default String residentBudgetReason() {
        return null;
    }

    /**
     * How many bytes of random features (rff's {@code Phi_S}, in chunks of float32) this backend
     * may keep between products; the rest is recomputed from the rows in every pass. The default
     * is half of what the Java heap can still grow by, for backends that keep features on the
     * heap; a backend with its own memory (off-heap, a device) answers from that. Never
     * negative.
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
     *
     * <p>For every {@code features} from 1 to {@code Integer.MAX_VALUE}: at least 1 (the engine
     * divides by it), at most {@code Integer.MAX_VALUE - 8} (one weight vector's rows), with a
     * chunk's {@code 4 C D} bytes within a long; and a function of {@code features} alone, the
     * same every time it is asked (the plan, the operator and the report each ask, and the grid
     * fixes the arithmetic), never read from the memory free at the time.
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
     *
     * <p>Never null (the learner closes what it gets). "That same matrix" is the object: an
     * operator built from another matrix, of the same shape or even the same contents, uses its
     * own rows. Products are those without a scope, while it is open and after it closes.
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

    /**
     * Builds and stores the random-feature matrix of {@code x}, to the accuracy of
     * {@link #randomFourierFeatures}; its products are held to normwise {@code 1e-5} against
     * {@code |Phi|^T |w|} and {@code |Phi| |z|} (see {@link FeatureOperator}).
     */
    FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map);

    /**
     * {@link #fourierFeatureOperator(FloatMatrix, FourierFeatures)} of a block of rows handed
     * over in pieces ({@link RowPieces}): the same operator, bit for bit, whatever the piece
     * size, so that a caller holding only a piece of a chunk's rows at once (the engine, within
     * 1/16 of the heap at wide rows) keeps the arithmetic of the whole chunk. A backend that
     * answers {@link #featureRowsInPieces} true holds at most one piece of the caller's rows at
     * once (on the Java heap; its own copies of them are its business) and keeps none after the
     * next piece is asked for. The default reads every piece into one matrix
     * ({@link RowPieces#whole}) and builds from it: the same bits, the whole block's rows held
     * (one extra copy of them on the heap, n d floats, unless the block is one piece).
     */
    default FeatureOperator fourierFeatureOperator(RowPieces x, FourierFeatures map) {
        return fourierFeatureOperator(x.whole(), map);
    }

    /**
     * Whether {@link #fourierFeatureOperator(RowPieces, FourierFeatures)} (and
     * {@link FeatureOperator#reload(RowPieces)} of its operators) build from one piece at a
     * time rather than read the block whole: false by default. The engine sizes its chunk of
     * rows by it: where true the chunk grid (which fixes the arithmetic) is a function of the
     * backend, D and d only, and the rows are read in pieces within the heap's share; where
     * false a chunk's rows must fit that share themselves, so the grid also depends on
     * {@code -Xmx} where rows are wide or the heap small.
     */
    default boolean featureRowsInPieces() {
        return false;
    }

    /**
     * A GP posterior-variance tracker over {@code x} with length scale {@code lengthScale},
     * observation noise {@code noise} (s^2) and room for {@code maxRank} conditioning rows. Its
     * variances are held to the reference's far more tightly than the float32 blocks (see
     * {@link GpVarianceTracker}): in practice its kernel columns are computed in float64.
     */
    GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale, double noise,
            int maxRank);

    /**
     * The vector operations on this backend's {@link DeviceVector}s, which its operators' vector
     * products take and return. Host backends share {@link HostVectorOps} (vectors on the Java
     * heap); a device backend keeps its vectors in device memory, in float64 (see the accuracy
     * of {@link VectorOps}).
     */
    default VectorOps vectors() {
        return HostVectorOps.INSTANCE;
    }

    /**
     * Releases whatever the backend pooled (on a device: the context's streams, handles and
     * modules). Everything it made must be closed first; afterwards the backend and what it made
     * refuse to compute (see "Closing" above). Idempotent.
     */
    @Override
    void close();
}
