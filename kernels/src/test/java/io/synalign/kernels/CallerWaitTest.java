package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The caller's wait for the parts it shared: returns when every part has ended, with the
 * interrupt status as the caller had it (set when interrupted before or during the wait), and
 * the parts read an interrupt made during the wait, whose status the wait clears to park.
 */
class CallerWaitTest {

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
    }

    /** A helper thread that runs {@code part}, then ends its part; hang-guarded by join. */
    private static Thread helper(CallerWait wait, Runnable part) {
        Thread t = new Thread(() -> {
            try {
                part.run();
            } finally {
                wait.partEnded();
            }
        }, "caller-wait-test helper");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aPartSeesAnInterruptMadeDuringTheWaitAndTheStatusIsSetAfter() throws Exception {
        Thread caller = Thread.currentThread();
        CallerWait wait = new CallerWait(2);
        AtomicBoolean seen = new AtomicBoolean();
        List<Thread> helpers = new ArrayList<>();
        helpers.add(helper(wait, () -> { })); // ends at once
        helpers.add(helper(wait, () -> {
            // Waits until the caller parks in the wait, interrupts it, then asks as a part does.
            long guard = System.nanoTime() + 30_000_000_000L; // a hang guard, not a timing
            while (caller.getState() != Thread.State.WAITING && System.nanoTime() < guard) {
                Thread.onSpinWait();
            }
            caller.interrupt();
            while (!wait.callerInterrupted() && System.nanoTime() < guard) {
                Thread.onSpinWait();
            }
            // The caller has cleared its status to park by now or soon: the flag still says so.
            while (caller.isInterrupted() && System.nanoTime() < guard) {
                Thread.onSpinWait();
            }
            seen.set(wait.callerInterrupted());
        }));
        assertFalse(wait.callerInterrupted());
        wait.await();
        // Read and cleared: the joins below would throw at once on a set status while a helper
        // is still finishing (its partEnded() ran; its thread had not yet ended).
        assertTrue(Thread.interrupted(), "the interrupt status is set again");
        assertTrue(seen.get(), "the part read the interrupt while the caller's status was cleared");
        for (Thread t : helpers) {
            t.join(30_000);
            assertFalse(t.isAlive());
        }
    }

    @Test
    void anInterruptBeforeTheWaitIsKeptAndNoPartsReturnAtOnce() {
        Thread.currentThread().interrupt();
        CallerWait none = new CallerWait(0);
        assertTrue(none.callerInterrupted());
        none.await();
        assertTrue(Thread.interrupted(), "kept");
        CallerWait one = new CallerWait(1);
        AtomicReference<Throwable> fromOther = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                one.await();
            } catch (Throwable t) {
                fromOther.set(t);
            } finally {
                one.partEnded();
            }
        });
        other.start();
        Thread.currentThread().interrupt();
        one.await();
        assertTrue(Thread.currentThread().isInterrupted(), "kept across a wait");
        assertEquals(IllegalStateException.class, fromOther.get().getClass(),
                "await() is the maker's alone");
        assertThrows(IllegalArgumentException.class, () -> new CallerWait(-1));
    }
}
