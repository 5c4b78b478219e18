package io.synalign.kernels.cuda;

import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.HeapBytes;
import io.synalign.kernels.OperatorArguments;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The random-feature matrix {@code Phi} (n x D, float32) kept on the device: built once by one
 * cuBLAS SGEMM ({@code X Omega}) per row tile and the {@code rff_cos} epilogue
 * ({@code sqrt(2/D) cos(. + b)}); then {@code Phi z} is {@code matrix_weighted_rowsum} and
 * {@code Phi^T w} is {@code weighted_column_sums_partial} plus {@code sum_slices}, both
 * accumulated in double in a fixed order. Cost O(n D) per product; device memory
 * {@code 4 n D} bytes plus the vectors, which is what makes 10^7 rows fit on one GPU
 * (10^7 x 1024 features is 41 GB). X is not kept. Not thread-safe.
 */
final class CudaFeatureOperator extends AbstractFeatureOperator {

    /** Row slices of the transposed product (rows of partial sums). */
    static final int SLICES = 256;

    private final CudaDevice device;
    private final int rows;
    private final int features;
    private final DeviceMemory phi;
    private final DeviceMemory rowVector;
    private final DeviceMemory featureVector;
    private final DeviceMemory rowResult;
    private final DeviceMemory featureResult;
    private final DeviceMemory partial;
    private final PinnedMemory rowHost;
    private final PinnedMemory featureHost;
    private final PinnedMemory rowResultHost;
    private final PinnedMemory featureResultHost;
    private final FourierFeatures map;

    CudaFeatureOperator(CudaDevice device, FloatMatrix x, FourierFeatures map) {
        super(x.rows(), map.features());
        this.device = device;
        this.map = map;
        this.rows = x.rows();
        this.features = map.features();
        device.makeCurrent();
        // On a failure part-way (out of device memory for Phi, say) free what was allocated.
        Allocations made = new Allocations();
        try {
            this.phi = made.add(DeviceMemory.floats((long) rows * features, "Phi"));
            this.rowVector = made.add(DeviceMemory.floats(rows, "w"));
            this.featureVector = made.add(DeviceMemory.floats(features, "z"));
            this.rowResult = made.add(DeviceMemory.doubles(rows, "Phi z"));
            this.featureResult = made.add(DeviceMemory.doubles(features, "Phi^T w"));
            this.partial = made.add(DeviceMemory.doubles((long) SLICES * features,
                    "Phi^T w partials"));
            this.rowHost = made.add(PinnedMemory.allocate(4L * rows));
            this.featureHost = made.add(PinnedMemory.allocate(4L * features));
            this.rowResultHost = made.add(PinnedMemory.allocate(8L * rows));
            this.featureResultHost = made.add(PinnedMemory.allocate(8L * features));
            if (rows > 0) {
                FeatureBlocks.compute(device, x, map, phi.address());
            }
            device.sync();
        } catch (RuntimeException e) {
            // As in every other constructor: work still queued on what is freed here must have
            // run first (a failed launch stays the error).
            device.syncAfter(e);
            made.close();
            throw e;
        }
    }

    @Override
    protected void transposeTimesChecked(double[] w, double[] out) {
        device.makeCurrent();
        put(w, rowHost.floats());
        device.upload(rowVector.address(), rowHost.pointer(), 4L * rows);
        columnSums(featureResult.address());
        device.download(featureResultHost.pointer(), featureResult.address(), 8L * features);
        device.sync();
        featureResultHost.doubles().get(out, 0, features);
    }

    @Override
    protected void timesChecked(double[] z, double[] out) {
        device.makeCurrent();
        put(z, featureHost.floats());
        device.upload(featureVector.address(), featureHost.pointer(), 4L * features);
        device.launchPerRow(CudaKernel.MATRIX_WEIGHTED_ROWSUM, rows, new KernelArgs()
                .pointer(phi.address()).pointer(featureVector.address()).i32(rows).i32(features)
                .pointer(rowResult.address()));
        device.download(rowResultHost.pointer(), rowResult.address(), 8L * rows);
        device.sync();
        rowResultHost.doubles().get(out, 0, rows);
    }

    @Override
    public void transposeTimes(DeviceVector w, DeviceVector out) {
        checkOpen();
        OperatorArguments.checkTransposeTimes(w, out, rows, features);
        device.makeCurrent();
        long to = CudaVector.of(out, device).address();
        if (rows == 0) {
            device.launch1d(CudaKernel.VEC_FILL, features, new KernelArgs().pointer(to)
                    .i64(features).f64(0.0));
            return;
        }
        CudaVectorOps.toFloat(device, w, rowVector.address());
        columnSums(to);
    }

    @Override
    public void times(DeviceVector z, DeviceVector out) {
        checkOpen();
        OperatorArguments.checkTimes(z, out, rows, features);
        if (rows == 0) {
            return;
        }
        device.makeCurrent();
        CudaVectorOps.toFloat(device, z, featureVector.address());
        device.launchPerRow(CudaKernel.MATRIX_WEIGHTED_ROWSUM, rows, new KernelArgs()
                .pointer(phi.address()).pointer(featureVector.address()).i32(rows).i32(features)
                .pointer(CudaVector.of(out, device).address()));
    }

    /** Device doubles {@code to} (D values) = Phi^T (the float row vector), fixed order. */
    private void columnSums(long to) {
        int slices = Math.max(1, Math.min(SLICES, (rows + 7) / 8));
        device.launch(CudaKernel.WEIGHTED_COLUMN_SUMS_PARTIAL, (features + 31) / 32, slices, 32, 8,
                new KernelArgs().pointer(phi.address()).pointer(rowVector.address()).i32(rows)
                        .i32(features).pointer(partial.address()));
        device.launch1d(CudaKernel.SUM_SLICES, features, new KernelArgs()
                .pointer(partial.address()).i32(slices).i32(features).pointer(to));
    }

    /** Recomputes Phi from new rows into the same device buffer. */
    @Override
    public boolean reload(FloatMatrix x) {
        checkOpen();
        if (x.rows() != rows || x.cols() != map.dim()) {
            return false;
        }
        if (rows > 0) {
            device.makeCurrent();
            FeatureBlocks.compute(device, x, map, phi.address());
            device.sync();
        }
        return true;
    }

    /** Copies Phi (row-major n x D) into {@code out}, for the stateless primitive. */
    void copyTo(float[] out) {
        checkOpen();
        device.makeCurrent();
        long total = (long) rows * features;
        long chunk = device.settings().stagingChunkBytes() / 4;
        PinnedMemory staging = device.staging(0, 4L * Math.min(total, chunk));
        for (long at = 0; at < total; at += chunk) {
            int count = (int) Math.min(chunk, total - at);
            device.download(staging.pointer(), phi.at(4L * at), 4L * count);
            device.sync();
            HostCopy.get(staging.pointer(), 0, out, (int) at, count);
        }
    }

    /** Rounds to float on the heap, then one bulk copy into the pinned buffer. */
    private static void put(double[] values, FloatPointer host) {
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = (float) values[i];
        }
        host.put(rounded, 0, rounded.length);
    }

    /**
     * Its own heap ({@link io.synalign.kernels.FeatureOperator#heapBytes}): six device-memory
     * handles (an address and a length each), four pinned host buffers (a handle and its
     * JavaCPP pointer each) and this object; Phi and every buffer's contents are device or
     * pinned memory, the map the caller's. Counted from the fields; not measured on a device.
     */
    @Override
    public long heapBytes() {
        long device = HeapBytes.object(0, 2 * Long.BYTES + 1);
        long pinned = HeapBytes.object(1, Long.BYTES + 1) + HeapBytes.object(1, 4 * Long.BYTES);
        return HeapBytes.object(13, 2 * Integer.BYTES + 1) + 6 * device + 4 * pinned;
    }

    @Override
    protected void release() {
        try {
            device.quiesce(); // nothing to wait for once the backend is closed
        } finally {
            // Freed even after a device error (the sync then throws): pinned memory would leak.
            try (phi; rowVector; featureVector; rowResult; featureResult; partial; rowHost;
                    featureHost; rowResultHost; featureResultHost) {
                // closed in reverse order by try-with-resources
            }
        }
    }
}
