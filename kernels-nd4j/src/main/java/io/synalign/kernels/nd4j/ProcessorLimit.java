package io.synalign.kernels.nd4j;

import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps ND4J's and OpenBLAS's thread counts at the processors this JVM may use.
 *
 * <p>Why: libnd4j and OpenBLAS count the cores the operating system offers the process (its
 * CPU affinity), not a container's CPU limit (a cgroup quota), which only the JVM's
 * {@link Runtime#availableProcessors} reads. In a container limited to 4 CPUs on a 64-core host
 * they ran 64 threads (and {@link PinnedWorkers} 64 workers), which the quota then throttles.
 * Measured on this project's 2-core VM under a 1-CPU quota: the 16,000-row {@code align} took
 * 12.32 s on 2 threads against 11.24 s on 1 (load 2.6); with many cores the loss grows with the
 * surplus of threads. The results do not change: every sum the fit takes runs over a grid fixed
 * by the problem's size (README, "Reproducibility").
 *
 * <p>Left alone where {@code OMP_NUM_THREADS} is set (the user's choice), and where the JVM's
 * count is not smaller ({@code -XX:ActiveProcessorCount} sets it, for the user who wants another).
 * Runs once, before {@link PinnedWorkers} reads the count.
 */
final class ProcessorLimit {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorLimit.class);

    private ProcessorLimit() {
    }

    /** Applies the cap (see the class comment); returns the thread count ND4J now uses. */
    static int apply() {
        Environment environment = Nd4j.getEnvironment();
        int blas = BlasThreadCount.get();
        int master = environment.maxMasterThreads();
        int processors = Runtime.getRuntime().availableProcessors();
        int capped = capped(processors, blas, master, System.getenv("OMP_NUM_THREADS"));
        if (capped < Math.max(blas, master)) {
            BlasThreadCount.set(Math.min(blas, capped));
            environment.setMaxMasterThreads(Math.min(master, capped));
            environment.setMaxThreads(Math.min(environment.maxThreads(), capped));
            LOG.info("nd4j threads: {} (the processors this JVM may use, a container's CPU limit"
                    + " among them), not the {} cores the system offers", capped,
                    Math.max(blas, master));
        }
        return Math.min(blas, capped);
    }

    /**
     * The thread count to run at: {@code processors} where that is below ND4J's counts and the
     * user set no {@code OMP_NUM_THREADS}; else the larger of ND4J's counts (nothing to cap).
     */
    static int capped(int processors, int blas, int master, String ompNumThreads) {
        int current = Math.max(blas, master);
        if (ompNumThreads != null && !ompNumThreads.isBlank()) {
            return current;
        }
        return Math.max(1, Math.min(current, processors));
    }
}
