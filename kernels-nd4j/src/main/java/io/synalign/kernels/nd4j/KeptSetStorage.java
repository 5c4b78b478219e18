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
 * Between sets the spare stays allocated (at most the largest
 * set's triangle, which was resident at that set's time anyway), but not once a set is refused
 * (a kept parent's over the budget) or tiled (a tiled parent's over the budget): the parent
 * then frees it ({@link #releaseSpare}), since the optimiser goes on without a kept set (on all
 * rows, or on a tiled set that allocates tiles of its own), for which the spare would hold up
 * to the budget's worth of native memory doing nothing (helper fwd32; before, it stayed
 * until the parent closed). A later set that fits pays its fresh pages again, once. Nor once
 * the optimiser runs on all rows for another reason (a candidate set too large to gather, or
 * too small for the weight cap; or after its last set, while the parent stays open): the
 * parent tells this storage of each of its own products ({@link #parentProduct}), and the
 * second product while the spare sits idle frees it (helper spare33). Why the second: the
 * optimiser's check of a set (one product on all rows) runs while that set is still open, so
 * the spare is then empty, and between two sets it closes one and gathers the next with no
 * product in between; a caller that closed its set before the check would still see its
 * next set reuse the spare, and the optimiser on all rows multiplies once an iteration, so the
 * spare goes at its second iteration. A fit that moves from set to set therefore allocates as
 * before (measured: docs/PERFORMANCE.md, helper spare33); one that returns to all rows and
 * later gathers again pays the set's fresh pages once per return, after at least the
 * optimiser's period of products on all rows. Closing the
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

    /**
     * The parent products, since the spare last changed, after which an idle spare is freed
     * ({@link #parentProduct}): one is a check of a set, two mean the caller runs on all rows.
     */
    static final int IDLE_PRODUCTS = 2;

    private FloatPointer spare;
    private boolean closed;
    /** The parent's products since the spare last changed (0 without a spare). */
    private int idleProducts;

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
        idleProducts = 0;
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
        idleProducts = 0;
    }

    /**
     * Told of each product of the parent itself (a product on all its rows, not on a set): the
     * {@value #IDLE_PRODUCTS}th since the spare last changed frees it ({@link #releaseSpare}),
     * since the caller is then running on all rows (see the class comment). O(1), one
     * uncontended lock: nothing beside a product of O(n^2) or more.
     */
    synchronized void parentProduct() {
        if (spare != null && ++idleProducts >= IDLE_PRODUCTS) {
            releaseSpare();
        }
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
        idleProducts = 0;
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
