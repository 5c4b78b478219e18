package io.synalign.kernels.nd4j;

import org.bytedeco.javacpp.FloatPointer;

/**
 * Native float buffers kept per thread for repeated stateless products: each grows to the
 * largest size asked for and is reused, so a loop of same-shaped calls touches its pages once.
 * The buffers of a thread live as long as the thread (a few blocks of tens of megabytes for a
 * search; JavaCPP frees them when the thread's scratch is collected).
 */
final class NativeScratch {

    private static final ThreadLocal<NativeScratch> SCRATCH = ThreadLocal.withInitial(NativeScratch::new);

    private FloatPointer left;
    private FloatPointer right;
    private FloatPointer tile;

    private NativeScratch() {
    }

    static NativeScratch get() {
        return SCRATCH.get();
    }

    FloatPointer left(long floats) {
        left = ensure(left, floats);
        return left;
    }

    FloatPointer right(long floats) {
        right = ensure(right, floats);
        return right;
    }

    FloatPointer tile(long floats) {
        tile = ensure(tile, floats);
        return tile;
    }

    private static FloatPointer ensure(FloatPointer p, long floats) {
        if (p != null && p.capacity() >= floats) {
            return p.position(0);
        }
        if (p != null) {
            p.close();
        }
        return new FloatPointer(Math.max(1, floats));
    }
}
