package io.synalign.kernels;

/**
 * Thrown when an explicitly requested backend is unknown, cannot run on this machine, or fails
 * to start; the message is one line naming the backend and why.
 */
public class BackendUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    /** With the failure that made the backend unusable, kept for a verbose stack trace. */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
