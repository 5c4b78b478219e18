package io.synalign.models.llm;

import java.time.Duration;

/**
 * A call ran past its whole-call deadline and was cancelled. An in-process model decodes
 * deterministically per seed, so retrying would run past it again: the caller should raise the
 * deadline or choose a faster model.
 */
public final class ChatTimeoutException extends ChatModelException {

    private static final long serialVersionUID = 1L;

    private final transient Duration timeout;

    public ChatTimeoutException(String model, Duration timeout, int charactersWritten) {
        super("no complete reply from " + model + " within " + Durations.format(timeout) + " ("
                + charactersWritten + " characters written when the call was cancelled)");
        this.timeout = timeout;
    }

    /** The deadline that passed. */
    public Duration timeout() {
        return timeout;
    }
}
