package io.synalign.kernels.cuda;

import static io.synalign.kernels.OperatorArguments.checkBandwidth;
import static io.synalign.kernels.OperatorArguments.checkDims;
import static io.synalign.kernels.OperatorArguments.checkFeatureDims;
import static io.synalign.kernels.OperatorArguments.checkOut;
import static io.synalign.kernels.OperatorArguments.checkPlan;
import static io.synalign.kernels.OperatorArguments.checkStorage;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.VectorOps;
import java.util.EnumSet;
import java.util.Set;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CUDA backend ({@code cuda}): cuBLAS GEMMs ({@code cublasGemmEx}, FP32 compute unless
 * {@link CudaSettings#tf32()} opts in to TF32) plus our own kernels (see
 * {@code kernels-cuda/src/main/cuda}), compiled at run time by NVRTC for the GPU present, cached on
 * disk, and launched through the driver API. Float32 data, double accumulation in every reduction,
 * double GP factor.
 *
 * <p>The stateless kernel primitives stream their output in row tiles sized from free device
 * memory, double-buffered: tile t+1 is computed on the compute stream while tile t is copied
 * back on the copy stream ({@code randomFourierFeatures} builds its whole n x D output on the
 * device). The operators keep their inputs resident and allocate their buffers at construction
 * (a feature operator's reload also allocates the chunk's projection and staging buffers).
 * RBF distances are taken about the origin in float32; a pair whose rounding bound matters at
 * the bandwidth is recomputed from the rows in double inside the kernels (rbf.cu, symk.cu), as
 * the CPU backend's far-pair repair does. Closing the backend releases the context, streams, cuBLAS handle and modules.
 */
public final class CudaBackend implements KernelBackend {

    private static final Logger LOG = LoggerFactory.getLogger(CudaBackend.class);

    /** Device memory a fit needs beside a kept K: vectors, scratch, cuBLAS workspace. */
    static final long FIT_HEADROOM_BYTES = 1L << 30;

    private final CudaDevice device;
    private CudaVectorOps vectors;

    /** Opens the configured device; the provider must have reported it available. */
    public CudaBackend(CudaSettings settings) {
        this.device = CudaDevice.open(settings);
    }

    /**
     * No: one device state (cuBLAS handle, streams, pooled pinned buffers, reduction scratch)
     * serves every call. Concurrent callers wrap it with
     * {@link io.synalign.kernels.SerializedBackend#wrap}.
     */
    @Override
    public boolean threadSafe() {
        return false;
    }

    /** Vectors in device memory ({@link CudaVectorOps}), made on first use. */
    @Override
    public VectorOps vectors() {
        if (vectors == null) {
            vectors = new CudaVectorOps(device);
        }
        return vectors;
    }

    /**
     * The self-kernel is kept as its upper triangle, in float32 or half; another K whole, in
     * float32. {@code Long.MAX_VALUE} where the bytes pass a long (4 rows cols overflowed from
     * 1,518,500,250 rows and columns).
     */
    /** K is kept in device memory. */
    @Override
    public boolean keepsKernelsOnHeap() {
        return false;
    }

    @Override
    public long keptKernelBytes(long rows, long cols, boolean symmetric, KernelStorage storage) {
        if (symmetric && rows == cols) {
            return CudaSymmetricKernelOperator.keptBytes(rows, storage);
        }
        try {
            return Math.multiplyExact(4L, Math.multiplyExact(rows, cols));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public Set<KernelStorage> keptStorages() {
        return EnumSet.of(KernelStorage.FLOAT32, KernelStorage.FLOAT16);
    }

    /**
     * Float32. Half precision reads half the bytes per product (the product is bound by memory
     * bandwidth) and fits twice the n, but measured on real sentence embeddings (banking77 test
     * against its train set plus SST-2 noise, 3,080 x 14,003 x 384, cap 10, 500 iterations) the
     * weights it finds score a float64 MMD^2 10 % above float32 storage's: the optimiser drives
     * the objective to a value (5e-6) far below half precision's rounding of the entries (2.4e-4),
     * and exploits that rounding. So half precision is opt-in ({@code --kernel-storage fp16}),
     * and the planner takes it only when float32 does not fit (docs/PERFORMANCE.md).
     */
    @Override
    public KernelStorage defaultStorage() {
        return KernelStorage.FLOAT32;
    }

    /**
     * K lives in device memory: what {@link DeviceTiles#fits} allows of the free memory now,
     * less {@value #FIT_HEADROOM_BYTES} bytes for the fit's vectors and scratch. The host
     * budget does not apply.
     */
    @Override
    public long residentBudgetBytes(long hostBudgetBytes) {
        device.makeCurrent();
        long usable = Math.max(0, device.freeBytes() - DeviceTiles.RESERVE_BYTES) / 5 * 4;
        return Math.max(0, usable - FIT_HEADROOM_BYTES);
    }

    /** Chunks of 1 GiB of features (262,144 rows at D = 1,024): a few launches per product. */
    @Override
    public int featureChunkRows(int features) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE - 8,
                (1L << 30) / (4L * Math.max(1, features))));
    }

    /** Features are kept in device memory: the same free-memory budget as a kept K. */
    @Override
    public long featureBudgetBytes() {
        return residentBudgetBytes(0);
    }

    /**
     * Uploads the rows once; every operator built from them meanwhile shares that copy. Best
     * effort: when device memory is short, it says so and keeps nothing (each operator then
     * uploads its own copy, as without a scope).
     */
    @Override
    public Residency keepResident(FloatMatrix rows) {
        device.makeCurrent();
        try {
            return device.keepResident(rows);
        } catch (CudaException e) {
            LOG.warn("cuda: cannot keep {} rows on the device ({}); operators upload their own",
                    rows.rows(), e.getMessage());
            return Residency.NONE;
        }
    }

    @Override
    public String name() {
        return CudaBackendProvider.NAME;
    }

    @Override
    public String description() {
        CudaSettings s = device.settings();
        return "CUDA on " + device + ", cuBLAS " + (s.tf32() ? "TF32" : "FP32")
                + " GEMM, NVRTC kernels" + (s.fusedKernel() ? " (fused K w)" : "")
                + ", float32 data, float64 accumulation";
    }

    @Override
    public void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out) {
        checkDims(x, y);
        checkOut(out, (long) x.rows() * y.rows());
        distanceBlocks(x, y, 0f, 0, out);
    }

    @Override
    public void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out) {
        checkDims(x, y);
        checkBandwidth(sigma);
        checkOut(out, (long) x.rows() * y.rows());
        distanceBlocks(x, y, (float) (1.0 / (2 * sigma * sigma)), 1, out);
    }

    /** One cuBLAS GEMM per streamed tile, no epilogue (the distance blocks without it). */
    @Override
    public void innerProducts(FloatMatrix x, FloatMatrix y, float[] out) {
        checkDims(x, y);
        checkOut(out, (long) x.rows() * y.rows());
        int n = x.rows();
        int m = y.rows();
        if (n == 0 || m == 0) {
            return;
        }
        device.makeCurrent();
        try (DeviceRows xd = DeviceRows.upload(device, x, "X");
                DeviceRows yd = x == y ? null : DeviceRows.upload(device, y, "Y")) {
            DeviceRows ys = yd == null ? xd : yd;
            int d = x.cols();
            streamTiles(n, m, (start, count, tile) -> device.gemmDots(ys.row(0), m, xd.row(start),
                    count, d, tile), out);
        }
    }

    private void distanceBlocks(FloatMatrix x, FloatMatrix y, float gamma, int mode, float[] out) {
        int n = x.rows();
        int m = y.rows();
        if (n == 0 || m == 0) {
            return;
        }
        device.makeCurrent();
        try (DeviceRows xd = DeviceRows.upload(device, x, "X");
                DeviceRows yd = x == y ? null : DeviceRows.upload(device, y, "Y")) {
            DeviceRows ys = yd == null ? xd : yd;
            int d = x.cols();
            streamTiles(n, m, (start, count, tile) -> {
                device.gemmDots(ys.row(0), m, xd.row(start), count, d, tile);
                device.launch1d(CudaKernel.RBF_TILE_EPILOGUE, (long) count * m, new KernelArgs()
                        .pointer(tile).pointer(xd.norm(start)).pointer(ys.norm(0)).i32(count)
                        .i32(m).f32(gamma).i32(mode).i32(yd == null ? start : -1)
                        .pointer(xd.row(start)).pointer(ys.row(0)).i32(d));
            }, out);
        }
    }

    @Override
    public void randomFourierFeatures(FloatMatrix x, FourierFeatures map, float[] out) {
        checkOut(out, (long) x.rows() * map.features());
        checkFeatureDims(x, map);
        if (x.rows() == 0) {
            return;
        }
        device.makeCurrent();
        try (CudaFeatureOperator phi = new CudaFeatureOperator(device, x, map)) {
            phi.copyTo(out);
        }
    }

    /** Computes one tile of {@code count} rows starting at {@code start} into device {@code tile}. */
    @FunctionalInterface
    private interface TileKernel {
        void compute(int start, int count, long tile);
    }

    /**
     * Writes an n x m float result tile by tile: two device tiles and two pinned host buffers,
     * so that the copy of tile t back to the host (copy stream) overlaps the computation of tile
     * t+1 (compute stream). Events order the two: a copy waits for its tile's computation, and a
     * computation into a buffer waits for the copy that last read it.
     */
    private void streamTiles(int n, int m, TileKernel kernel, float[] out) {
        // Tiles of at most one pooled staging chunk: enough to keep the bus busy, and the pinned
        // pool stays at two chunks however large the output.
        int tileRows = DeviceTiles.stagedTileRows(device.settings(), device.freeBytes(), n, m);
        long tileBytes = 4L * tileRows * m;
        DeviceMemory[] tiles = new DeviceMemory[2];
        PinnedMemory[] hosts = new PinnedMemory[2];
        // Created inside the try: a cuEventCreate that fails must not leak the ones before it.
        CUevent_st[] computed = new CUevent_st[2];
        CUevent_st[] copied = new CUevent_st[2];
        int[] pendingStart = {-1, -1};
        int[] pendingCount = {0, 0};
        Throwable failure = null;
        try {
            for (int b = 0; b < 2; b++) {
                computed[b] = device.newEvent();
                copied[b] = device.newEvent();
            }
            for (int b = 0; b < 2; b++) {
                tiles[b] = DeviceMemory.allocate(tileBytes, "output tile");
                hosts[b] = device.staging(b, tileBytes);
            }
            int t = 0;
            for (int start = 0; start < n; start += tileRows, t++) {
                int b = t & 1;
                int count = Math.min(tileRows, n - start);
                if (pendingStart[b] >= 0) {
                    drain(b, hosts, copied, pendingStart, pendingCount, m, out);
                    device.computeWaits(copied[b]);
                }
                kernel.compute(start, count, tiles[b].address());
                device.recordOnCompute(computed[b]);
                device.copyWaits(computed[b]);
                device.downloadOnCopyStream(hosts[b].pointer(), tiles[b].address(),
                        4L * count * m);
                device.recordOnCopy(copied[b]);
                pendingStart[b] = start;
                pendingCount[b] = count;
            }
            for (int k = 0; k < 2; k++) {
                int b = (t + k) & 1;
                if (pendingStart[b] >= 0) {
                    drain(b, hosts, copied, pendingStart, pendingCount, m, out);
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            try {
                device.syncAfter(failure); // a failed launch stays the error
            } finally {
                for (int b = 0; b < 2; b++) {
                    if (tiles[b] != null) {
                        tiles[b].close();
                    }
                    // hosts[b] belongs to the backend's pinned pool and stays for the next call.
                    device.destroyEvent(computed[b]); // null where never created
                    device.destroyEvent(copied[b]);
                }
            }
        }
    }

    /** Waits for buffer b's copy and moves it into {@code out}. */
    private void drain(int b, PinnedMemory[] hosts, CUevent_st[] copied, int[] pendingStart,
            int[] pendingCount, int m, float[] out) {
        device.waitFor(copied[b]);
        HostCopy.get(hosts[b].pointer(), 0, out, pendingStart[b] * m, pendingCount[b] * m);
        pendingStart[b] = -1;
    }

    @Override
    public KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan) {
        checkDims(x, y);
        checkBandwidth(sigma);
        checkPlan(plan);
        checkStorage(plan, keptStorages(), name());
        if (plan.materialise() && x == y && x.rows() > 0) {
            device.makeCurrent();
            long bytes = CudaSymmetricKernelOperator.keptBytes(x.rows(), plan.storage());
            if (DeviceTiles.fits(device.freeBytes(), bytes)) {
                return new CudaSymmetricKernelOperator(device, x, sigma, plan.storage());
            }
            LOG.warn("cuda: the {} triangle of the {} x {} self-kernel ({} MiB) does not fit in"
                    + " free device memory; computing it tile by tile instead (O(n^2 d) per"
                    + " product)",
                    plan.storage().cliName(), x.rows(), x.rows(), bytes >> 20);
            return new CudaKernelOperator(device, x, y, sigma, TilePlan.tiled(plan.tileRows()));
        }
        return new CudaKernelOperator(device, x, y, sigma, plan);
    }

    @Override
    public FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map) {
        checkFeatureDims(x, map);
        return new CudaFeatureOperator(device, x, map);
    }

    @Override
    public GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale, double noise,
            int maxRank) {
        return new CudaGpVarianceTracker(device, x, lengthScale, noise, maxRank);
    }

    @Override
    public void close() {
        if (vectors != null) {
            vectors.close();
            vectors = null;
        }
        device.close();
    }
}
