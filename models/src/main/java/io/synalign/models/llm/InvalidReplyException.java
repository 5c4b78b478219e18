package io.synalign.models.llm;

/**
 * A reply that does not satisfy the request's schema: from a single ask (whose content
 * {@link ReaskingChatModel} feeds back with a correction), or after the re-ask budget is spent.
 */
public final class InvalidReplyException extends ChatModelException {

    private static final long serialVersionUID = 1L;

    private final String lastContent;
    private final int httpAttempts;

    public InvalidReplyException(String message, String lastContent) {
        this(message, lastContent, 0);
    }

    /**
     * @param httpAttempts requests to the backend this invalid reply cost (0 when replayed from
     *                     a journal)
     */
    public InvalidReplyException(String message, String lastContent, int httpAttempts) {
        super(message);
        this.lastContent = lastContent;
        this.httpAttempts = httpAttempts;
    }

    /** Requests to the backend the invalid reply cost (0 when it was replayed from a journal). */
    public int httpAttempts() {
        return httpAttempts;
    }

    /** The last invalid reply text, for diagnosis. */
    public String lastContent() {
        return lastContent;
    }
}
