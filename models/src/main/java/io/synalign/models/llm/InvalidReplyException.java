package io.synalign.models.llm;

/**
 * A reply that does not satisfy the request's schema: from a single ask (whose content
 * {@link ReaskingChatModel} feeds back with a correction), or after the re-ask budget is spent.
 */
public final class InvalidReplyException extends ChatModelException {

    private static final long serialVersionUID = 1L;

    private final String lastContent;
    private final int httpAttempts;
    private final String finishReason;

    public InvalidReplyException(String message, String lastContent) {
        this(message, lastContent, 0);
    }

    /**
     * @param httpAttempts requests to the backend this invalid reply cost (0 when replayed from
     *                     a journal)
     */
    public InvalidReplyException(String message, String lastContent, int httpAttempts) {
        this(message, lastContent, httpAttempts, null);
    }

    /**
     * @param finishReason the server's {@code finish_reason} of the invalid reply, or {@code null}
     *                     when unknown; {@code length} makes a {@link ReaskingChatModel} ask
     *                     afresh instead of feeding the cut-off text back ({@link #cutOff})
     */
    public InvalidReplyException(String message, String lastContent, int httpAttempts, String finishReason) {
        super(message);
        this.lastContent = lastContent;
        this.httpAttempts = httpAttempts;
        this.finishReason = finishReason;
    }

    /** The server's finish reason of the invalid reply, or {@code null} when unknown. */
    public String finishReason() {
        return finishReason;
    }

    /**
     * Whether the reply was cut off at its token limit ({@code finish_reason length}): a server's,
     * or an in-process GGUF model's budget.
     */
    public boolean cutOff() {
        return "length".equals(finishReason);
    }

    /**
     * Whether the reply was cut off at the token limit before any answer: no content, or only
     * the model's reasoning. The same request spends the same tokens on reasoning again, so a
     * re-ask cannot help; only a larger limit or less reasoning can.
     */
    public boolean cutOffBeforeAnswer() {
        return cutOff() && (lastContent == null || lastContent.isBlank()
                || ReplyParser.afterReasoning(lastContent).reasoningOnly());
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
