package io.synalign.models;

/**
 * The machine or the JVM cannot run a sentence encoder at all (ONNX Runtime's engine did not
 * start, its native library did not load), whatever the texts: a failure of the environment,
 * whose message says what to change, not a bug. An {@link IllegalStateException}, as these
 * failures were before they had a type.
 */
public final class EncoderUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public EncoderUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
