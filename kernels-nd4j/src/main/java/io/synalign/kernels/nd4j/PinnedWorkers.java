package io.synalign.kernels.nd4j;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
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
 * settings found are restored afterwards. Every BLAS call of this backend runs in a pinned run,
 * on a grid fixed by the problem's size ({@link #forEachBlock}): OpenBLAS's GEMM and GEMV round
 * by their thread count, so a feature matrix built while another fit's kernel product held the
 * pin differed from the same one built alone (weights up to 7e-5 apart, review 22), and a
 * product on OpenBLAS's own threads moved with the core count (review 23). Two concurrent fits
 * take turns on the cores instead of sharing them, which both would use whole anyway. ND4J work
 * of the host's own on other threads during a pinned run still runs single-threaded. The
 * workers are daemon threads shared by all operators.
 */
final class PinnedWorkers {

    private static final Object LOCK = new Object();

    /** Workers: the BLAS thread count ND4J configured (OMP_NUM_THREADS or the cores). */
    private static final int COUNT = Math.max(1, Nd4j.factory().blas().getMaxThreads());

    /**
     * Set on a thread while it runs a worker's body: a {@link #forEachBlock} called from there
     * runs inline (see there), a {@link #run} is refused.
     */
    private static final ThreadLocal<Boolean> IN_BODY = ThreadLocal.withInitial(() -> false);

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
     * Calls {@code body.accept(k)} for every worker {@code k < count()} concurrently, worker 0 on
     * the calling thread, and returns when all have finished; the first failure is rethrown.
     *
     * @throws IllegalStateException when called from inside a worker's body: the workers it
     *     would hand the body to are the ones running the outer call, and the lock it would
     *     take is held by that call's caller, so it would wait forever
     */
    static void run(IntConsumer body) {
        if (IN_BODY.get()) {
            throw new IllegalStateException("PinnedWorkers.run called from inside a worker's"
                    + " body: the workers are busy with the outer run (use forEachBlock, which"
                    + " runs inline there)");
        }
        if (COUNT == 1) {
            inBody(body, 0);
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
     *
     * <p>Called from inside a worker's body (a block whose own work is a walk), the inner walk
     * runs on the calling worker alone, its blocks in order, as worker 0: the other workers
     * are busy with the outer walk and the lock is its caller's, so handing the blocks out
     * would wait forever (before review 24 it did). Running them inline changes no bits: the
     * native libraries are already at one thread, and the bits depend on the caller's grid
     * only, not on which worker ran a block.
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
        if (IN_BODY.get()) {
            for (int b = 0; b < blocks; b++) {
                body.accept(0, b);
            }
            return;
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
            others[k - 1] = POOL.submit(() -> inBody(body, worker));
        }
        Throwable failure = null;
        try {
            inBody(body, 0);
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

    /** {@code body.accept(worker)} with {@link #IN_BODY} set on this thread meanwhile. */
    private static void inBody(IntConsumer body, int worker) {
        IN_BODY.set(true);
        try {
            body.accept(worker);
        } finally {
            IN_BODY.set(false);
        }
    }
}
