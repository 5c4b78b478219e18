package io.synalign.models.llm;

/** The server kept answering with replies that do not satisfy the request's schema. */
public final class InvalidReplyException extends ChatModelException {

    private static final long serialVersionUID = 1L;

    private final String lastContent;

    public InvalidReplyException(String message, String lastContent) {
        super(message);
        this.lastContent = lastContent;
    }

    /** The last invalid reply text, for diagnosis. */
    public String lastContent() {
        return lastContent;
    }
}
