package io.synalign.kernels.nd4j;

import io.synalign.kernels.CallerWait;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
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
 * settings found are restored afterwards (OpenBLAS's through {@link BlasThreadCount}: ND4J's own
 * setter cost about 0.2 ms a call, 14 % of a 16,000-row {@code exact} align). Every BLAS call of this backend runs in a pinned run,
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
     * Set on a thread while it runs a worker's body, to how that body reads its caller's
     * interrupt (null outside a body): a {@link #forEachBlock} called from there runs inline
     * and asks the same (see there), a {@link #run} is refused.
     */
    private static final ThreadLocal<BooleanSupplier> BODY_CALLER_INTERRUPTED = new ThreadLocal<>();

    /** Told of each block a {@link #forEachBlock} walk starts (tests place interrupts so). */
    @FunctionalInterface
    interface BlockStarted {
        /**
         * @param work the walk's name, as its cancellation names it
         * @param block the block's number
         */
        void started(String work, int block);
    }

    /**
     * Told of each block of every {@link #forEachBlock} walk as a worker starts it, on that
     * worker: a seam for tests, which place interrupts with it. Never set outside tests.
     */
    static volatile BlockStarted blockStarted = (work, block) -> { };

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

    /** One worker's share of a {@link #run(Worker)}. */
    @FunctionalInterface
    interface Worker {
        /**
         * @param worker the worker's number, 0 on the calling thread
         * @param callerInterrupted whether the thread that called {@link #run(Worker)} has been
         *     interrupted: true from the moment it is, also while it waits for the workers (a
         *     field read or two: ask it once per block, see {@link io.synalign.kernels.Cancellation})
         */
        void run(int worker, BooleanSupplier callerInterrupted);
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
        run((worker, callerInterrupted) -> body.accept(worker));
    }

    /**
     * {@link #run(IntConsumer)}, each worker told how to read the caller's interrupt. The caller
     * waits for the other workers parked ({@link CallerWait}), not interruptibly (they write its
     * buffers), and returns with its interrupt status set where it was interrupted.
     *
     * @throws IllegalStateException when called from inside a worker's body (see
     *     {@link #run(IntConsumer)})
     */
    static void run(Worker body) {
        if (BODY_CALLER_INTERRUPTED.get() != null) {
            throw new IllegalStateException("PinnedWorkers.run called from inside a worker's"
                    + " body: the workers are busy with the outer run (use forEachBlock, which"
                    + " runs inline there)");
        }
        if (COUNT == 1) {
            Thread caller = Thread.currentThread();
            inBody(body, 0, caller::isInterrupted);
            return;
        }
        synchronized (LOCK) {
            Environment environment = Nd4j.getEnvironment();
            int blasThreads = BlasThreadCount.get();
            int masterThreads = environment.maxMasterThreads();
            int maxThreads = environment.maxThreads();
            BlasThreadCount.set(1);
            environment.setMaxMasterThreads(1);
            environment.setMaxThreads(1);
            try {
                runAll(body);
            } finally {
                environment.setMaxThreads(maxThreads);
                environment.setMaxMasterThreads(masterThreads);
                BlasThreadCount.set(blasThreads);
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
     * <p>Cancellation ({@link io.synalign.kernels.Cancellation}): every walk is cancellable.
     * A worker asks for the calling thread's interrupt before it takes each block
     * ({@link ClaimedUnits}: a volatile read or two per block, never inside one, so the
     * arithmetic and the grid are those of an unchecked walk); once it is seen no worker starts
     * another block, and the walk throws the {@link java.util.concurrent.CancellationException}
     * naming {@code work}, the caller's interrupt status kept set. Some blocks never ran, so
     * the walk's outputs are partly written: the caller must neither use nor combine them (the
     * exception leaves its method before it does) and must free what it allocated for the walk
     * on the way out. One walk could run for minutes (random features of a million rows, a
     * kernel block of a pooled test set) and, before session 26, ran to its end after an
     * interrupt.
     *
     * <p>Called from inside a worker's body (a block whose own work is a walk), the inner walk
     * runs on the calling worker alone, its blocks in order, as worker 0: the other workers
     * are busy with the outer walk and the lock is its caller's, so handing the blocks out
     * would wait forever (before review 24 it did). Running them inline changes no bits: the
     * native libraries are already at one thread, and the bits depend on the caller's grid
     * only, not on which worker ran a block. It asks the outer caller's interrupt before each
     * block as well. So a body's per-worker scratch must belong to the walk (made by its caller,
     * or the calling thread's own), never be shared between walks by worker number: an inline
     * walk's worker 0 runs beside the outer walk's.
     *
     * @param work what the walk computes, for its cancellation's message, e.g.
     *     {@code "random features (block of rows)"}; a constant, so nothing is built per walk
     * @throws java.util.concurrent.CancellationException when the calling thread was
     *     interrupted before the last block started
     */
    static void forEachBlock(String work, int blocks, BlockBody body) {
        forEachBlock(work, blocks, COUNT, body);
    }

    /**
     * {@link #forEachBlock(String, int, BlockBody)} with only workers
     * {@code 0 .. claimants - 1} taking blocks (the others return at once), so that a caller
     * holding one scratch buffer per claiming worker bounds its memory whatever the core count.
     * The bits do not change: the grid is the caller's, not the workers'.
     *
     * @param claimants at least 1; more than {@link #count()} are as many
     */
    static void forEachBlock(String work, int blocks, int claimants, BlockBody body) {
        if (blocks <= 0) {
            return;
        }
        if (claimants < 1) {
            throw new IllegalArgumentException("claimants " + claimants + ": at least 1");
        }
        ClaimedUnits units = new ClaimedUnits(blocks);
        BlockStarted hook = blockStarted;
        BooleanSupplier outerCaller = BODY_CALLER_INTERRUPTED.get();
        if (outerCaller != null) {
            // Inline: one claimant, so the blocks come in order.
            for (int b; (b = units.next(outerCaller)) >= 0; ) {
                hook.started(work, b);
                body.accept(0, b);
            }
        } else {
            run((worker, callerInterrupted) -> {
                if (worker >= claimants) {
                    return;
                }
                for (int b; (b = units.next(callerInterrupted)) >= 0; ) {
                    hook.started(work, b);
                    body.accept(worker, b);
                }
            });
        }
        units.throwIfStopped(work);
    }

    /**
     * Why not a {@code Future.get()} per worker, as before: its wait clears the caller's
     * interrupt status (and a caller that waits on must clear it to block at all), so a worker
     * reading the caller's status meanwhile read false and ran its blocks to the end; the
     * {@link CallerWait} hands the interrupt to the workers first.
     */
    private static void runAll(Worker body) {
        CallerWait wait = new CallerWait(COUNT - 1);
        BooleanSupplier callerInterrupted = wait::callerInterrupted;
        Throwable[] failures = new Throwable[COUNT];
        for (int k = 1; k < COUNT; k++) {
            int worker = k;
            try {
                POOL.execute(() -> {
                    try {
                        inBody(body, worker, callerInterrupted);
                    } catch (Throwable e) {
                        failures[worker] = e;
                    } finally {
                        wait.partEnded();
                    }
                });
            } catch (RuntimeException | Error e) { // not run: counted as ended, the failure kept
                failures[worker] = e;
                wait.partEnded();
            }
        }
        try {
            inBody(body, 0, callerInterrupted);
        } catch (RuntimeException | Error e) {
            failures[0] = e;
        }
        // Every worker must finish before the caller may touch the shared buffers again; the
        // wait publishes the workers' writes of failures[] (partEnded happens-before await).
        wait.await();
        Throwable failure = null;
        for (Throwable t : failures) {
            if (failure == null) {
                failure = t;
            }
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

    /**
     * {@code body.run(worker, ...)} with {@link #BODY_CALLER_INTERRUPTED} set on this thread
     * meanwhile.
     */
    private static void inBody(Worker body, int worker, BooleanSupplier callerInterrupted) {
        BODY_CALLER_INTERRUPTED.set(callerInterrupted);
        try {
            body.run(worker, callerInterrupted);
        } finally {
            BODY_CALLER_INTERRUPTED.remove();
        }
    }
}
