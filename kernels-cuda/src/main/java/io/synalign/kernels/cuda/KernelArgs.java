package io.synalign.kernels.cuda;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Packs kernel arguments the way {@code cuLaunchKernel} takes them: {@code kernelParams} is an
 * array of pointers, entry i pointing at the value of parameter i. The values are laid out in one
 * native buffer, each at an offset aligned to its size (see {@link #offsets}), and the pointer
 * array holds {@code buffer + offset_i}. Both buffers are freed by {@link #close()}, which must
 * not happen before the launch call returns (the driver copies the values at launch).
 */
final class KernelArgs implements AutoCloseable {

    private final List<ArgKind> kinds = new ArrayList<>();
    private final List<Number> values = new ArrayList<>();
    private BytePointer buffer;
    private PointerPointer<BytePointer> pointers;

    /** A device address (or 0 for a NULL pointer). */
    KernelArgs pointer(long deviceAddress) {
        return add(ArgKind.POINTER, deviceAddress);
    }

    KernelArgs i32(int value) {
        return add(ArgKind.I32, value);
    }

    KernelArgs i64(long value) {
        return add(ArgKind.I64, value);
    }

    KernelArgs f32(float value) {
        return add(ArgKind.F32, value);
    }

    KernelArgs f64(double value) {
        return add(ArgKind.F64, value);
    }

    private KernelArgs add(ArgKind kind, Number value) {
        if (buffer != null) {
            throw new IllegalStateException("arguments already packed");
        }
        kinds.add(kind);
        values.add(value);
        return this;
    }

    /** The parameter kinds, in order, for checking against the kernel's declaration. */
    List<ArgKind> kinds() {
        return List.copyOf(kinds);
    }

    /**
     * Byte offsets of each argument in the packed buffer, each aligned to its own size; the last
     * entry is the total size rounded up to 8.
     */
    static long[] offsets(List<ArgKind> kinds) {
        long[] offsets = new long[kinds.size() + 1];
        long at = 0;
        for (int i = 0; i < kinds.size(); i++) {
            int size = kinds.get(i).bytes();
            at = (at + size - 1) / size * size;
            offsets[i] = at;
            at += size;
        }
        offsets[kinds.size()] = (at + 7) / 8 * 8;
        return offsets;
    }

    /** The {@code void**} for {@code cuLaunchKernel}, valid until {@link #close()}. */
    PointerPointer<BytePointer> pack() {
        if (pointers != null) {
            return pointers;
        }
        long[] offsets = offsets(kinds);
        buffer = new BytePointer(Math.max(8, offsets[kinds.size()]));
        buffer.fill(0);
        pointers = new PointerPointer<>(Math.max(1, kinds.size()));
        for (int i = 0; i < kinds.size(); i++) {
            long at = offsets[i];
            Number v = values.get(i);
            switch (kinds.get(i)) {
                case POINTER:
                    buffer.putLong(at, v.longValue());
                    break;
                case I32:
                    buffer.putInt(at, v.intValue());
                    break;
                case I64:
                    buffer.putLong(at, v.longValue());
                    break;
                case F32:
                    buffer.putFloat(at, v.floatValue());
                    break;
                case F64:
                    buffer.putDouble(at, v.doubleValue());
                    break;
                default:
                    throw new AssertionError(kinds.get(i));
            }
            pointers.put(i, new RawPointer(buffer.address() + at));
        }
        return pointers;
    }

    /** The packed buffer (for tests); null before {@link #pack()}. */
    BytePointer buffer() {
        return buffer;
    }

    @Override
    public void close() {
        if (pointers != null) {
            pointers.close();
            pointers = null;
        }
        if (buffer != null) {
            buffer.close();
        }
    }
}
