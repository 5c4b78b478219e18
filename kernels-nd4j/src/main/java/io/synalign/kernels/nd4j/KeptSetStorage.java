package io.synalign.kernels.nd4j;

import org.bytedeco.javacpp.FloatPointer;

/**
 * The triangle storage of one parent operator's kept working sets
 * ({@link Nd4jSymmetricKernelOperator}), reused from one set to the next: at most one spare
 * triangle, the largest given back so far, lent to the next set that fits in it.
 *
 * <p>Why: the MMD optimiser closes a working set just before it gathers the next
 * ({@code AcceleratedProjectedGradient}'s {@code regather}), and the next is usually a little
 * smaller (the support shrinks). Freed and allocated again, each set's triangle is fresh memory:
 * glibc maps a large one anew and every first touch of a page is a fault (docs/PERFORMANCE.md,
 * "Fresh memory on this VM": 0.7 s for a 245 MB set at n = 16,000 without huge pages, where the
 * gather itself takes 0.06 to 0.1 s). Lent again, its pages are already resident.
 *
 * <p>Memory: a set's triangle is counted once. A set takes the spare (it is then the set's, not
 * the spare's) or, where the spare is too small or larger than the caller's budget allows, the
 * spare is freed before fresh storage is allocated, so the parent's sets never hold more than
 * one triangle between them and the spare: what the optimiser held before, one set at a time.
 * Between sets, and until the parent closes, the spare stays allocated (at most the largest
 * set's triangle, which was resident at that set's time anyway), but not once a set is refused
 * (a kept parent's over the budget) or tiled (a tiled parent's over the budget): the parent
 * then frees it ({@link #releaseSpare}), since the optimiser goes on without a kept set (on all
 * rows, or on a tiled set that allocates tiles of its own), for which the spare would hold up
 * to the budget's worth of native memory doing nothing (helper fwd32; before, it stayed
 * until the parent closed). A later set that fits pays its fresh pages again, once. Closing the
 * parent ({@link #close}) frees the spare; a set closed after its parent frees its own storage.
 *
 * <p>Contents: a lent triangle holds whatever the last set left there; every build and gather
 * writes each entry of its own layout ({@link SymmetricPanels}: the triangle of its n, the first
 * {@code floatsFor(n)} floats) before any product reads it, and nothing reads past it, so a set
 * built in reused storage multiplies to the same bits as in fresh storage
 * ({@code KeptSetStorageTest}). Synchronised: a set may be closed on another thread than the
 * one that gathers the next.
 */
final class KeptSetStorage {

    private FloatPointer spare;
    private boolean closed;

    /**
     * Storage for a triangle of {@code floats} floats: the spare when it holds them within
     * {@code budgetBytes}, else fresh from {@link Nd4jSymmetricKernelOperator#allocator} (the
     * spare freed first, so the two are never held together). The caller owns the result until
     * it gives it back ({@link #giveBack}).
     *
     * @throws OutOfMemoryError when the allocator refuses fresh storage (the spare is then
     *     already freed)
     */
    synchronized FloatPointer take(long floats, long budgetBytes) {
        if (closed) {
            throw new IllegalStateException("kept working-set storage is closed");
        }
        FloatPointer reused = spare;
        spare = null;
        if (reused != null && reused.capacity() >= floats
                && reused.capacity() <= budgetBytes / Float.BYTES) {
            return reused;
        }
        if (reused != null) {
            reused.close(); // too small, or past the budget: fresh memory of the set's own size
        }
        return Nd4jSymmetricKernelOperator.allocator.allocate(floats);
    }

    /**
     * Bytes a triangle of {@code floats} floats would hold if taken now with the same
     * {@code budgetBytes} ({@link #take}): the spare's when it holds them within the budget,
     * else their own. The kept parent's budget test reads this (the spare, not the set's size,
     * is what stays allocated beside it). A spare larger than the budget is not counted: take
     * frees it and allocates the set's own size (before helper review31 it was counted here,
     * so a set that fitted fresh was refused for a spare that take would have freed).
     */
    synchronized long bytesFor(long floats, long budgetBytes) {
        return spare != null && spare.capacity() >= floats
                && spare.capacity() <= budgetBytes / Float.BYTES
                ? Float.BYTES * spare.capacity() : Float.BYTES * floats;
    }

    /**
     * Takes back storage lent by {@link #take}: kept as the spare when it is larger than the
     * spare (which is then freed), else freed; freed at once once this is closed. Idempotent:
     * storage already given back (it is the spare) or already freed is left as it is.
     */
    synchronized void giveBack(FloatPointer storage) {
        if (storage == null || storage == spare || storage.isNull()) {
            return;
        }
        if (closed || (spare != null && spare.capacity() >= storage.capacity())) {
            storage.close();
            return;
        }
        if (spare != null) {
            spare.close();
        }
        spare = storage;
    }

    /**
     * Frees the spare, if any (its native memory goes back at once); storage given back later
     * may become the spare again. For a parent whose next set is refused or tiled: no kept set
     * follows to reuse it. O(1).
     */
    synchronized void releaseSpare() {
        if (spare != null) {
            spare.close();
            spare = null;
        }
    }

    /** Frees the spare; storage given back later is freed at once. Idempotent. */
    synchronized void close() {
        closed = true;
        releaseSpare();
    }

    /** Bytes of the spare (0 without one): tests. */
    synchronized long spareBytes() {
        return spare == null ? 0 : Float.BYTES * spare.capacity();
    }

    /** The spare itself, or null (tests, which write stale values into it). */
    synchronized FloatPointer spareForTests() {
        return spare;
    }
}
