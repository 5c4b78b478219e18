package io.synalign.kernels.nd4j;

import io.synalign.kernels.BackendLifetime;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A backend's per-thread {@link NativeScratch}: each calling thread gets its own (a search calls
 * the stateless products thousands of times with the same shapes, and fresh buffers would pay
 * the first-touch page faults of tens of megabytes on every call), and all of them are freed
 * when the backend closes. Before review 22 the scratch was held per thread for the thread's
 * life, whatever backend made it: one product on each of 8 pool threads left 364 MiB of JavaCPP
 * memory after {@code close()}, counted against {@code maxbytes} and so against later fits'
 * feature budgets.
 *
 * <p>The backend holds each thread's scratch weakly: a thread that ends before the backend closes
 * leaves its scratch to the garbage collector (JavaCPP then frees the buffers), as before, so a
 * backend kept open for a host's life does not gather the scratch of every thread it served.
 */
final class BackendScratch implements AutoCloseable {

    private final BackendLifetime lifetime;
    private final ThreadLocal<NativeScratch> perThread = new ThreadLocal<>();
    private final List<WeakReference<NativeScratch>> all = new ArrayList<>();
    private boolean closed;

    BackendScratch(BackendLifetime lifetime) {
        this.lifetime = lifetime;
    }

    /**
     * Calls {@code use} with the calling thread's scratch, which nothing frees meanwhile.
     *
     * @throws RuntimeException the backend's refusal ({@link BackendLifetime#checkOpen}) once it
     *     is closed
     */
    void use(Consumer<NativeScratch> use) {
        NativeScratch scratch = perThread.get();
        if (scratch == null) {
            scratch = new NativeScratch();
            synchronized (this) {
                if (closed) {
                    lifetime.checkOpen();
                    throw new IllegalStateException("backend closed");
                }
                all.removeIf(ref -> ref.get() == null);
                all.add(new WeakReference<>(scratch));
            }
            perThread.set(scratch);
        }
        synchronized (scratch) { // close() frees it under the same monitor, never mid-use
            if (scratch.freed()) {
                lifetime.checkOpen();
                throw new IllegalStateException("backend closed");
            }
            use.accept(scratch);
        }
    }

    /** Frees every thread's scratch (waiting for one in use); later uses are refused. */
    @Override
    public void close() {
        List<WeakReference<NativeScratch>> toFree;
        synchronized (this) {
            closed = true;
            toFree = new ArrayList<>(all);
            all.clear();
        }
        for (WeakReference<NativeScratch> ref : toFree) {
            NativeScratch scratch = ref.get();
            if (scratch != null) {
                synchronized (scratch) {
                    scratch.free();
                }
            }
        }
        perThread.remove();
    }
}
