package io.synalign.models.llm;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM threads java-llama.cpp's models run on, and the exit they would block.
 *
 * <p>Each {@code new LlamaModel} (java-llama.cpp 4.2.0, {@code jllama.cpp} {@code loadModel})
 * starts a native {@code std::thread} for llama.cpp's task loop, which attaches itself to the JVM
 * with {@code AttachCurrentThread}, so as a non-daemon thread ("Thread-N" in the main group,
 * whatever thread opened the model, a daemon one included). Closing the model ends the loop, and
 * the native thread exits without {@code DetachCurrentThread}: the JVM keeps its Java thread,
 * alive and non-daemon, for ever. A JVM waits for every non-daemon thread before it exits, so a
 * program whose {@code main} opens and closes a GGUF model and returns never ended (the command
 * line exits with {@code System.exit}, which does not wait). Nothing on the Java side can detach
 * another thread or make a live thread a daemon, and the JVM counted it as non-daemon when it
 * attached.
 *
 * <p>So this class finishes the exit those threads block. {@link #registerNew} records each
 * model's loop thread as it loads, and a daemon thread ("synalign-gguf-exit", started with the
 * first) looks every {@value #POLL_MILLIS} ms for the JVM's {@value #DESTROY_JVM} thread, which
 * the launcher attaches when {@code main} has returned (and a JNI host when it destroys the JVM)
 * to wait for the non-daemon threads. When it is there and every other non-daemon thread alive is
 * a recorded loop thread still without Java frames, only those threads stand between the JVM and
 * its exit: a closed model's never ends, and an open model's waits for requests that only daemon
 * threads are left to make, which do not keep a JVM alive. It then calls {@link Runtime#exit},
 * which runs the shutdown hooks as the ordinary exit would, with the launcher's status: 1 if the
 * main thread ended with an uncaught exception, 0 otherwise. While any other non-daemon thread
 * lives, or nothing has asked the JVM to end, it does nothing.
 */
final class LlamaLoopThreads {

    private static final Logger LOG = LoggerFactory.getLogger(LlamaLoopThreads.class);
    /** How often the exit watcher looks at the JVM's threads: a cheap enumeration, no safepoint. */
    static final long POLL_MILLIS = 100;
    /** The name HotSpot gives the thread that waits for the non-daemon threads before the JVM ends. */
    static final String DESTROY_JVM = "DestroyJavaVM";
    /** How long {@link #registerNew} waits for the loop thread to attach: it does so at once, natively. */
    private static final long ATTACH_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final Object LOCK = new Object();
    /** java-llama.cpp's task-loop threads (guarded by {@link #LOCK}). */
    private static final Set<Thread> LOOP_THREADS = new HashSet<>();
    private static Thread watcher;
    /** Whether the main thread ended with an uncaught exception (the launcher then exits 1). */
    private static volatile boolean mainThrew;

    private LlamaLoopThreads() {
    }

    /** The live threads now, to tell a model's loop thread from the threads already there. */
    static Set<Thread> live() {
        return new HashSet<>(List.of(all()));
    }

    /**
     * Records the loop thread of a model loaded since {@code before} was taken: a live non-daemon
     * thread without Java frames (a native thread in native code) that was not there before and
     * is no other model's. The native side starts it just before the model's constructor returns,
     * so it is waited for, up to 10 s (without it the JVM's exit is blocked as before, nothing
     * worse). Concurrent loads may each take the other's loop thread: the set is the same.
     */
    static void registerNew(Set<Thread> before) {
        long deadline = System.nanoTime() + ATTACH_WAIT_NANOS;
        while (true) {
            synchronized (LOCK) {
                for (Thread t : all()) {
                    if (!before.contains(t) && !LOOP_THREADS.contains(t) && isNativeNonDaemon(t)) {
                        LOOP_THREADS.add(t);
                        startWatcher();
                        return;
                    }
                }
            }
            if (System.nanoTime() - deadline > 0) {
                LOG.debug("java-llama.cpp's task-loop thread not found attached after 10 s");
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** A thread attached from native code that runs native code: non-daemon, no Java frames. */
    private static boolean isNativeNonDaemon(Thread t) {
        return t.isAlive() && !t.isDaemon() && t.getStackTrace().length == 0;
    }

    private static void startWatcher() {
        if (watcher == null) {
            watchMainThreadsEnd();
            watcher = new Thread(LlamaLoopThreads::watch, "synalign-gguf-exit");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    /**
     * Whether the JVM is waiting to end (a {@value #DESTROY_JVM} thread is alive) for no thread
     * but the loop threads: {@code threads} are the live threads, {@code loopThreads} those
     * recorded. A recorded thread with Java frames counts as another thread.
     */
    static boolean exitBlockedOnlyByLoopThreads(Thread[] threads, Set<Thread> loopThreads) {
        boolean destroying = false;
        List<Thread> loops = new ArrayList<>();
        for (Thread t : threads) {
            if (t.isDaemon()) {
                continue;
            }
            if (loopThreads.contains(t)) {
                loops.add(t);
            } else if (t.getName().equals(DESTROY_JVM)) {
                destroying = true;
            } else {
                return false;
            }
        }
        if (!destroying) {
            return false;
        }
        for (Thread t : loops) {
            if (t.getStackTrace().length != 0) {
                return false;
            }
        }
        return true;
    }

    private static void watch() {
        while (true) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
            boolean blocked;
            int loops;
            synchronized (LOCK) {
                blocked = exitBlockedOnlyByLoopThreads(all(), LOOP_THREADS);
                loops = LOOP_THREADS.size();
            }
            if (blocked) {
                int status = mainThrew ? 1 : 0;
                LOG.debug("the JVM waits to end only for java-llama.cpp's {} task-loop threads: exiting with {}",
                        loops, status);
                Runtime.getRuntime().exit(status);
                return;
            }
        }
    }

    /**
     * Notes whether the main thread ends with an uncaught exception, for the exit status: the
     * launcher exits 1 then. Only where the main thread has no handler of its own (its group
     * handles it): the wrapper hands the exception on to the group, which prints it as before.
     */
    private static void watchMainThreadsEnd() {
        for (Thread t : all()) {
            if (t.getName().equals("main") && t.getThreadGroup() != null
                    && t.getUncaughtExceptionHandler() == t.getThreadGroup()) {
                ThreadGroup group = t.getThreadGroup();
                t.setUncaughtExceptionHandler((thread, e) -> {
                    mainThrew = true;
                    group.uncaughtException(thread, e);
                });
                return;
            }
        }
    }

    /** Every live thread of the JVM, from the root thread group (no safepoint, unlike stack traces). */
    private static Thread[] all() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16];
        int n;
        while ((n = root.enumerate(threads, true)) == threads.length) {
            threads = new Thread[threads.length * 2];
        }
        return java.util.Arrays.copyOf(threads, n);
    }
}
