package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
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

    /** The left operand's buffer holding a copy of {@code x}'s rows. */
    FloatPointer left(FloatMatrix x) {
        left = copy(ensure(left, (long) x.rows() * x.cols()), x);
        return left;
    }

    /** The right operand's buffer holding a copy of {@code y}'s rows. */
    FloatPointer right(FloatMatrix y) {
        right = copy(ensure(right, (long) y.rows() * y.cols()), y);
        return right;
    }

    private static FloatPointer copy(FloatPointer p, FloatMatrix m) {
        p.position(0).put(m.data(), 0, m.rows() * m.cols());
        return p.position(0);
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
