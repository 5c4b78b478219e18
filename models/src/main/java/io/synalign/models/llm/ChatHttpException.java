package io.synalign.models.llm;

/**
 * The server answered with a non-retryable HTTP status (any 4xx except 408 and 429): a wrong
 * key, a bad request, an unknown model. Retrying cannot help, so the run should stop with the
 * server's own message.
 */
public final class ChatHttpException extends ChatModelException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String serverMessage;

    public ChatHttpException(int status, String serverMessage, String url) {
        super("HTTP " + status + " from " + url + ": " + serverMessage);
        this.status = status;
        this.serverMessage = serverMessage;
    }

    public int status() {
        return status;
    }

    /** The server's error message (API key masked). */
    public String serverMessage() {
        return serverMessage;
    }
}
