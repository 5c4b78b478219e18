package io.synalign.engine.twosample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Every fold runs once, a fold's failure comes back after every fold ended, nothing is left set. */
class ParallelFoldsTest {

    @Test
    void everyFoldRunsOnceAndAFailureIsRethrownAfterAllEnded() {
        for (int k : new int[] {1, 2, 5, 13}) {
            AtomicIntegerArray runs = new AtomicIntegerArray(k);
            ParallelFolds.run(k, runs::incrementAndGet);
            for (int f = 0; f < k; f++) {
                assertEquals(1, runs.get(f), "fold " + f + " of " + k);
            }
        }
        IllegalStateException boom = new IllegalStateException("fold 3");
        AtomicIntegerArray ended = new AtomicIntegerArray(7);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ParallelFolds.run(7, f -> {
                    ended.incrementAndGet(f);
                    if (f == 3) {
                        throw boom;
                    }
                }));
        assertSame(boom, e);
        for (int f = 0; f < 7; f++) {
            assertEquals(1, ended.get(f), "fold " + f + " ran before the failure came back");
        }
        assertFalse(Thread.currentThread().isInterrupted());
    }

    /** Later failures are kept as suppressed; a checked exception thrown past the compiler is not swallowed. */
    @Test
    void laterFailuresAreSuppressedAndACheckedOneIsNotSwallowed() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ParallelFolds.run(4, f -> {
                    throw new IllegalStateException("fold " + f);
                }));
        assertEquals(3, e.getSuppressed().length, java.util.Arrays.toString(e.getSuppressed()));
        java.io.IOException checked = new java.io.IOException("disk");
        IllegalStateException wrapped = assertThrows(IllegalStateException.class,
                () -> ParallelFolds.run(2, f -> {
                    if (f == 1) {
                        ParallelFoldsTest.<RuntimeException>sneaky(checked);
                    }
                }));
        assertSame(checked, wrapped.getCause());
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
