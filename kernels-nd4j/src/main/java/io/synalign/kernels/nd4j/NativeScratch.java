package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import org.bytedeco.javacpp.FloatPointer;

/**
 * One thread's native float buffers for repeated stateless products: each grows to the largest
 * size asked for and is reused, so a loop of same-shaped calls touches its pages once. Owned by a
 * {@link BackendScratch}, which frees it when the backend closes; used by one thread at a time.
 */
final class NativeScratch {

    private FloatPointer left;
    private FloatPointer right;
    private FloatPointer tile;
    private boolean freed;

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

    private FloatPointer ensure(FloatPointer p, long floats) {
        if (freed) {
            throw new IllegalStateException("native scratch used after it was freed");
        }
        if (p != null && p.capacity() >= floats) {
            return p.position(0);
        }
        if (p != null) {
            p.close();
        }
        return new FloatPointer(Math.max(1, floats));
    }

    boolean freed() {
        return freed;
    }

    /** Frees the buffers now (not when the garbage collector gets to them); final. */
    void free() {
        freed = true;
        for (FloatPointer p : new FloatPointer[] {left, right, tile}) {
            if (p != null) {
                p.close();
            }
        }
        left = null;
        right = null;
        tile = null;
    }
}
