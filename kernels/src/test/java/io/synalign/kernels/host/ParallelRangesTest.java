package io.synalign.kernels.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelRangesTest {

    @Test
    void tasksAreCappedByThreadsAndByTheMinimumWork() {
        assertEquals(0, ParallelRanges.tasks(0, 8, 1));
        assertEquals(1, ParallelRanges.tasks(5, 8, 5));
        assertEquals(2, ParallelRanges.tasks(11, 8, 5));
        assertEquals(8, ParallelRanges.tasks(1L << 40, 8, 1 << 20));
        assertEquals(3, ParallelRanges.tasks(3L << 20, 16, 1 << 20));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParallelRanges.tasks(10, 0, 1));
        assertTrue(e.getMessage().contains("threads 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ParallelRanges.tasks(10, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> ParallelRanges.tasks(-1, 2, 1));
        assertEquals(2, ParallelRanges.tasks(7, 2, 1), "a minimum work of 1 is valid");
        assertEquals(1, ParallelRanges.tasks(7, 1, 1), "one thread is valid");
    }

    /**
     * No items: no range at all, in line or not; a negative count is refused before any range
     * runs. Found by mutation testing: with either check gone the tests still passed.
     */
    @Test
    void noItemsRunNothingAndANegativeCountIsRefused() {
        for (int tasks : new int[] {0, 1, 4}) {
            ParallelRanges.run(0, tasks, (from, to) -> {
                throw new AssertionError("called for no items, " + tasks + " tasks");
            });
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ParallelRanges.run(-3, tasks, (from, to) -> {
                        throw new AssertionError("called for -3 items");
                    }));
            assertTrue(e.getMessage().contains("-3"), e.getMessage());
        }
    }

    /** A checked exception thrown sneakily by a range still reaches the caller, wrapped. */
    @Test
    void aSneakyCheckedExceptionIsRethrownWrapped() {
        java.io.IOException checked = new java.io.IOException("a closed channel");
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> ParallelRanges.run(8, 4, (from, to) -> {
                    if (from == 4) {
                        ParallelRangesTest.<RuntimeException>sneaky(checked);
                    }
                }));
        assertSame(checked, thrown.getCause());
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void sneaky(Throwable e) throws E {
        throw (E) e;
    }

    @Test
    void theRangesCoverEveryItemOnceInContiguousPieces() {
        for (int count : new int[] {1, 2, 7, 100, 1_001}) {
            for (int tasks : new int[] {0, 1, 2, 3, 8, 2_000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                AtomicInteger ranges = new AtomicInteger();
                ParallelRanges.run(count, tasks, (from, to) -> {
                    assertTrue(from < to, "empty range [" + from + ", " + to + ")");
                    ranges.incrementAndGet();
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < count; i++) {
                    assertEquals(1, hits.get(i), "item " + i + " of " + count + ", " + tasks
                            + " tasks");
                }
                assertEquals(Math.max(1, Math.min(tasks, count)), ranges.get(),
                        count + " items, " + tasks + " tasks");
            }
        }
        ParallelRanges.run(0, 4, (from, to) -> {
            throw new AssertionError("called for no items");
        });
    }

    @Test
    void theFirstFailureInIndexOrderIsThrownAfterEveryRangeHasFinished() throws Exception {
        // Range 0 fails at once; range 3 fails too; range 1 is slow. The caller must see range
        // 0's exception, and only after range 1 has finished writing.
        AtomicInteger finished = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        IllegalStateException first = new IllegalStateException("range 0");
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> ParallelRanges.run(40, 4, (from, to) -> {
                    if (from == 0) {
                        throw first;
                    }
                    if (from == 30) {
                        throw new IllegalStateException("range 3");
                    }
                    if (from == 10) {
                        started.countDown();
                        sleep(200);
                    }
                    finished.incrementAndGet();
                }));
        assertSame(first, thrown);
        assertTrue(started.await(0, TimeUnit.SECONDS), "range 1 ran");
        assertEquals(2, finished.get(), "ranges 1 and 2 finished before the throw");

        InternalError error = new InternalError("a truncated mapping");
        assertSame(error, assertThrows(InternalError.class,
                () -> ParallelRanges.run(4, 4, (from, to) -> {
                    if (from == 2) {
                        throw error;
                    }
                })));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
