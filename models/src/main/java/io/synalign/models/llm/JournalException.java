package io.synalign.models.llm;

/**
 * A call journal that cannot be used as it is: held by another run, or damaged before its last
 * line (a torn last line, left by an interrupted run, is dropped with a warning instead). The
 * user's to fix (wait, use another directory, or repair or remove the file), so front ends treat
 * it as bad input.
 */
public final class JournalException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public JournalException(String message) {
        super(message);
    }
}
