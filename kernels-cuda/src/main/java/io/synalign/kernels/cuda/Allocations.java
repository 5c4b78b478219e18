package io.synalign.kernels.cuda;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The device and pinned buffers a constructor has allocated so far, so that a failure part-way
 * (typically {@code cuMemAlloc} out of memory for the largest buffer) frees the ones before it
 * instead of leaking them for the life of the process. Closes in reverse order of allocation.
 */
final class Allocations implements AutoCloseable {

    private final Deque<AutoCloseable> made = new ArrayDeque<>();

    /** Remembers {@code resource} and returns it. */
    <T extends AutoCloseable> T add(T resource) {
        made.push(resource);
        return resource;
    }

    /** Closes everything added, newest first; a failure to close one does not stop the rest. */
    @Override
    public void close() {
        while (!made.isEmpty()) {
            try {
                made.pop().close();
            } catch (Exception e) {
                // Already on an error path: the original failure is what the caller reports.
            }
        }
    }
}
