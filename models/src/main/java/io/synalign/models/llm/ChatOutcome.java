package io.synalign.models.llm;

/**
 * The result of one request in a batch: a reply, or the error that ended it.
 *
 * @param index   the request's position in the batch
 * @param request the request
 * @param reply   the reply, or {@code null} on error
 * @param error   the error, or {@code null} on success
 */
public record ChatOutcome(int index, ChatRequest request, ChatReply reply, ChatModelException error) {

    public ChatOutcome {
        if ((reply == null) == (error == null)) {
            throw new IllegalArgumentException("an outcome has exactly one of reply and error (request " + index + ")");
        }
    }

    public boolean ok() {
        return reply != null;
    }
}
