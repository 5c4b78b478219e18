package io.synalign.kernels.cuda;

import static org.bytedeco.cuda.global.cudart.cuMemAllocHost;
import static org.bytedeco.cuda.global.cudart.cuMemFreeHost;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Page-locked host memory ({@code cuMemAllocHost}): the staging buffer of asynchronous copies,
 * which the driver can only overlap with kernels when the host side is pinned.
 */
final class PinnedMemory implements AutoCloseable {

    private final Pointer base;
    private final long bytes;
    private boolean freed;

    private PinnedMemory(Pointer base, long bytes) {
        this.base = base;
        this.bytes = bytes;
    }

    static PinnedMemory allocate(long bytes) {
        long size = Math.max(8, bytes);
        try (PointerPointer<Pointer> p = new PointerPointer<>(1)) {
            Cuda.check(cuMemAllocHost(p, size), "cuMemAllocHost(" + size + " bytes)");
            return new PinnedMemory(new RawPointer(p.get(0).address()), size);
        }
    }

    Pointer pointer() {
        return base;
    }

    long bytes() {
        return bytes;
    }

    FloatPointer floats() {
        return new FloatPointer(base).capacity(bytes / 4);
    }

    DoublePointer doubles() {
        return new DoublePointer(base).capacity(bytes / 8);
    }

    IntPointer ints() {
        return new IntPointer(base).capacity(bytes / 4);
    }

    BytePointer raw() {
        return new BytePointer(base).capacity(bytes);
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            cuMemFreeHost(base);
        }
    }
}
