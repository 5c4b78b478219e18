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
 * <p>A reply cut off at its token limit ({@code finish_reason length}: a server's limit on
 * generated tokens, or an in-process GGUF model's budget, the context left after the prompt) is
 * not fed back:
 * its text would leave the model even less room for the whole reply it must write again. The
 * re-ask is a fresh one instead: the original conversation, its last user turn asking for a
 * complete, shorter reply ({@link #CUT_OFF_NOTE}; the prompt changes, so a seeded server does
 * not cut the same reply again). A reply cut off before any answer (no content, or reasoning
 * only) is not re-asked at all: the same request spends its tokens on reasoning the same way,
 * so up to {@code maxReasks} more full-length calls would fail alike; the exception names a
 * server's fix (a larger server-side limit, less reasoning), and a GGUF model's problem its budget
 * (a grammar-bounded GGUF reply begins with its JSON, so this is a server's case). A caller that loses one request this way
 * goes on with its others.
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
                if (e.cutOffBeforeAnswer()) {
                    boolean gguf = GgufChatModel.BACKEND.equals(delegate.backend());
                    throw new InvalidReplyException(delegate.model() + " wrote no answer before "
                            + (gguf ? "its token budget" : "the server's token limit")
                            + "; not asked again, since the same request would"
                            + " spend its tokens the same way: " + e.getMessage()
                            + (gguf || e.getMessage().contains(TOKEN_LIMIT_FIX) ? "" : REASONING_FIX),
                            e.lastContent(), attempts, e.finishReason());
                }
                if (k - request.reask() >= maxReasks) {
                    throw new InvalidReplyException("no valid reply from " + delegate.model() + " after "
                            + (k - request.reask() + 1) + " asks (" + (k - request.reask()) + " re-asks): "
                            + e.getMessage(), e.lastContent(), attempts, e.finishReason());
                }
                if (e.cutOff()) {
                    LOG.warn("Reply from {} cut off at its token limit ({}); asking afresh ({}/{})",
                            delegate.model(), e.getMessage(), k - request.reask() + 1, maxReasks);
                    conversation = afresh(request.messages());
                } else {
                    LOG.warn("Invalid reply from {} ({}); re-asking ({}/{})", delegate.model(), e.getMessage(),
                            k - request.reask() + 1, maxReasks);
                    conversation.add(ChatMessage.assistant(resent(e.lastContent())));
                    conversation.add(ChatMessage.user(correction(e.getMessage(), request.responseSchema())));
                }
            }
        }
    }

    /**
     * What a reply whose reasoning used up the token limit before an answer needs; written once
     * here, in {@link OpenAiCompatibleChatModel}'s message for such a reply and in {@link #REASONING_FIX}.
     */
    static final String TOKEN_LIMIT_FIX = "raise the server's limit on generated tokens or its context"
            + " size (SynAlign sends no max_tokens), or lower the model's reasoning effort";

    /** What a reply without an answer before the token limit needs, where its problem does not say. */
    static final String REASONING_FIX = "; " + TOKEN_LIMIT_FIX;

    /** Added to the last user turn of a fresh re-ask after a reply cut off at the token limit. */
    static final String CUT_OFF_NOTE = "(Your previous reply to this was cut off at the length limit"
            + " before it ended. Reply again with a complete JSON value that fits: keep it shorter.)";

    /**
     * The original conversation of a fresh re-ask: {@link #CUT_OFF_NOTE} added to its last user
     * turn (a second user turn in a row is refused by chat templates that require the roles to
     * alternate), or as a user turn of its own when the last turn is not the user's.
     */
    static List<ChatMessage> afresh(List<ChatMessage> original) {
        List<ChatMessage> conversation = new ArrayList<>(original);
        ChatMessage last = conversation.get(conversation.size() - 1);
        if ("user".equals(last.role())) {
            conversation.set(conversation.size() - 1, ChatMessage.user(last.content() + "\n\n" + CUT_OFF_NOTE));
        } else {
            conversation.add(ChatMessage.user(CUT_OFF_NOTE));
        }
        return conversation;
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
