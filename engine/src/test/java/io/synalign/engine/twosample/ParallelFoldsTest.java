package io.synalign.engine.twosample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every fold runs once, a fold's failure comes back after every fold ended, nothing is left set. */
class ParallelFoldsTest {

    /** How long the fold in flight on the pool lasts after the caller is interrupted. */
    private static final long FOLD_MILLIS = 1000;

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
    }

    /**
     * Runs two folds, one on the caller and one on a pool thread: the caller's fold waits until
     * the pool's has started, then interrupts the caller and returns, so the caller goes on to
     * wait, interrupted, for the pool's fold, which runs {@code poolFold}.
     */
    private static void callerInterruptedWhilePoolFoldRuns(Runnable poolFold, AtomicLong cpuAtInterrupt) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Thread caller = Thread.currentThread();
        CountDownLatch poolFoldStarted = new CountDownLatch(1);
        ParallelFolds.run(2, f -> {
            if (Thread.currentThread() == caller) {
                try {
                    if (!poolFoldStarted.await(30, TimeUnit.SECONDS)) {
                        fail("no pool thread took the other fold"); // a hang guard, not a timing
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                cpuAtInterrupt.set(threads.getCurrentThreadCpuTime());
                caller.interrupt();
            } else {
                poolFoldStarted.countDown();
                poolFold.run();
            }
        });
    }

    /**
     * Session 23's Open: once interrupted, the caller spun ({@code Thread.onSpinWait()}) until
     * the folds in flight ended, a core burnt for up to a fold's unit of work. Here a pool
     * thread's fold lasts {@value #FOLD_MILLIS} ms after the interrupt, and the CPU time the
     * caller's thread spends meanwhile is measured ({@code ThreadMXBean}): parked, it is
     * microseconds whatever the machine's load; spinning, it is whatever the scheduler gave it
     * of that second (all of it on an idle core; 653 ms with the build machine's 2 cores
     * at a load of 15). The bound, 50 ms, is a twentieth of the fold: far above a parked wait,
     * below a spinning one on any but a machine so loaded that the spinner got less than a
     * twentieth of a core (where the old code would pass, never the new one fail). CPU time,
     * not wall time: nothing here depends on how fast the machine is.
     */
    @Test
    void anInterruptedCallerWaitsForTheFoldsInFlightWithoutSpinning() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled(),
                "thread CPU time not measurable here");
        AtomicLong cpuAtInterrupt = new AtomicLong();
        AtomicBoolean poolFoldEnded = new AtomicBoolean();
        callerInterruptedWhilePoolFoldRuns(() -> {
            try {
                Thread.sleep(FOLD_MILLIS); // a fold in flight: its thread is not interrupted
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            poolFoldEnded.set(true);
        }, cpuAtInterrupt);
        long waitedCpuNanos = threads.getCurrentThreadCpuTime() - cpuAtInterrupt.get();
        assertTrue(poolFoldEnded.get(), "returned before the pool's fold ended");
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
        assertTrue(waitedCpuNanos < TimeUnit.MILLISECONDS.toNanos(50),
                "the caller spent " + waitedCpuNanos / 1_000_000 + " ms of CPU waiting for a fold of "
                        + FOLD_MILLIS + " ms: it spun");
    }

    /**
     * The folds read the caller's interrupt from the moment it is made, also while the caller
     * waits for them (its wait clears the status to park, after handing the interrupt over).
     */
    @Test
    void aFoldOnThePoolSeesTheInterruptWhileTheCallerWaits() {
        Thread caller = Thread.currentThread();
        CountDownLatch poolFoldStarted = new CountDownLatch(1);
        AtomicBoolean seen = new AtomicBoolean();
        ParallelFolds.run(2, (f, callerInterrupted) -> {
            if (Thread.currentThread() == caller) {
                try {
                    if (!poolFoldStarted.await(30, TimeUnit.SECONDS)) {
                        fail("no pool thread took the other fold");
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                caller.interrupt();
            } else {
                poolFoldStarted.countDown();
                long guard = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // a hang guard
                while (!callerInterrupted.getAsBoolean() && System.nanoTime() < guard) {
                    Thread.onSpinWait();
                }
                seen.set(callerInterrupted.getAsBoolean());
            }
        });
        assertTrue(seen.get(), "the pool's fold never saw the caller's interrupt");
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
    }

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

    /** An Error a fold throws comes back as it is, not wrapped as a checked exception would be (pit28). */
    @Test
    void anErrorComesBackAsItIs() {
        LinkageError error = new LinkageError("fold 2");
        LinkageError thrown = assertThrows(LinkageError.class, () -> ParallelFolds.run(3, f -> {
            if (f == 2) {
                throw error;
            }
        }));
        assertSame(error, thrown);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
