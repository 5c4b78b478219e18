package io.synalign.kernels.nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * Records the units (blocks, tiles, panels) a walk starts, told by an operator's test hook on
 * whichever thread starts them, and interrupts the thread that made it when the
 * {@code interruptAt}-th unit starts (0: never); thread-safe. The cancellation tests place their
 * interrupts with it instead of by timing.
 */
final class UnitStarts {

    private final Thread caller = Thread.currentThread();
    private final int interruptAt;
    private final List<Integer> started = new ArrayList<>();
    private final List<Integer> afterInterrupt = new ArrayList<>();
    private boolean interrupted;

    UnitStarts(int interruptAt) {
        this.interruptAt = interruptAt;
    }

    synchronized void start(int unit) {
        started.add(unit);
        if (interrupted) {
            afterInterrupt.add(unit);
        }
        if (started.size() == interruptAt) {
            interrupted = true;
            caller.interrupt();
        }
    }

    /** The units started, in the order they were told. */
    synchronized List<Integer> started() {
        return List.copyOf(started);
    }

    /** The units started after the interrupt. */
    synchronized List<Integer> afterInterrupt() {
        return List.copyOf(afterInterrupt);
    }
}
