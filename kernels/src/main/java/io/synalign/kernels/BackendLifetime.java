package io.synalign.kernels;

/**
 * Whether a backend is still open, shared by the backend and every operator and tracker it
 * made, so that all of them refuse to run once the backend is closed: the rule of
 * {@link KernelBackend#close()} checked where it costs one volatile read per call. On a host
 * backend nothing would break at once (each operator owns its buffers), but the same code on a
 * device backend would launch work on a released context; refusing it everywhere makes the
 * mistake show on the CPU too.
 *
 * <p>Closing an operator after its backend is still allowed (it frees what it owns), so a
 * {@code finally} that closes in the wrong order does not hide the error it is unwinding.
 */
public final class BackendLifetime {

    private final String backend;
    private volatile boolean closed;

    /** @param backend the backend's name, for the message */
    public BackendLifetime(String backend) {
        this.backend = backend;
    }

    /**
     * @throws IllegalStateException {@code "the <name> backend is closed ..."} once
     *     {@link #close()} has been called
     */
    public void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the " + backend + " backend is closed: close its"
                    + " operators, trackers and vectors before the backend");
        }
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /** Marks the backend closed; idempotent. */
    public void close() {
        closed = true;
    }
}
