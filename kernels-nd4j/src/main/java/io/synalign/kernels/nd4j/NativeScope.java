package io.synalign.kernels.nd4j;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The native allocations of one construction, owned together until it succeeds: a constructor
 * that makes several in a row (ND4J buffers, JavaCPP pointers, objects holding them) takes
 * each into the scope as it is made and hands them over to the object being built
 * ({@link #transfer}) only at its end. Where a later allocation, or any other step, throws
 * ({@link OutOfMemoryError} from JavaCPP's {@code maxbytes}, ND4J's allocation exceptions, a
 * cancelled build), closing the scope (try-with-resources) frees everything taken so far,
 * newest first, and the original exception goes on to the caller with any failure to free
 * added to it as suppressed. Without it each such constructor leaked what it had allocated
 * before the failure until the garbage collector reached it, native memory counted against
 * {@code maxbytes} meanwhile (docs/RELIABILITY.md, helper native35). The pattern of DJL's
 * {@code NDManager}: one owner of native memory, closed as a whole.
 *
 * <pre>{@code
 * try (NativeScope scope = new NativeScope()) {
 *     this.a = scope.own(Buffers.floats(n));
 *     this.b = scope.own(Buffers.floats(m)); // throws: a is freed
 *     scope.transfer();                      // from here this object owns a and b
 * }
 * }</pre>
 *
 * <p>O(1) per allocation. Not thread-safe: a constructor's, on one thread.
 */
final class NativeScope implements AutoCloseable {

    private final List<AutoCloseable> owned = new ArrayList<>();

    /** Owns {@code array} (closed with the scope unless transferred); returns it. Null: none. */
    INDArray own(INDArray array) {
        if (array != null) {
            owned.add(() -> Buffers.close(array));
        }
        return array;
    }

    /** Owns each of {@code arrays} (see {@link #own(INDArray)}); returns them. */
    INDArray[] own(INDArray[] arrays) {
        owned.add(() -> Buffers.close(arrays));
        return arrays;
    }

    /**
     * Owns {@code resource} (closed with the scope unless transferred): a JavaCPP pointer, or
     * an object of this package holding native memory; returns it. Null: none.
     */
    <T extends AutoCloseable> T own(T resource) {
        if (resource != null) {
            owned.add(resource);
        }
        return resource;
    }

    /**
     * Hands everything taken so far to the caller, who frees it from now on (its
     * {@code close}); the scope's own close then frees nothing.
     */
    void transfer() {
        owned.clear();
    }

    /**
     * Frees what was taken and not transferred, newest first; a failure to free one does not
     * stop the rest, and is thrown (others suppressed in it) only where no exception is
     * already on its way: try-with-resources adds it to that one as suppressed.
     */
    @Override
    public void close() {
        Throwable first = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Throwable t) {
                if (first == null) {
                    first = t;
                } else {
                    first.addSuppressed(t);
                }
            }
        }
        owned.clear();
        if (first instanceof RuntimeException) {
            throw (RuntimeException) first;
        }
        if (first instanceof Error) {
            throw (Error) first;
        }
        if (first != null) {
            throw new IllegalStateException("freeing native memory failed", first);
        }
    }
}
