package io.synalign.kernels.cuda;

import io.synalign.kernels.FloatMatrix;
import org.bytedeco.cuda.cudart.CUevent_st;

/**
 * A row set resident on the device: the row-major float32 rows and their squared norms
 * ({@code row_norms} kernel), uploaded once and reused by every product. A row set the backend
 * keeps resident ({@link CudaDevice#keepResident}) is lent, not uploaded again: closing a lent
 * copy frees nothing.
 */
final class DeviceRows implements AutoCloseable {

    final int rows;
    final int dim;
    final DeviceMemory data;
    final DeviceMemory norms;
    private final boolean owned;

    private DeviceRows(int rows, int dim, DeviceMemory data, DeviceMemory norms, boolean owned) {
        this.rows = rows;
        this.dim = dim;
        this.data = data;
        this.norms = norms;
        this.owned = owned;
    }

    /** {@code m} on the device: the kept copy if the backend keeps one, else a new upload. */
    static DeviceRows upload(CudaDevice device, FloatMatrix m, String what) {
        DeviceRows kept = device.residentRows(m);
        if (kept != null) {
            return new DeviceRows(kept.rows, kept.dim, kept.data, kept.norms, false);
        }
        return uploadOwned(device, m, what);
    }

    /**
     * Uploads {@code m} through the backend's two pooled pinned staging buffers in chunks of at
     * most {@link CudaSettings#stagingChunkBytes()} on the copy stream (filling one buffer while the other
     * is copied), then computes the norms on the compute stream once the copy is done.
     */
    static DeviceRows uploadOwned(CudaDevice device, FloatMatrix m, String what) {
        DeviceMemory data = DeviceMemory.floats((long) m.rows() * m.cols(), what);
        DeviceMemory norms = null;
        try {
            norms = DeviceMemory.floats(m.rows(), what + " norms");
            if (m.rows() > 0) {
                copyUp(device, m.data(), data.address());
                device.launchWarpPerRow(CudaKernel.ROW_NORMS, m.rows(), new KernelArgs()
                        .pointer(data.address()).i32(m.rows()).i32(m.cols())
                        .pointer(norms.address()));
            }
            return new DeviceRows(m.rows(), m.cols(), data, norms, true);
        } catch (RuntimeException e) {
            // Chunks may still be on their way up, or the norms queued: wait before freeing
            // (this waits for every stream, so a row set uploaded just before is idle too).
            device.syncAfter(e);
            data.close();
            if (norms != null) {
                norms.close();
            }
            throw e;
        }
    }

    /**
     * {@code values} to device address {@code to}, chunked through the pinned pool, double
     * buffered on the copy stream; the compute stream is made to wait for the last chunk, and the
     * pool is free again when this returns.
     */
    static void copyUp(CudaDevice device, float[] values, long to) {
        long total = values.length;
        long chunk = device.settings().stagingChunkBytes() / 4;
        // Created inside the try: a cuEventCreate that fails must not leak the one before it.
        CUevent_st[] copied = new CUevent_st[2];
        boolean[] pending = {false, false};
        try {
            copied[0] = device.newEvent();
            copied[1] = device.newEvent();
            int b = 0;
            for (long at = 0; at < total; at += chunk, b ^= 1) {
                int count = (int) Math.min(chunk, total - at);
                if (pending[b]) {
                    device.waitFor(copied[b]);
                }
                PinnedMemory staging = device.staging(b, 4L * Math.min(chunk, total));
                HostCopy.put(values, (int) at, count, staging.pointer(), 0);
                device.uploadOnCopyStream(to + 4 * at, staging.pointer(), 4L * count);
                device.recordOnCopy(copied[b]);
                pending[b] = true;
            }
            int last = b ^ 1;
            if (pending[last]) {
                device.computeWaits(copied[last]);
            }
            for (int k = 0; k < 2; k++) {
                if (pending[k]) {
                    device.waitFor(copied[k]);
                }
            }
        } finally {
            device.destroyEvent(copied[0]);
            device.destroyEvent(copied[1]);
        }
    }

    /** Device address of row {@code i}. */
    long row(long i) {
        return data.at(4L * i * dim);
    }

    /** Device address of the norm of row {@code i}. */
    long norm(long i) {
        return norms.at(4L * i);
    }

    long bytes() {
        return data.bytes() + norms.bytes();
    }

    @Override
    public void close() {
        if (owned) {
            data.close();
            norms.close();
        }
    }
}
