package io.synalign.kernels.nd4j;

import static io.synalign.kernels.OperatorArguments.checkBandwidth;
import static io.synalign.kernels.OperatorArguments.checkDims;
import static io.synalign.kernels.OperatorArguments.checkFeatureDims;
import static io.synalign.kernels.OperatorArguments.checkStorage;
import static io.synalign.kernels.OperatorArguments.checkOut;
import static io.synalign.kernels.OperatorArguments.checkPlan;

import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.RowPieces;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.VectorOps;
import java.util.function.Consumer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The ND4J backend ({@code nd4j}): float32 throughout, in one of two execution paths
 * ({@link Nd4jPath}), chosen by {@link Nd4jBackendProvider} from ND4J's loaded backend.
 *
 * <p>{@link Nd4jPath#PORTABLE} (any ND4J backend, nd4j-cuda-11.6 included): ND4J INDArray
 * operations only, in row tiles ({@link PortableBlocks}, {@link PortableKernelOperator},
 * {@link PortableFeatureOperator}, {@link PortableGpVarianceTracker}).
 *
 * <p>{@link Nd4jPath#CPU_BLAS} (nd4j-native, the default there), described below: GEMM/GEMV by
 * OpenBLAS on ND4J's off-heap buffers (see {@link OpenBlas}), elementwise epilogues (exp, cos,
 * clamps) by ND4J ops in place.
 *
 * <p>Every distance-based primitive is the augmented one-GEMM form of {@link DistanceGemm}
 * ({@code ||x||^2 + ||y||^2 - 2 X Y^T} with the norms inside the GEMM). The stateless distance,
 * kernel and feature primitives walk their output in fixed blocks of at most {@link #GEMM_ROWS}
 * rows, one single-threaded GEMM each on the {@link PinnedWorkers}, so their off-heap scratch
 * stays within one tile however large the output and however many the cores
 * ({@link #claimants}), and their bits do not depend on the thread count; so do the inner
 * products that searches use. The hot path, the tiled kernel product, runs
 * block-parallel on {@link PinnedWorkers} ({@link Nd4jKernelOperator}); the GP tracker keeps its
 * factor in double ({@link Nd4jGpVarianceTracker}). Operators allocate all their buffers once, at
 * construction (so ND4J workspaces would add nothing), and must be closed.
 *
 * <p>Cancellation ({@link io.synalign.kernels.Cancellation}): on the CPU path every walk, the
 * stateless primitives' included, asks for the calling thread's interrupt before each block
 * ({@link PinnedWorkers#forEachBlock}) and throws the
 * {@link java.util.concurrent.CancellationException}, status kept set, the walk's own operands
 * and tiles freed by their scopes (the inner products' per-thread scratch stays the backend's)
 * and {@code out} partly written (unspecified, see {@link KernelBackend}); a pooled test set's
 * kernel block of 8,000 x 8,000 x 384 is about 1.7 s in one call.
 *
 * <p>Each operator and tracker owns its buffers, so nothing would break if one ran after the
 * backend was closed; it is refused all the same ({@link BackendLifetime}), as on a device
 * backend, where it would run on a released context.
 *
 * <p>Embedded in a host that uses ND4J too, the backend leaves ND4J's default data type alone
 * (every array it makes names its type), and all its BLAS calls run in pinned runs
 * ({@link PinnedWorkers}), so its results do not depend on what other threads run.
 */
public final class Nd4jBackend implements KernelBackend {

    private final Nd4jPath path;
    private final BackendLifetime lifetime = new BackendLifetime(Nd4jBackendProvider.NAME);
    /**
     * Why the last resident budget this thread asked for was lowered, or null
     * ({@link #residentBudgetReason}): per thread, so two fits planning at once on one backend
     * each read their own.
     */
    private final ThreadLocal<String> lastBudgetReason = new ThreadLocal<>();
    private final BackendScratch scratch = new BackendScratch(lifetime);

    /**
     * Creates the backend on the path {@link Nd4jBackendProvider} selects for this JVM.
     *
     * @throws io.synalign.kernels.BackendUnavailableException when ND4J cannot run here
     */
    public Nd4jBackend() {
        this(Nd4jBackendProvider.selectedPath());
    }

    /**
     * Creates the backend on an explicit path (tests run both paths in one JVM this way).
     *
     * @throws IllegalArgumentException for {@link Nd4jPath#CPU_BLAS} when ND4J's backend is not
     *     the CPU one
     */
    public Nd4jBackend(Nd4jPath path) {
        if (path == null) {
            throw new IllegalArgumentException("path must not be null");
        }
        if (path == Nd4jPath.CPU_BLAS && !Nd4j.getEnvironment().isCPU()) {
            throw new IllegalArgumentException("path CPU_BLAS needs ND4J's CPU backend, but ND4J"
                    + " loaded " + Nd4j.getBackend().getClass().getName());
        }
        this.path = path;
        // ND4J's default data type is the host's to set: every array here names its type.
    }

    /** The execution path this backend runs. */
    public Nd4jPath path() {
        return path;
    }

    private boolean portable() {
        return path == Nd4jPath.PORTABLE;
    }

    @Override
    public String name() {
        return Nd4jBackendProvider.NAME;
    }

    @Override
    public String description() {
        if (portable()) {
            return "ND4J " + Nd4jBackendProvider.ND4J_VERSION + " "
                    + Nd4j.getBackend().getClass().getSimpleName()
                    + ", portable path (INDArray operations), float32";
        }
        return "ND4J " + Nd4jBackendProvider.ND4J_VERSION
                + " CPU (nd4j-native, OpenBLAS), float32, "
                + Nd4j.getEnvironment().maxMasterThreads() + " threads";
    }

    @Override
    public void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out) {
        lifetime.checkOpen();
        checkDims(x, y);
        checkOut(out, (long) x.rows() * y.rows());
        Consumer<INDArray> clamp = tile -> Transforms.max(tile, 0.0, false);
        if (portable()) {
            PortableBlocks.distances(x, y, -2f, out, clamp);
            return;
        }
        distanceBlocks(SQUARED_DISTANCES, x, y, -2f, out, clamp);
    }

    /**
     * {@code X Y^T} by {@link #innerProductBlocks} on the CPU path, each block computed into its
     * worker's part of a native tile and copied from there into its rows of {@code out};
     * {@link PortableBlocks#innerProducts} on the portable path. The operands and the tile live
     * in native buffers kept per calling thread between calls until this backend closes
     * ({@link BackendScratch}): a search calls this thousands of times with the same shapes, and
     * fresh buffers would pay the first-touch page faults of tens of megabytes on every call
     * (measured: a third of the time of a 2,048 x 8,192 x 384 block). The tile holds one block
     * per claiming worker, so it stays within a tile's bytes ({@link #claimants}).
     */
    @Override
    public void innerProducts(FloatMatrix x, FloatMatrix y, float[] out) {
        lifetime.checkOpen();
        checkDims(x, y);
        checkOut(out, (long) x.rows() * y.rows());
        if (portable()) {
            PortableBlocks.innerProducts(x, y, out);
            return;
        }
        int n = x.rows();
        int m = y.rows();
        if (n == 0 || m == 0) {
            return;
        }
        int blockRows = blockRows(n, m);
        int blocks = (n + blockRows - 1) / blockRows;
        int claimants = claimants(blocks, blockRows, m);
        long perWorker = (long) blockRows * m;
        scratch.use(buffers -> {
            FloatPointer left = buffers.left(x);
            FloatPointer right = buffers.right(y);
            FloatPointer tile = buffers.tile(perWorker * claimants);
            PinnedWorkers.forEachBlock(INNER_PRODUCTS, blocks, claimants, (worker, b) -> {
                int start = b * blockRows;
                int count = Math.min(blockRows, n - start);
                FloatPointer own = OpenBlas.at(tile, worker * perWorker);
                innerProductBlock(left, right, start, count, m, x.cols(), own);
                own.get(out, start * m, count * m);
            });
        });
    }

    /**
     * The SGEMM blocks written straight into {@code out} when it is a direct buffer in native
     * order (the CPU path): no tile, no copy; the same blocks, so the same bits, as the array
     * form. Otherwise as the array form.
     */
    @Override
    public void innerProducts(FloatMatrix x, FloatMatrix y, java.nio.FloatBuffer out) {
        lifetime.checkOpen();
        checkDims(x, y);
        long size = (long) x.rows() * y.rows();
        if (portable() || !out.isDirect() || out.order() != java.nio.ByteOrder.nativeOrder()) {
            KernelBackend.super.innerProducts(x, y, out);
            return;
        }
        if (out.capacity() < size) {
            throw new IllegalArgumentException("output holds " + out.capacity() + " values, needs " + size);
        }
        int n = x.rows();
        int m = y.rows();
        if (n == 0 || m == 0) {
            return;
        }
        int blockRows = blockRows(n, m);
        int blocks = (n + blockRows - 1) / blockRows;
        scratch.use(buffers -> {
            FloatPointer left = buffers.left(x);
            FloatPointer right = buffers.right(y);
            try (FloatPointer target = new FloatPointer(out)) {
                target.position(0);
                PinnedWorkers.forEachBlock(INNER_PRODUCTS, blocks, (worker, b) -> {
                    int start = b * blockRows;
                    int count = Math.min(blockRows, n - start);
                    innerProductBlock(left, right, start, count, m, x.cols(),
                            OpenBlas.at(target, (long) start * m));
                });
            }
        });
    }

    /**
     * Rows {@code start .. start + count - 1} of {@code X Y^T} into {@code block}
     * ({@code count x m}, dense): one single-threaded SGEMM on a pinned worker. The blocks are
     * {@link #blockRows} rows of the output, fixed by the sizes, so the bits of every product
     * are the same whatever the thread count; one SGEMM on OpenBLAS's own threads put
     * {@code filter}'s cosines up to 3.6e-7 apart between thread counts (review 23).
     */
    private static void innerProductBlock(FloatPointer left, FloatPointer right, int start,
            int count, int m, int d, FloatPointer block) {
        OpenBlas.gemmNT(count, m, d, 1f, OpenBlas.at(left, (long) start * d), right, block);
    }

    @Override
    public void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out) {
        lifetime.checkOpen();
        checkDims(x, y);
        checkBandwidth(sigma);
        checkOut(out, (long) x.rows() * y.rows());
        float alpha = (float) (1.0 / (sigma * sigma));
        Consumer<INDArray> kernel = DistanceGemm::kernelValues;
        if (portable()) {
            PortableBlocks.distances(x, y, alpha, out, kernel);
        } else {
            distanceBlocks(KERNEL_BLOCK, x, y, alpha, out, kernel);
        }
        if (x == y) {
            // The self-distance is 0, as in the kernel operators: the GEMM form leaves a
            // residue that a small sigma turns into a diagonal well below 1.
            int n = x.rows();
            for (int i = 0; i < n; i++) {
                out[i * n + i] = 1f;
            }
        }
    }

    /**
     * Rows per block of a stateless distance, kernel or feature block: each block is one
     * single-threaded GEMM on a pinned worker ({@link PinnedWorkers#forEachBlock}), so the grid,
     * and the bits, depend on the sizes alone. One GEMM on OpenBLAS's own threads rounds by their
     * count: the median bandwidth moved in its 8th digit between 1 and 2 threads (review 23).
     */
    static final int GEMM_ROWS = 256;

    /** What an interrupted walk of each stateless primitive names ({@link io.synalign.kernels.Cancellation}). */
    static final String SQUARED_DISTANCES = "squared distances (block of rows)";
    static final String KERNEL_BLOCK = "kernel block (block of rows)";
    static final String FEATURE_BLOCK = "random features (block of rows)";
    static final String INNER_PRODUCTS = "inner products (block of rows)";

    /** Rows per block for an output of {@code cols} columns: at most a tile's worth. */
    private static int blockRows(int rows, int cols) {
        return Math.min(GEMM_ROWS, TilePlan.tileRowsFor(rows, cols, TilePlan.DEFAULT_TILE_BYTES));
    }

    /**
     * How many workers take blocks of {@code rowsPerBlock x cols} floats, one buffer each: as
     * many as there are workers and blocks, but no more than a tile's bytes
     * ({@link TilePlan#DEFAULT_TILE_BYTES}) hold, at least one. The scratch of one call then
     * stays within a tile, as it was when one GEMM filled one tile, whatever the core count
     * (one buffer per worker grew with the cores: 512 MiB at 16 of them for a 32 MiB block).
     */
    static int claimants(int blocks, int rowsPerBlock, int cols) {
        long blockBytes = (long) rowsPerBlock * cols * Float.BYTES;
        long byTile = Math.max(1, TilePlan.DEFAULT_TILE_BYTES / Math.max(1, blockBytes));
        return (int) Math.max(1, Math.min(Math.min(PinnedWorkers.count(), blocks), byTile));
    }

    /**
     * One block buffer of {@code rowsPerBlock x cols} floats for each of {@code claimants}
     * workers (its views: a full block and the last one).
     */
    private static BlockBuffer[] workerTiles(int claimants, int rows, int rowsPerBlock, int cols) {
        BlockBuffer[] tiles = new BlockBuffer[claimants];
        try {
            for (int k = 0; k < tiles.length; k++) {
                tiles[k] = BlockBuffer.forRowTiles(rows, rowsPerBlock, cols);
            }
        } catch (RuntimeException | Error e) {
            closeAll(tiles);
            throw e;
        }
        return tiles;
    }

    private static void closeAll(BlockBuffer[] tiles) {
        for (BlockBuffer tile : tiles) {
            if (tile != null) {
                tile.close();
            }
        }
    }

    /**
     * out = epilogue(alpha * -||x_i - y_j||^2 / 2), in fixed blocks of rows shared out to the
     * workers, each into its own buffer and then its own rows of {@code out}.
     */
    private static void distanceBlocks(String work, FloatMatrix x, FloatMatrix y, float alpha,
            float[] out, Consumer<INDArray> epilogue) {
        int n = x.rows();
        int m = y.rows();
        if (n == 0 || m == 0) {
            return;
        }
        int blockRows = blockRows(n, m);
        int blocks = (n + blockRows - 1) / blockRows;
        int claimants = claimants(blocks, blockRows, m);
        try (DistanceGemm gemm = new DistanceGemm(x, y, alpha)) {
            BlockBuffer[] tiles = workerTiles(claimants, n, blockRows, m);
            try {
                PinnedWorkers.forEachBlock(work, blocks, claimants, (worker, b) -> {
                    BlockBuffer tile = tiles[worker];
                    int start = b * blockRows;
                    int count = Math.min(blockRows, n - start);
                    gemm.block(start, count, alpha, tile.pointer());
                    epilogue.accept(tile.view((long) count * m));
                    tile.pointer().get(out, start * m, count * m);
                });
            } finally {
                closeAll(tiles);
            }
        }
    }

    @Override
    public void randomFourierFeatures(FloatMatrix x, FourierFeatures map, float[] out) {
        lifetime.checkOpen();
        checkOut(out, (long) x.rows() * map.features());
        if (portable()) {
            PortableBlocks.fourierFeatures(x, map, out);
            return;
        }
        fourierBlocks(x, map, out);
    }

    /**
     * The features by fixed row blocks of {@link FourierGemm} shared out to the workers, each
     * copied out into its rows of {@code out} (see {@link #GEMM_ROWS}).
     */
    private static void fourierBlocks(FloatMatrix x, FourierFeatures map, float[] out) {
        int n = x.rows();
        int features = map.features();
        try (FourierGemm gemm = new FourierGemm(x, map)) {
            if (n == 0 || features == 0) {
                return;
            }
            int blockRows = blockRows(n, features);
            int blocks = (n + blockRows - 1) / blockRows;
            int claimants = claimants(blocks, blockRows, features);
            BlockBuffer[] tiles = workerTiles(claimants, n, blockRows, features);
            try {
                PinnedWorkers.forEachBlock(FEATURE_BLOCK, blocks, claimants, (worker, b) -> {
                    BlockBuffer tile = tiles[worker];
                    int start = b * blockRows;
                    int count = Math.min(blockRows, n - start);
                    gemm.block(start, count, tile.pointer(), tile.view((long) count * features));
                    tile.pointer().get(out, start * features, count * features);
                });
            } finally {
                closeAll(tiles);
            }
        }
    }

    @Override
    public KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan) {
        lifetime.checkOpen();
        checkDims(x, y);
        checkBandwidth(sigma);
        checkPlan(plan);
        checkStorage(plan, keptStorages(), name());
        if (portable()) {
            return new PortableKernelOperator(x, y, sigma, plan, lifetime);
        }
        if (plan.materialise() && x == y) {
            return new Nd4jSymmetricKernelOperator(x, sigma, lifetime);
        }
        return new Nd4jKernelOperator(x, y, sigma, plan, lifetime);
    }

    /**
     * The CPU path keeps a self-kernel as its upper triangle in row panels (about half the
     * bytes, no Java-array limit); other kept matrices, and the portable path's, are whole.
     */
    @Override
    public long keptKernelBytes(long rows, long cols, boolean symmetric, KernelStorage storage) {
        if (symmetric && rows == cols && !portable() && storage == KernelStorage.FLOAT32) {
            return Nd4jSymmetricKernelOperator.keptBytes(rows);
        }
        return KernelBackend.super.keptKernelBytes(rows, cols, symmetric, storage);
    }

    /**
     * False on both paths: the CPU path keeps K in JavaCPP (native) memory, the portable path in
     * an INDArray, whose buffer is ND4J's off-heap memory (native on nd4j-native, device memory
     * on nd4j-cuda). A kept K_SS of 23 MB grew the Java heap by 0.3 MB on the portable path
     * ({@code KeptKernelHeapTest}); heap33 answered true there, so auto took rff and a named
     * exact was refused over a heap the kernel never used (review33).
     */
    @Override
    public boolean keepsKernelsOnHeap() {
        return false;
    }

    @Override
    public FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map) {
        lifetime.checkOpen();
        // Checked before n x D floats of features are allocated (a mismatch left them to GC).
        checkFeatureDims(x, map);
        return portable() ? new PortableFeatureOperator(x, map, lifetime)
                : new Nd4jFeatureOperator(x, map, lifetime);
    }

    /**
     * Both paths build from one piece at a time with the GEMM calls of the whole block: the CPU
     * path's single-threaded GEMM blocks ({@link Nd4jFeatureOperator}), the portable path's
     * {@code Nd4j.gemm} blocks of the same 256 rows ({@link PortableFeatureOperator}, since
     * helper grid35: before, it read the block whole for one GEMM over all rows, whose threaded
     * split follows the row count).
     */
    @Override
    public FeatureOperator fourierFeatureOperator(RowPieces x, FourierFeatures map) {
        lifetime.checkOpen();
        checkFeatureDims(x, map);
        return portable() ? new PortableFeatureOperator(x, map, lifetime)
                : new Nd4jFeatureOperator(x, map, lifetime);
    }

    /**
     * True on both paths (see {@link #fourierFeatureOperator(RowPieces, FourierFeatures)}): the
     * rff chunk grid is the backend's, D's and d's, whatever the heap.
     */
    @Override
    public boolean featureRowsInPieces() {
        return true;
    }

    @Override
    public GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale, double noise,
            int maxRank) {
        lifetime.checkOpen();
        return portable() ? new PortableGpVarianceTracker(x, lengthScale, noise, maxRank, lifetime)
                : new Nd4jGpVarianceTracker(x, lengthScale, noise, maxRank, lifetime);
    }

    /**
     * Features live off-heap in JavaCPP memory: three quarters of what JavaCPP may still
     * allocate ({@code org.bytedeco.javacpp.maxbytes} less what is allocated now), and at most
     * half of what the process may still take of the memory it runs in
     * ({@link HostMemoryHeadroom}: a container's limit, JavaCPP's cap on the resident set).
     */
    @Override
    public long featureBudgetBytes() {
        long max = org.bytedeco.javacpp.Pointer.maxBytes();
        long used = org.bytedeco.javacpp.Pointer.totalBytes();
        long javacpp = Math.max(0, max - used) / 4 * 3;
        return Math.min(javacpp, HostMemoryHeadroom.keepable(HostMemoryHeadroom.limitBytes(),
                HostMemoryHeadroom.heldBytes()));
    }

    /**
     * K is kept in host memory, in JavaCPP allocations: the caller's budget, but at most half of
     * what the process may still take of the memory it runs in ({@link HostMemoryHeadroom}), so
     * that a container's limit or a small machine makes the plan recompute or use random
     * features instead of having the process killed, and at most three quarters of what JavaCPP
     * may still allocate ({@link HostMemoryHeadroom#offHeapKeepable}), which it refuses past its
     * cap whatever the memory left. The optimiser's working sets share this budget with K_SS.
     */
    @Override
    public long residentBudgetBytes(long hostBudgetBytes) {
        long limit = HostMemoryHeadroom.limitBytes();
        long held = HostMemoryHeadroom.heldBytes();
        long keepable = HostMemoryHeadroom.keepable(limit, held);
        long max = org.bytedeco.javacpp.Pointer.maxBytes();
        long used = org.bytedeco.javacpp.Pointer.totalBytes();
        long offHeap = HostMemoryHeadroom.offHeapKeepable(max, used);
        if (Math.min(keepable, offHeap) < hostBudgetBytes) {
            lastBudgetReason.set(offHeap < keepable ? HostMemoryHeadroom.describeOffHeap(max, used)
                    : HostMemoryHeadroom.describe(limit, held));
            return Math.min(keepable, offHeap);
        }
        lastBudgetReason.remove();
        return hostBudgetBytes;
    }

    @Override
    public String residentBudgetReason() {
        return lastBudgetReason.get();
    }

    /** The host vectors, refused once this backend is closed. */
    @Override
    public VectorOps vectors() {
        lifetime.checkOpen();
        return KernelBackend.super.vectors();
    }

    /**
     * Frees the stateless products' per-thread scratch (waiting for a call using it to finish);
     * every operator owns and frees its own buffers (and may still be closed afterwards). From
     * now on this backend and everything it made refuse to compute ({@link BackendLifetime}).
     */
    @Override
    public void close() {
        lifetime.close();
        scratch.close();
    }
}
