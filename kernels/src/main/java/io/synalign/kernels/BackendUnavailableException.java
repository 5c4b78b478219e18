package io.synalign.kernels;

/** Thrown when an explicitly requested backend is unknown or cannot run on this machine. */
public class BackendUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }
}
