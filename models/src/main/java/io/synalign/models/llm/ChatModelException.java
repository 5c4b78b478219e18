package io.synalign.models.llm;

/**
 * A chat call that could not be completed. Messages never contain the API key
 * ({@link ApiKey#mask(String)} is applied to anything that came from the server).
 */
public class ChatModelException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ChatModelException(String message) {
        super(message);
    }

    public ChatModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
