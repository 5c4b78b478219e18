package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Review 22 (embedded use), reproductions: the nd4j backend changes ND4J's process-wide state,
 * which a host JVM that also uses ND4J (DL4J training in the same job) shares.
 */
class Review22Nd4jGlobalStateTest {

    /** {@code new Nd4jBackend()} calls {@code Nd4j.setDefaultDataTypes(FLOAT, FLOAT)}. */
    @Test
    void creatingTheBackendLeavesTheHostsDefaultDataTypeAlone() {
        DataType before = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            new Nd4jBackend().close();
            assertEquals(DataType.DOUBLE, Nd4j.defaultFloatingPointType(),
                    "the host's Nd4j.create(...) now makes float32 arrays");
        } finally {
            Nd4j.setDefaultDataTypes(before, before);
        }
    }

    /**
     * A pinned run (every tiled kernel product) sets OpenBLAS and libnd4j to one thread for the
     * whole process; a host thread's GEMM meanwhile runs on one core, and a host thread that
     * sets its own thread count meanwhile has it undone when the run ends.
     */
    @Test
    void aPinnedRunLeavesOtherThreadsBlasSettingsAlone() throws Exception {
        assumeTrue(PinnedWorkers.count() > 1, "one worker: nothing is pinned");
        int configured = Nd4j.factory().blas().getMaxThreads();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch seen = new CountDownLatch(1);
        AtomicInteger hostSaw = new AtomicInteger();
        Thread host = new Thread(() -> {
            try {
                inside.await();
                hostSaw.set(Nd4j.factory().blas().getMaxThreads());
                Nd4j.factory().blas().setMaxThreads(configured); // the host's own setting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                seen.countDown();
            }
        });
        host.start();
        PinnedWorkers.run(k -> {
            if (k == 0) {
                inside.countDown();
                try {
                    seen.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        host.join();
        assertEquals(configured, hostSaw.get(), "a host thread's BLAS thread count during a pinned run");
    }
}
