package io.synalign.models.llm;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded number of re-asks when a reply does not validate: the delegate asks once and throws
 * an {@link InvalidReplyException} carrying the invalid content; this decorator then appends that
 * content (as the assistant's turn) and a correction naming the problem and the schema to the
 * conversation, and asks again with re-ask index k ({@link ChatRequest#reask()}), at most
 * {@code maxReasks} times, before giving up with an {@link InvalidReplyException}.
 *
 * <p>Put a {@link JournaledChatModel} between this and the backend, so that each ask and re-ask is
 * journaled as its own call (the journal key includes the re-ask index and the grown
 * conversation); a resumed run then never re-sends a completed ask or re-ask. Cost: at most
 * {@code maxReasks + 1} delegate calls per request. Thread-safe if the delegate is.
 */
public final class ReaskingChatModel extends ForwardingChatModel {

    private static final Logger LOG = LoggerFactory.getLogger(ReaskingChatModel.class);
    /** The default re-ask budget. */
    public static final int DEFAULT_MAX_REASKS = 2;

    private final int maxReasks;

    /**
     * @param delegate  asks once per call (e.g. an {@link OpenAiCompatibleChatModel} built with
     *                  {@code maxReasks(0)}, possibly journaled)
     * @param maxReasks re-asks after invalid replies, at least 0
     */
    public ReaskingChatModel(ChatModel delegate, int maxReasks) {
        super(delegate);
        if (delegate == null) {
            throw new IllegalArgumentException("delegate must not be null");
        }
        if (maxReasks < 0) {
            throw new IllegalArgumentException("max re-asks must be >= 0: " + maxReasks);
        }
        this.maxReasks = maxReasks;
    }

    @Override
    public ChatReply complete(ChatRequest request) {
        List<ChatMessage> conversation = new ArrayList<>(request.messages());
        int attempts = 0;
        for (int k = request.reask(); ; k++) {
            ChatRequest ask = k == request.reask() ? request : request.reask(k, conversation);
            try {
                ChatReply r = delegate.complete(ask);
                return new ChatReply(r.content(), r.json(), r.finishReason(), attempts + r.httpAttempts(), k,
                        r.fromJournal());
            } catch (InvalidReplyException e) {
                attempts += e.httpAttempts();
                if (k - request.reask() >= maxReasks) {
                    throw new InvalidReplyException("no valid reply from " + delegate.model() + " after "
                            + (k - request.reask() + 1) + " asks (" + (k - request.reask()) + " re-asks): "
                            + e.getMessage(), e.lastContent(), attempts);
                }
                LOG.warn("Invalid reply from {} ({}); re-asking ({}/{})", delegate.model(), e.getMessage(),
                        k - request.reask() + 1, maxReasks);
                conversation.add(ChatMessage.assistant(resent(e.lastContent())));
                conversation.add(ChatMessage.user(correction(e.getMessage(), request.responseSchema())));
            }
        }
    }

    /** The most characters of an invalid reply sent back in a re-ask. */
    static final int MAX_RESENT_CHARS = 16_384;

    /**
     * The invalid reply as the assistant's turn of a re-ask: whole up to
     * {@value #MAX_RESENT_CHARS} characters, else its start and a note of what was cut, so that a
     * runaway reply does not grow every following request (and the journal) by its own size.
     */
    static String resent(String content) {
        if (content == null) {
            return "";
        }
        if (content.length() <= MAX_RESENT_CHARS) {
            return content;
        }
        int keep = MAX_RESENT_CHARS - 64;
        if (Character.isHighSurrogate(content.charAt(keep - 1))) {
            keep--;
        }
        return content.substring(0, keep) + " [... " + (content.length() - keep)
                + " more characters cut]";
    }

    /** The correction appended after an invalid reply. */
    static String correction(String problem, ResponseSchema schema) {
        return "Your previous reply was invalid: " + problem + ". Reply again with only a JSON value"
                + (schema == null ? "" : " that matches the JSON schema " + Json.write(schema.schema()))
                + ", with no code fences and no other text.";
    }
}
