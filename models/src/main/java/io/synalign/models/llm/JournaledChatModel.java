package io.synalign.models.llm;

import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ChatModel} decorator that never sends a completed call twice: it looks the request's
 * {@link RequestKeys#key} up in a {@link CallJournal}, replays the stored reply on a hit, and
 * otherwise delegates and appends the validated reply (durably) before returning it.
 *
 * <p>Two threads sending the same request at the same moment may both reach the delegate; the
 * journal keeps the first reply. A stored reply that no longer validates is re-sent.
 */
public final class JournaledChatModel implements ChatModel {

    private static final Logger LOG = LoggerFactory.getLogger(JournaledChatModel.class);

    private final ChatModel delegate;
    private final CallJournal journal;
    private final Clock clock;

    public JournaledChatModel(ChatModel delegate, CallJournal journal) {
        this(delegate, journal, Clock.systemUTC());
    }

    public JournaledChatModel(ChatModel delegate, CallJournal journal, Clock clock) {
        if (delegate == null || journal == null || clock == null) {
            throw new IllegalArgumentException("delegate, journal and clock must not be null");
        }
        this.delegate = delegate;
        this.journal = journal;
        this.clock = clock;
    }

    @Override
    public ChatReply complete(ChatRequest request) {
        String key = RequestKeys.key(delegate.backend(), delegate.model(), request);
        JournalEntry hit = journal.lookup(key);
        if (hit != null) {
            ChatReply replay = replay(hit, request);
            if (replay != null) {
                return replay;
            }
            LOG.warn("Journal entry {} no longer validates; sending the request again", key);
        }
        Instant started = clock.instant();
        ChatReply reply = delegate.complete(request);
        ResponseSchema schema = request.responseSchema();
        journal.append(new JournalEntry(key, delegate.backend(), delegate.model(),
                schema == null ? null : schema.name(), request.attempt(),
                RequestKeys.messagesDigest(request.messages()), reply.content(), reply.finishReason(),
                reply.httpAttempts(), reply.reasks(), started, clock.instant()));
        return reply;
    }

    private static ChatReply replay(JournalEntry e, ChatRequest request) {
        ResponseSchema schema = request.responseSchema();
        if (schema == null) {
            return new ChatReply(e.content(), null, e.finishReason(), 0, e.reasks(), true);
        }
        ReplyParser.Result r = ReplyParser.parse(e.content(), schema);
        return r.valid() ? new ChatReply(e.content(), r.json(), e.finishReason(), 0, e.reasks(), true) : null;
    }

    @Override
    public String backend() {
        return delegate.backend();
    }

    @Override
    public String model() {
        return delegate.model();
    }
}
