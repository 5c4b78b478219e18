package io.synalign.kernels.cuda;

import io.synalign.kernels.AbstractKernelOperator;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.OperatorArguments;
import io.synalign.kernels.TilePlan;
import org.bytedeco.javacpp.DoublePointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code w -> K w} for the RBF kernel between X (n rows) and Y (m rows) on one GPU, float32
 * kernel values, double weights and accumulation. Where the kernel is flat (an exponent above
 * -1/4) each term is taken as {@code w + (k - 1) w} with {@code k - 1 = expm1f(...)}, so the
 * products keep each value's distance from 1 (rbf.cu, "Flat kernels").
 *
 * <p>X, Y and their norms stay on the device for the operator's life. Tiled plan, per product:
 * for each tile of rows of X, either (default) one cuBLAS SGEMM writes the tile's dot products
 * and {@code rbf_weighted_rowsum} turns each into {@code exp(-||x_i - y_j||^2 / (2 sigma^2))}
 * as it reads it and adds {@code k_ij w_j} into the row's sum, so the kernel values are never
 * stored; or ({@link CudaSettings#fusedKernel()}) {@code rbf_fused_kw} does the dot products too,
 * in shared memory, and writes only per-64-column partial sums. The tile height comes from free
 * device memory ({@link DeviceTiles}), not from {@code plan.tileRows()}, which is sized for host
 * caches. Cost 2 n m d flops plus n m exps per product; device memory
 * O((n + m) d + tileRows m).
 *
 * <p>Materialised plan: K is built once, row tile by row tile, into an n x m device buffer (when
 * it fits 80 % of free device memory; otherwise the operator tiles and says so in the log), each
 * value in its kept form ({@code k - 1}, sign bit set, where flat; else {@code k}), and a
 * product is one {@code rbf_kept_rowsum} pass, O(n m).
 *
 * <p>All device and pinned buffers are allocated at construction. A product on arrays uploads w
 * (m doubles) and downloads n doubles; a product on backend vectors
 * ({@link #multiply(DeviceVector, DeviceVector)}) reads w where it is and writes K w straight
 * into the output vector, so nothing crosses the bus. Partial sums are added in a fixed order, so a repeated product is
 * bit-identical. Not thread-safe.
 */
final class CudaKernelOperator extends AbstractKernelOperator {

    private static final Logger LOG = LoggerFactory.getLogger(CudaKernelOperator.class);

    private final CudaDevice device;
    private final int rows;
    private final int cols;
    private final int dim;
    private final float gamma;
    private final boolean fused;
    private final DeviceRows x;
    private final DeviceRows y;
    private final DeviceMemory kernel;
    private final DeviceMemory tile;
    private final int tileRows;
    private final DeviceMemory weights;
    private final DeviceMemory result;
    private final PinnedMemory weightsHost;
    private final PinnedMemory resultHost;

    CudaKernelOperator(CudaDevice device, FloatMatrix xs, FloatMatrix ys, double sigma,
            TilePlan plan) {
        super(xs.rows(), ys.rows());
        this.device = device;
        this.rows = xs.rows();
        this.cols = ys.rows();
        this.dim = xs.cols();
        this.gamma = (float) (1.0 / (2 * sigma * sigma));
        this.fused = device.settings().fusedKernel();
        device.makeCurrent();
        DeviceRows xd = null;
        DeviceRows yd = null;
        DeviceMemory k = null;
        DeviceMemory t = null;
        DeviceMemory w = null;
        DeviceMemory r = null;
        PinnedMemory wh = null;
        PinnedMemory rh = null;
        try {
            xd = DeviceRows.upload(device, xs, "X");
            yd = xs == ys ? xd : DeviceRows.upload(device, ys, "Y");
            w = DeviceMemory.doubles(cols, "w");
            r = DeviceMemory.doubles(rows, "K w");
            wh = PinnedMemory.allocate(8L * cols);
            rh = PinnedMemory.allocate(8L * rows);
            long kernelBytes = 4L * rows * cols;
            boolean materialise = plan.materialise() && rows > 0 && cols > 0;
            if (materialise && !DeviceTiles.fits(device.freeBytes(), kernelBytes)) {
                LOG.info("cuda: the {} x {} kernel matrix ({} MiB) does not fit in free device"
                        + " memory; computing it tile by tile instead", rows, cols,
                        kernelBytes >> 20);
                materialise = false;
            }
            if (materialise) {
                k = DeviceMemory.allocate(kernelBytes, "K");
                this.tileRows = rows;
            } else {
                long perRow = fused ? DeviceTiles.fusedBytesPerRow(cols) : 4L * cols;
                this.tileRows = fused
                        ? DeviceTiles.fusedTileRows(device.settings(), device.freeBytes(), rows, cols)
                        : DeviceTiles.tileRows(device.settings(), device.freeBytes(), rows,
                                Math.max(8, perRow));
                t = DeviceMemory.allocate((long) tileRows * Math.max(8, perRow), "K tile");
            }
            this.x = xd;
            this.y = yd;
            this.kernel = k;
            this.tile = t;
            this.weights = w;
            this.result = r;
            this.weightsHost = wh;
            this.resultHost = rh;
            if (kernel != null) {
                buildKernel();
            }
            device.sync();
        } catch (RuntimeException e) {
            // The kernel build may still be queued on what is freed here.
            device.syncAfter(e);
            closeAll(xd, yd == xd ? null : yd, k, t, w, r, wh, rh);
            throw e;
        }
    }

    /**
     * K into the n x m buffer in its kept form (k - 1 where flat, else k: rbf_tile_epilogue's
     * mode 2): one GEMM and one epilogue pass.
     */
    private void buildKernel() {
        device.gemmDots(y.row(0), cols, x.row(0), rows, dim, kernel.address());
        device.launch1d(CudaKernel.RBF_TILE_EPILOGUE, (long) rows * cols, new KernelArgs()
                .pointer(kernel.address()).pointer(x.norm(0)).pointer(y.norm(0)).i32(rows)
                .i32(cols).f32(gamma).i32(2).i32(diagonal(0)).pointer(x.row(0)).pointer(y.row(0))
                .i32(dim));
    }

    @Override
    public boolean materialised() {
        return kernel != null;
    }

    @Override
    protected void multiplyChecked(double[] w, double[] out) {
        device.makeCurrent();
        // One bulk copy into the pinned buffer (not one JNI call each).
        weightsHost.doubles().put(w, 0, cols);
        device.upload(weights.address(), weightsHost.pointer(), 8L * cols);
        product(weights.address(), out);
    }

    @Override
    protected void rowSumsChecked(double[] out) {
        device.makeCurrent();
        product(0L, out);
    }

    @Override
    public void multiply(DeviceVector w, DeviceVector out) {
        checkOpen();
        OperatorArguments.checkMultiply(w, out, rows, cols);
        device.makeCurrent();
        long to = CudaVector.of(out, device).address();
        if (rows == 0) {
            return;
        }
        if (cols == 0) {
            device.launch1d(CudaKernel.VEC_FILL, rows, new KernelArgs().pointer(to).i64(rows)
                    .f64(0.0));
            return;
        }
        long from = CudaVector.of(w, device).address();
        if (from == to) {
            // K w into w itself: every row tile reads all of w while writing its rows, so it
            // reads a copy.
            device.copyOnDevice(weights.address(), from, 8L * cols);
            from = weights.address();
        }
        compute(from, to);
    }

    /** out = K v, with v == 0 (NULL) meaning all ones; n, m >= 1. */
    private void product(long v, double[] out) {
        compute(v, result.address());
        device.download(resultHost.pointer(), result.address(), 8L * rows);
        device.sync();
        DoublePointer host = resultHost.doubles();
        host.get(out, 0, rows);
    }

    /**
     * Device doubles {@code to} = K v (v: device doubles, or 0 meaning all ones), queued on the
     * compute stream.
     */
    private void compute(long v, long to) {
        if (kernel != null) {
            device.launchPerRow(CudaKernel.RBF_KEPT_ROWSUM, rows, new KernelArgs()
                    .pointer(kernel.address()).pointer(v).i32(rows).i32(cols).pointer(to));
        } else {
            for (int start = 0; start < rows; start += tileRows) {
                int count = Math.min(tileRows, rows - start);
                if (fused) {
                    fusedTile(start, count, v, to);
                } else {
                    gemmTile(start, count, v, to);
                }
            }
        }
    }

    private void gemmTile(int start, int count, long v, long to) {
        device.gemmDots(y.row(0), cols, x.row(start), count, dim, tile.address());
        device.launchPerRow(CudaKernel.RBF_WEIGHTED_ROWSUM, count, new KernelArgs()
                .pointer(tile.address()).pointer(x.norm(start)).pointer(y.norm(0)).pointer(v)
                .i32(count).i32(cols).f32(gamma).i32(diagonal(start))
                .pointer(to + 8L * start).pointer(x.row(start)).pointer(y.row(0)).i32(dim));
    }

    private void fusedTile(int start, int count, long v, long to) {
        int colBlocks = (cols + CudaKernel.FUSED_TILE - 1) / CudaKernel.FUSED_TILE;
        int rowBlocks = (count + CudaKernel.FUSED_TILE - 1) / CudaKernel.FUSED_TILE;
        device.launch(CudaKernel.RBF_FUSED_KW, colBlocks, rowBlocks, 16, 16, new KernelArgs()
                .pointer(x.row(start)).pointer(y.row(0)).pointer(x.norm(start))
                .pointer(y.norm(0)).pointer(v).i32(count).i32(cols).i32(dim).f32(gamma)
                .i32(diagonal(start)).pointer(tile.address()));
        device.launch1d(CudaKernel.SUM_COLUMN_PARTIALS, count, new KernelArgs()
                .pointer(tile.address()).i32(colBlocks).i32(count)
                .pointer(to + 8L * start));
    }

    /**
     * The diagonal argument of the fused kernels for a tile starting at row {@code start}: the
     * tile's offset when X and Y are one row set (k(x, x) = 1 exactly there), else -1.
     */
    private int diagonal(int start) {
        return x == y ? start : -1;
    }

    @Override
    protected void release() {
        try {
            device.quiesce(); // nothing to wait for once the backend is closed
        } finally {
            // Freed even after a device error (the sync then throws): pinned memory would leak.
            closeAll(x, y == x ? null : y, kernel, tile, weights, result, weightsHost, resultHost);
        }
    }

    private static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable c : resources) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("cuda: closing {}: {}", c, e.toString());
                }
            }
        }
    }
}
