package io.synalign.kernels.cuda;

import io.synalign.kernels.AbstractKernelOperator;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.OperatorArguments;
import java.util.Locale;

/**
 * The kept self-kernel {@code K = K_XX} on one GPU ({@code symk.cu}): only the upper triangle,
 * in 32 x 32 tiles, float32 or IEEE half; kernel values in [0, 1] keep about 3.3 significant
 * digits in half, and products still accumulate 32-term float partials into double. A flat tile
 * (every exponent above -1/4) holds {@code k - 1} instead of {@code k}, and its products add the
 * weights' sums in double, so a kernel near 1 keeps each value's distance from 1; they also
 * multiply what rounding w to float dropped, {@code fl(w - fl(w))}, so that near a fit's optimum
 * the product's rounding does not move with w's roundings from one iterate to the next (g has
 * one sign there: {@code G (w - fl(w))} does not average out; docs/RELIABILITY.md, helper
 * symk29). Ordinary tiles compute exactly what they did before.
 *
 * <p>Build: X stays on the device; per band of tile rows (sized so the dot-product scratch stays
 * within a quarter of free memory, at most 1 GiB) one cuBLAS SGEMM of the band's rows against
 * every row from the band on (the upper part), then {@code symk_pack} turns the dots into kernel
 * values tile by tile (exact unit diagonal, diagonal tiles exactly symmetric, k - 1 in flat
 * tiles) in the storage format. Cost about {@code n^2 d} flops (half the full matrix) and one write of the triangle.
 *
 * <p>Product {@code y = K w}: {@code symk_weights} (w as floats, what the rounding dropped as
 * floats, and each 32-row block's weight sum in double), then {@code symk_fused} (one block per
 * tile row: each tile read once gives its rows' 32-term partials, added in double, and its
 * columns' partials, written to a float buffer of {@code n^2 / 64} values; a flat tile, stored
 * as k - 1, takes its partials in double of the float g and w to within 2^-48 (the float w plus
 * what its rounding dropped), so that near a fit's optimum at 10 to 100 x the median bandwidth
 * neither w's rounding nor float sums move the product from one iterate to the next (helpers
 * symk29, cudaflat33), and writes its columns' double partials as high words to that buffer and
 * low words to a second such buffer; on GPUs whose FP64 rate is 1/32 or 1/64 of FP32's,
 * {@code symk_fused_compensated} takes those partials in float arithmetic with exact error
 * terms instead, to about 5e-15 of {@code sum |g w|} r.m.s. where double leaves 1e-16: {@link FlatSums}, helper cudaplan34) and
 * {@code symk_col_reduce} (one block per tile column,
 * adding those partials in a fixed order). So a product reads the triangle once, plus 1/32 of
 * the fp32 triangle's bytes twice (twice that where every tile is flat), and repeats bit for bit. An
 * earlier two-pass form (rows, then columns, each reading every tile) read twice the triangle.
 * Device memory {@code (n^2 / 2 + 16 n) x bytes per entry + n^2 / 8} bytes, plus 3 n doubles,
 * 2 n floats and n / 32 doubles. Not thread-safe.
 */
final class CudaSymmetricKernelOperator extends AbstractKernelOperator {

    static final int TILE = 32;

    private final CudaDevice device;
    private final int n;
    private final int tileRows;
    private final KernelStorage storage;
    private final DeviceMemory kernel;
    private final DeviceMemory weights;
    private final DeviceMemory weightsDouble;
    private final DeviceMemory blockSums;
    private final DeviceMemory rowSums;
    private final DeviceMemory columnPartials;
    private final DeviceMemory columnPartialsLow;
    private final DeviceMemory weightsLow;
    private final DeviceMemory result;
    private final PinnedMemory hostIn;
    private final PinnedMemory hostOut;

    /** Tiles of the triangle of an n x n matrix. */
    static long tiles(long n) {
        long nt = (n + TILE - 1) / TILE;
        return nt * (nt + 1) / 2;
    }

    /**
     * Device bytes of the kept triangle and the product's two buffers of column partials (of
     * fl(w), and of w - fl(w) for flat tiles); {@code Long.MAX_VALUE} where they pass a long
     * (fp32 from n = 2,083,365,121; with one buffer of partials the count overflowed from n =
     * 2,114,695,681 to a negative one that the planner read as fitting).
     */
    static long keptBytes(long n, KernelStorage storage) {
        try {
            return Math.addExact(Math.multiplyExact(tiles(n), (long) TILE * TILE * storage.bytes()),
                    Math.multiplyExact(tiles(n), 2L * TILE * 4));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    CudaSymmetricKernelOperator(CudaDevice device, FloatMatrix x, double sigma,
            KernelStorage storage) {
        super(x.rows(), x.rows());
        this.device = device;
        this.n = x.rows();
        this.tileRows = (n + TILE - 1) / TILE;
        this.storage = storage;
        device.makeCurrent();
        Allocations made = new Allocations();
        try {
            this.kernel = made.add(DeviceMemory.allocate(tiles(n) * TILE * TILE * storage.bytes(),
                    "kept K (" + storage.cliName() + " triangle)"));
            this.columnPartials = made.add(DeviceMemory.floats(tiles(n) * TILE,
                    "column partials"));
            this.columnPartialsLow = made.add(DeviceMemory.floats(tiles(n) * TILE,
                    "column partials (low words of flat tiles' doubles)"));
            this.weights = made.add(DeviceMemory.floats(n, "w (float)"));
            this.weightsLow = made.add(DeviceMemory.floats(n, "w - fl(w) (float)"));
            this.weightsDouble = made.add(DeviceMemory.doubles(n, "w"));
            this.blockSums = made.add(DeviceMemory.doubles(tileRows, "w block sums"));
            this.rowSums = made.add(DeviceMemory.doubles(n, "row pass sums"));
            this.result = made.add(DeviceMemory.doubles(n, "K w"));
            this.hostIn = made.add(PinnedMemory.allocate(8L * n));
            this.hostOut = made.add(PinnedMemory.allocate(8L * n));
            if (n > 0) {
                build(x, (float) (1.0 / (2 * sigma * sigma)));
            }
            device.sync();
        } catch (RuntimeException e) {
            // Packs may still be queued on what is freed here (a failed launch stays the error).
            device.syncAfter(e);
            made.close();
            throw e;
        }
    }

    private void build(FloatMatrix xs, float gamma) {
        try (DeviceRows x = DeviceRows.upload(device, xs, "X")) {
            // Dots of a band of b tile rows against the rows from the band on: 32 b x n floats.
            long budget = Math.min(device.settings().maxTileBytes(),
                    Math.max(0, device.freeBytes() - DeviceTiles.RESERVE_BYTES) / 4);
            int band = (int) Math.max(1, Math.min(tileRows, budget / (4L * TILE * n)));
            try (DeviceMemory dots = DeviceMemory.floats((long) band * TILE * n, "band dots")) {
                try {
                    packBands(x, dots, band, gamma);
                    // The scratch is freed when this block ends: the last pack must have run.
                    device.sync();
                } catch (RuntimeException e) {
                    // The same on failure (a failed launch stays the error).
                    device.syncAfter(e);
                    throw e;
                }
            }
        }
    }

    /** Queues, band by band, the dots of the band's rows and the packing of its tiles. */
    private void packBands(DeviceRows x, DeviceMemory dots, int band, float gamma) {
        int d = x.dim;
        for (int first = 0; first < tileRows; first += band) {
            int bandTiles = Math.min(band, tileRows - first);
            int start = first * TILE;
            int rows = Math.min(bandTiles * TILE, n - start);
            int cols = n - start;
            device.gemmDots(x.row(start), cols, x.row(start), rows, d, dots.address());
            long blocks = 0;
            for (int i = first; i < first + bandTiles; i++) {
                blocks += tileRows - i;
            }
            device.launch(CudaKernel.SYMK_PACK, (int) blocks, 1, CudaDevice.BLOCK, 1,
                    new KernelArgs().pointer(dots.address()).i64(cols)
                            .pointer(x.norm(0)).i32(n).i32(tileRows).i32(first)
                            .i32(bandTiles).f32(gamma)
                            .i32(storage == KernelStorage.FLOAT16 ? 1 : 0)
                            .pointer(kernel.address()).pointer(x.row(0)).i32(d));
        }
    }

    @Override
    public boolean materialised() {
        return true;
    }

    @Override
    public String storageDescription() {
        return String.format(Locale.ROOT, "kept, %s upper triangle, %.1f MiB of device memory",
                storage.cliName(), keptBytes(n, storage) / 1048576.0);
    }

    @Override
    public void multiply(DeviceVector w, DeviceVector out) {
        checkOpen();
        OperatorArguments.checkMultiply(w, out, n, n);
        device.makeCurrent();
        product(CudaVector.of(w, device).address(), CudaVector.of(out, device).address());
    }

    @Override
    protected void multiplyChecked(double[] w, double[] out) {
        device.makeCurrent();
        hostIn.doubles().put(w, 0, n);
        device.upload(weightsDouble.address(), hostIn.pointer(), 8L * n);
        run(weightsDouble.address(), out);
    }

    @Override
    protected void rowSumsChecked(double[] out) {
        device.makeCurrent();
        run(0L, out);
    }

    /** out = K w for device doubles w (0: all ones), n >= 1 (the base class answers n = 0). */
    private void run(long w, double[] out) {
        product(w, result.address());
        device.download(hostOut.pointer(), result.address(), 8L * n);
        device.sync();
        hostOut.doubles().get(out, 0, n);
    }

    /**
     * out (device doubles) = K w for device doubles w (0: all ones): symk_weights, symk_fused,
     * then symk_col_reduce.
     */
    private void product(long w, long out) {
        if (n == 0) {
            return;
        }
        int half = storage == KernelStorage.FLOAT16 ? 1 : 0;
        device.launchWarpPerRow(CudaKernel.SYMK_WEIGHTS, tileRows, new KernelArgs().pointer(w)
                .i32(n).i32(tileRows).pointer(weights.address()).pointer(weightsLow.address())
                .pointer(blockSums.address()));
        // symk_fused or symk_fused_compensated (the same arguments): by the device's FP64 rate.
        device.launch(device.flatSums().kernel(), tileRows, 1, CudaDevice.BLOCK, 1, new KernelArgs()
                .pointer(kernel.address()).i32(half).pointer(weights.address())
                .pointer(weightsLow.address()).pointer(blockSums.address()).i32(n)
                .i32(tileRows).pointer(rowSums.address()).pointer(columnPartials.address())
                .pointer(columnPartialsLow.address()));
        device.launch(CudaKernel.SYMK_COL_REDUCE, tileRows, 1, CudaDevice.BLOCK, 1,
                new KernelArgs().pointer(columnPartials.address())
                        .pointer(columnPartialsLow.address()).pointer(rowSums.address())
                        .pointer(kernel.address()).i32(half).pointer(blockSums.address())
                        .i32(n).i32(tileRows).pointer(out));
    }

    @Override
    protected void release() {
        try {
            device.quiesce(); // nothing to wait for once the backend is closed
        } finally {
            // Freed even after a device error (the sync then throws): pinned memory would leak.
            try (kernel; columnPartials; columnPartialsLow; weights; weightsLow; weightsDouble;
                    blockSums; rowSums; result; hostIn; hostOut) {
                // closed in reverse order by try-with-resources
            }
        }
    }
}
