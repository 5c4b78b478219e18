package io.synalign.kernels.cuda;

import static org.bytedeco.cuda.global.cudart.cuMemAlloc;
import static org.bytedeco.cuda.global.cudart.cuMemFree;

/**
 * One device allocation ({@code cuMemAlloc}), freed by {@link #close()}. Operators allocate all of
 * theirs at construction and reuse them for every product: nothing is allocated per tile.
 */
final class DeviceMemory implements AutoCloseable {

    private final long address;
    private final long bytes;
    private boolean freed;

    private DeviceMemory(long address, long bytes) {
        this.address = address;
        this.bytes = bytes;
    }

    /** Allocates {@code bytes} (at least 8) bytes; throws {@link CudaException} when out of memory. */
    static DeviceMemory allocate(long bytes, String what) {
        long size = Math.max(8, bytes);
        long[] p = new long[1];
        Cuda.check(cuMemAlloc(p, size), "cuMemAlloc(" + size + " bytes for " + what + ")");
        return new DeviceMemory(p[0], size);
    }

    static DeviceMemory floats(long count, String what) {
        return allocate(4 * count, what);
    }

    static DeviceMemory doubles(long count, String what) {
        return allocate(8 * count, what);
    }

    long address() {
        return address;
    }

    /** The device address {@code byteOffset} bytes in. */
    long at(long byteOffset) {
        if (byteOffset < 0 || byteOffset > bytes) {
            throw new IndexOutOfBoundsException("offset " + byteOffset + " of " + bytes);
        }
        return address + byteOffset;
    }

    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            cuMemFree(address);
        }
    }
}
