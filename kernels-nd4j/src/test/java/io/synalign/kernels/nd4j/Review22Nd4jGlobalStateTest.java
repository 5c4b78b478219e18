package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Review 22 (embedded use), reproduction still open: the nd4j backend changes ND4J's
 * process-wide thread settings during a pinned run, which a host JVM that also uses ND4J (DL4J
 * training in the same job) shares. (The default data type, the results beside a pinned run and
 * the native scratch are fixed: {@code Nd4jBackendUnderDoubleDefaultTest},
 * {@code PinnedWorkersTest}, {@code Nd4jBackendCloseTest}.) Neither ND4J nor the OpenBLAS binding
 * it ships offers a per-thread setting.
 */
class Review22Nd4jGlobalStateTest {

    /**
     * A pinned run (every tiled kernel product) sets OpenBLAS and libnd4j to one thread for the
     * whole process; a host thread's GEMM meanwhile runs on one core, and a host thread that
     * sets its own thread count meanwhile has it undone when the run ends.
     */
    // Review 22 reproduction: fails until fixed; run with -Dreview22=true. Drop this line with the fix.
    @EnabledIfSystemProperty(named = "review22", matches = "true")
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
