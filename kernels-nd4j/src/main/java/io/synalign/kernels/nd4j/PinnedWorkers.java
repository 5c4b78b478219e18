package io.synalign.kernels.nd4j;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs block-parallel work on Java threads, one per core ND4J was configured for, with OpenBLAS
 * and libnd4j pinned to one native thread each while it runs.
 *
 * <p>Why: the fused kernel product alternates, on every block, a GEMM on OpenBLAS's thread pool
 * with an exp on libnd4j's. Left multi-threaded, the two pools fight at every switch (after a
 * call a pool's threads keep spinning for a while; with {@code OMP_WAIT_POLICY=PASSIVE} the
 * GEMMs between the exps got their speed back), and on the 2-core build machine the fused
 * product reached only 33-64% of SGEMM throughput, the less the smaller the tiles. With one Java
 * worker per core running GEMM, exp and GEMV single-threaded on its own block, nothing spins,
 * nothing waits at a barrier, and the workers stay busy until the last block: 78-85%, nearly
 * independent of the tile size.
 *
 * <p>The thread settings are process-wide (neither ND4J's {@code setMaxThreads} nor the OpenBLAS
 * binding it ships offers a per-thread one), so pinned runs are serialised by one lock and the
 * settings found are restored afterwards. This backend's other native work (feature matrices,
 * kernel blocks, GEMVs on the calling thread, the GP tracker's factors) runs through
 * {@link #exclusive} under the same lock: OpenBLAS's GEMM and GEMV round differently at one
 * thread than at several, so a feature matrix built while another fit's kernel product held the
 * pin differed from the same one built alone (weights up to 7e-5 apart, review 22). Under the
 * lock every such call sees the configured thread counts, so a result no longer depends on what
 * other threads run; two concurrent fits take turns on the cores instead of sharing them, which
 * both would use whole anyway. ND4J work of the host's own on other threads during a pinned run
 * still runs single-threaded. The workers are daemon threads shared by all operators.
 */
final class PinnedWorkers {

    private static final Object LOCK = new Object();

    /** Workers: the BLAS thread count ND4J configured (OMP_NUM_THREADS or the cores). */
    private static final int COUNT = Math.max(1, Nd4j.factory().blas().getMaxThreads());

    private static final ExecutorService POOL = COUNT == 1 ? null
            : Executors.newFixedThreadPool(COUNT - 1, task -> {
                Thread t = new Thread(task, "synalign-nd4j-worker");
                t.setDaemon(true);
                return t;
            });

    private PinnedWorkers() {
    }

    /** How many workers {@link #run} uses. */
    static int count() {
        return COUNT;
    }

    /**
     * Runs {@code section}, native work on the calling thread, while no pinned run is under way,
     * so at the configured thread counts (see the class comment); reentrant, and free of waiting
     * when only one worker is configured (nothing is ever pinned then). Never call it from a
     * worker's body: the caller of {@link #run} holds the lock and waits for the workers.
     */
    static void exclusive(Runnable section) {
        if (COUNT == 1) {
            section.run();
            return;
        }
        synchronized (LOCK) {
            section.run();
        }
    }

    /** {@link #exclusive(Runnable)} with a result. */
    static <T> T exclusive(Supplier<T> section) {
        if (COUNT == 1) {
            return section.get();
        }
        synchronized (LOCK) {
            return section.get();
        }
    }

    /**
     * Calls {@code body.accept(k)} for every worker {@code k < count()} concurrently, worker 0 on
     * the calling thread, and returns when all have finished; the first failure is rethrown.
     */
    static void run(IntConsumer body) {
        if (COUNT == 1) {
            body.accept(0);
            return;
        }
        synchronized (LOCK) {
            Environment environment = Nd4j.getEnvironment();
            int blasThreads = Nd4j.factory().blas().getMaxThreads();
            int masterThreads = environment.maxMasterThreads();
            int maxThreads = environment.maxThreads();
            Nd4j.factory().blas().setMaxThreads(1);
            environment.setMaxMasterThreads(1);
            environment.setMaxThreads(1);
            try {
                runAll(body);
            } finally {
                environment.setMaxThreads(maxThreads);
                environment.setMaxMasterThreads(masterThreads);
                Nd4j.factory().blas().setMaxThreads(blasThreads);
            }
        }
    }

    /** One block of a {@link #forEachBlock} walk, run by {@code worker}. */
    @FunctionalInterface
    interface BlockBody {
        void accept(int worker, int block);
    }

    /**
     * Calls {@code body.accept(worker, b)} once for every block {@code b < blocks}, the blocks
     * handed out to the workers as they come free, native libraries pinned to one thread each
     * (as {@link #run}). The thread-count-independent form of a multi-threaded BLAS call: the
     * caller fixes the blocks from the problem size alone, each block is one single-threaded
     * BLAS call writing its own outputs (or its own partial vector, combined afterwards in block
     * order), so the bits of the result do not depend on how many workers there are or which
     * ran what. OpenBLAS left on its own threads rounds by their count: one GEMV of a kept kernel
     * gave weights up to 4e-5 apart at 1, 2 and 16 threads (review 23).
     */
    static void forEachBlock(int blocks, BlockBody body) {
        forEachBlock(blocks, COUNT, body);
    }

    /**
     * {@link #forEachBlock(int, BlockBody)} with only workers {@code 0 .. claimants - 1} taking
     * blocks (the others return at once), so that a caller holding one scratch buffer per
     * claiming worker bounds its memory whatever the core count. The bits do not change: the
     * grid is the caller's, not the workers'.
     *
     * @param claimants at least 1; more than {@link #count()} are as many
     */
    static void forEachBlock(int blocks, int claimants, BlockBody body) {
        if (blocks <= 0) {
            return;
        }
        if (claimants < 1) {
            throw new IllegalArgumentException("claimants " + claimants + ": at least 1");
        }
        AtomicInteger next = new AtomicInteger();
        run(worker -> {
            if (worker >= claimants) {
                return;
            }
            for (int b = next.getAndIncrement(); b < blocks; b = next.getAndIncrement()) {
                body.accept(worker, b);
            }
        });
    }

    private static void runAll(IntConsumer body) {
        Future<?>[] others = new Future<?>[COUNT - 1];
        for (int k = 1; k < COUNT; k++) {
            int worker = k;
            others[k - 1] = POOL.submit(() -> body.accept(worker));
        }
        Throwable failure = null;
        try {
            body.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        boolean interrupted = false;
        for (Future<?> f : others) {
            // Every worker must finish before the caller may touch the shared buffers again.
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException("kernel worker failed", failure);
        }
    }
}
