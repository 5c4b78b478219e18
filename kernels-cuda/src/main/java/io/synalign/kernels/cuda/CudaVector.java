package io.synalign.kernels.cuda;

import io.synalign.kernels.DeviceVector;

/** A {@link DeviceVector} of float64 values in device memory, freed by {@link #close()}. */
final class CudaVector implements DeviceVector {

    private final CudaDevice device;
    private final long length;
    private final DeviceMemory memory;
    private boolean closed;

    CudaVector(CudaDevice device, long length) {
        if (length < 0) {
            throw new IllegalArgumentException("vector length must be >= 0, got " + length);
        }
        this.device = device;
        this.length = length;
        this.memory = DeviceMemory.doubles(length, "vector of " + length);
    }

    @Override
    public long length() {
        return length;
    }

    /** The device address of the first value. */
    long address() {
        if (closed) {
            throw new IllegalStateException("vector is closed");
        }
        return memory.address();
    }

    /**
     * The cuda vector behind {@code v}, checked to live on {@code device}.
     *
     * @throws IllegalArgumentException for a vector of another backend or device
     */
    static CudaVector of(DeviceVector v, CudaDevice device) {
        if (v instanceof CudaVector c && c.device == device) {
            return c;
        }
        throw new IllegalArgumentException("expected a vector of this cuda backend, got "
                + (v == null ? "null" : v.getClass().getSimpleName())
                + ": vectors belong to the backend that made them");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            // Kernels queued on the vector may still run: cuMemFree is not promised to wait.
            try {
                device.quiesce();
            } finally {
                memory.close();
            }
        }
    }

    @Override
    public String toString() {
        return "CudaVector[" + length + "]";
    }
}
