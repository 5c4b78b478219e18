package io.synalign.kernels.cuda;

import io.synalign.kernels.FloatMatrix;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A row set resident on the device: the row-major float32 rows and their squared norms
 * ({@code row_norms} kernel), uploaded once and reused by every product.
 */
final class DeviceRows implements AutoCloseable {

    final int rows;
    final int dim;
    final DeviceMemory data;
    final DeviceMemory norms;

    private DeviceRows(int rows, int dim, DeviceMemory data, DeviceMemory norms) {
        this.rows = rows;
        this.dim = dim;
        this.data = data;
        this.norms = norms;
    }

    /**
     * Uploads {@code m} through a pinned staging buffer on the copy stream, and computes the
     * norms on the compute stream once the copy is done. When {@code other} is being computed on
     * the compute stream meanwhile (the caller uploads the second row set after launching the
     * first one's norms), the copy overlaps that kernel.
     */
    static DeviceRows upload(CudaDevice device, FloatMatrix m, String what) {
        DeviceMemory data = DeviceMemory.floats((long) m.rows() * m.cols(), what);
        DeviceMemory norms = null;
        try {
            norms = DeviceMemory.floats(m.rows(), what + " norms");
            if (m.rows() > 0) {
                try (PinnedMemory staging = PinnedMemory.allocate(m.bytes())) {
                    FloatPointer host = staging.floats();
                    host.put(m.data(), 0, m.data().length);
                    device.uploadOnCopyStream(data.address(), staging.pointer(), m.bytes());
                    var copied = device.newEvent();
                    try {
                        device.recordOnCopy(copied);
                        device.computeWaits(copied);
                        device.launchWarpPerRow(CudaKernel.ROW_NORMS, m.rows(), new KernelArgs()
                                .pointer(data.address()).i32(m.rows()).i32(m.cols())
                                .pointer(norms.address()));
                        // The staging buffer is freed when this block ends: wait for the copy.
                        device.waitFor(copied);
                    } finally {
                        device.destroyEvent(copied);
                    }
                }
            }
            return new DeviceRows(m.rows(), m.cols(), data, norms);
        } catch (RuntimeException e) {
            data.close();
            if (norms != null) {
                norms.close();
            }
            throw e;
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
        data.close();
        norms.close();
    }
}
