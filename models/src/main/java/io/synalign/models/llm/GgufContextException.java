package io.synalign.models.llm;

import java.nio.file.Path;

/**
 * A GGUF context that cannot be had ({@link GgufChatModel.Options#contextOf}, and the floor of
 * {@link GgufChatModel.Options}): the value refused, or none where the model itself is at fault
 * (trained on too few tokens), and why. The message names them for a library caller; a command
 * line names its own option with {@link #asked} and {@link #reason} instead, so that its refusal
 * and the library's are one rule in one wording.
 */
public final class GgufContextException extends IllegalArgumentException {

    private final Integer asked;
    private final String reason;

    /**
     * @param asked  the context asked for, or null where the model's training context is at fault
     * @param reason why, ending with what to give where there is a choice
     * @param file   the model file, or null where the value alone is at fault
     */
    GgufContextException(Integer asked, String reason, Path file) {
        super((asked != null ? "GGUF context " + asked : "GGUF model " + file) + ": " + reason);
        this.asked = asked;
        this.reason = reason;
    }

    /** The context (tokens) asked for, or null where the model's training context is at fault. */
    public Integer asked() {
        return asked;
    }

    /** Why, without the value or the file. */
    public String reason() {
        return reason;
    }
}
