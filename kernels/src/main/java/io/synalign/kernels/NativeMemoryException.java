package io.synalign.kernels;

/**
 * Thrown when memory outside the Java heap that the plan counted on (it fits the memory
 * budget) cannot be allocated: a backend's own cap or the machine refused it. Failing, rather
 * than going on without it, keeps the result a function of the inputs, options and seed and not
 * of the JVM's limits. The message is one line naming what was refused and the setting that
 * raises the cap.
 */
public class NativeMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NativeMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
