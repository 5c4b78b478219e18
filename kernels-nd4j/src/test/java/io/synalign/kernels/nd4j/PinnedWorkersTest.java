package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class PinnedWorkersTest {

    @Test
    void everyWorkerRunsOnceWithNativeThreadsPinnedThenRestored() {
        int blas = Nd4j.factory().blas().getMaxThreads();
        int master = Nd4j.getEnvironment().maxMasterThreads();
        int count = PinnedWorkers.count();
        assertTrue(count >= 1);
        AtomicIntegerArray calls = new AtomicIntegerArray(count);
        AtomicIntegerArray blasSeen = new AtomicIntegerArray(count);
        PinnedWorkers.run(k -> {
            calls.incrementAndGet(k);
            blasSeen.set(k, Nd4j.factory().blas().getMaxThreads());
        });
        for (int k = 0; k < count; k++) {
            assertEquals(1, calls.get(k), "worker " + k);
            if (count > 1) {
                assertEquals(1, blasSeen.get(k), "BLAS pinned while worker " + k + " ran");
            }
        }
        assertEquals(blas, Nd4j.factory().blas().getMaxThreads());
        assertEquals(master, Nd4j.getEnvironment().maxMasterThreads());
    }

    @Test
    void aWorkerFailureIsRethrownAndSettingsAreRestored() {
        int blas = Nd4j.factory().blas().getMaxThreads();
        IllegalStateException boom = new IllegalStateException("boom");
        int last = PinnedWorkers.count() - 1;
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> PinnedWorkers.run(k -> {
                    if (k == last) {
                        throw boom;
                    }
                }));
        assertSame(boom, thrown);
        assertEquals(blas, Nd4j.factory().blas().getMaxThreads());
    }
}
