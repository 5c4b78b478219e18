package io.synalign.models.llm;

/**
 * The server could not be reached at all: every attempt so far failed to connect (connection
 * refused, unknown host, no route) and no reply had ever come from it. A wrong address or a
 * server that is not running; retrying for minutes would not help, so the run stops after
 * {@link OpenAiCompatibleChatModel#CONNECT_ATTEMPTS} attempts, naming the address. Once the
 * server has answered, connection failures are retried like any other (a server restarting).
 */
public final class ChatConnectException extends ChatModelException {

    private static final long serialVersionUID = 1L;

    private final String url;

    public ChatConnectException(String url, int attempts, String failure) {
        super("cannot connect to " + url + " (" + failure + ", " + attempts + " attempts); is a"
                + " server running at that address?");
        this.url = url;
    }

    /** The address that could not be reached. */
    public String url() {
        return url;
    }
}
