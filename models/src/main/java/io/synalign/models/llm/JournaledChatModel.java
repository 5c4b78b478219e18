package io.synalign.models.llm;

import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ChatModel} decorator that never sends a completed call twice: it looks the request's
 * {@link RequestKeys#key} up in a {@link CallJournal}, replays the stored reply on a hit, and
 * otherwise delegates and appends the reply (durably) before returning it.
 *
 * <p>A reply that does not validate is a completed call too: when the delegate throws an
 * {@link InvalidReplyException}, its content is journaled with the problem before the exception
 * is passed on, and a hit on such an entry throws the same kind of exception again without
 * calling the delegate. Wrapped in a {@link ReaskingChatModel} (around a delegate that asks once),
 * every ask and re-ask is therefore its own journal entry, keyed with its re-ask index, and a
 * resumed run replays the invalid replies and re-asks identically instead of paying again.
 *
 * <p>Two threads sending the same request at the same moment may both reach the delegate; the
 * journal keeps the first reply. A reply stored as valid that no longer validates is re-sent.
 *
 * <p>A reply cut off at its token budget ({@code finish_reason length}) is journaled with that
 * budget when the delegate knows it ({@link ChatModel#replyBudget}: an in-process GGUF model,
 * whose budget is the context left after the prompt; a server does not say). The key holds no
 * budget, so a run with more context finds that entry: when the delegate now grants the request
 * a larger budget, the request is asked again and its reply takes the entry's place
 * ({@link JournalEntry#supersedes}); otherwise (the same or a smaller budget, an unknown one)
 * the entry replays as it always did. A GGUF entry journaled as cut off without its budget (by a
 * SynAlign from before budgets were recorded) is taken as cut off at the budget of the model's
 * default context, at which every such version ran it, and asked again likewise when this run
 * grants more; the journal tells, once, how many such entries were asked again and how many
 * replayed. Complete replies replay whatever the budget.
 *
 * <p>Each request is counted on the journal as replayed or sent ({@link CallJournal#replayed},
 * {@link CallJournal#sent}), so that a run can say how much of it the journal answered.
 *
 * <p>The key's model is the delegate's {@link ChatModel#identify}, asked once, when this
 * journal is put in front of it: an {@link OpenAiCompatibleChatModel} then asks its server what
 * it serves (one request, before the first call rather than among the concurrent ones). What
 * the server said is recorded in the journal, and when it cannot say (a finished run replayed
 * with the server stopped) the recorded identity stands in for it ({@link CallJournal#identityFor}).
 */
public final class JournaledChatModel extends ForwardingChatModel {

    private static final Logger LOG = LoggerFactory.getLogger(JournaledChatModel.class);

    private final CallJournal journal;
    private final Clock clock;
    /** The delegate's {@link ChatModel#modelIdentity}, as every key of this journal names it. */
    private final String identity;

    public JournaledChatModel(ChatModel delegate, CallJournal journal) {
        this(delegate, journal, Clock.systemUTC());
    }

    public JournaledChatModel(ChatModel delegate, CallJournal journal, Clock clock) {
        super(delegate);
        if (delegate == null || journal == null || clock == null) {
            throw new IllegalArgumentException("delegate, journal and clock must not be null");
        }
        this.journal = journal;
        this.clock = clock;
        this.identity = journal.identityFor(delegate.backend(), delegate.model(), delegate.identify());
    }

    /** The model as this journal's keys name it, asked of the delegate once. */
    @Override
    public String modelIdentity() {
        return identity;
    }

    /** {@link #modelIdentity}, settled: whatever wraps this journal has nothing left to ask. */
    @Override
    public ModelIdentity identify() {
        return ModelIdentity.fixed(identity);
    }

    @Override
    public ChatReply complete(ChatRequest request) {
        String key = RequestKeys.key(delegate.backend(), identity, request);
        JournalEntry hit = journal.lookup(key);
        if (hit != null && hit.cutOffWithoutBudget() && asksAgainWithoutBudget(key, request)) {
            hit = null;
        }
        if (hit != null && hit.cutOffAtKnownBudget()) {
            // The key does not hold the budget (a GGUF model's context is not part of it, and
            // keys stay those of existing journals): a reply cut off at a smaller budget than
            // this run grants is asked again, its reply taking the entry's place, as the
            // cut-off warning's advice (a larger --gguf-context) means on a resumed run.
            java.util.OptionalInt now = delegate.replyBudget(request);
            if (now.isPresent() && now.getAsInt() > hit.cutOffAt()) {
                LOG.info("Journal entry {} was cut off at its budget of {} tokens; this run grants {}:"
                        + " asking again", key, hit.cutOffAt(), now.getAsInt());
                hit = null;
            }
        }
        if (hit != null && hit.problem() != null) {
            // The same message as the original call: a ReaskingChatModel puts it in the correction,
            // and the re-ask's key must not change on resume.
            LOG.debug("Journal entry {} replays an invalid reply", key);
            journal.noteReplayed();
            throw new InvalidReplyException(hit.problem(), hit.content(), 0, hit.finishReason());
        }
        if (hit != null) {
            ChatReply replay = replay(hit, request);
            if (replay != null) {
                journal.noteReplayed();
                return replay;
            }
            LOG.warn("Journal entry {} no longer validates; sending the request again", key);
        }
        Instant started = clock.instant();
        ResponseSchema schema = request.responseSchema();
        String schemaName = schema == null ? null : schema.name();
        String digest = RequestKeys.messagesDigest(request.messages());
        ChatReply reply;
        journal.noteSent(); // counted as it goes out: a request that then fails was sent too
        try {
            reply = delegate.complete(request);
        } catch (InvalidReplyException e) {
            String problem = e.getMessage() == null ? "invalid reply" : e.getMessage();
            Instant completed = clock.instant();
            journal.append(new JournalEntry(key, delegate.backend(), delegate.model(), schemaName,
                    request.attempt(), request.reask(), digest, e.lastContent() == null ? "" : e.lastContent(),
                    problem, e.finishReason(), e.httpAttempts(), 0, started, completed,
                    cutOffAt(e.finishReason(), request)));
            throw e;
        }
        Instant completed = clock.instant();
        journal.append(new JournalEntry(key, delegate.backend(), delegate.model(), schemaName,
                request.attempt(), request.reask(), digest, reply.content(), null, reply.finishReason(),
                reply.httpAttempts(), reply.reasks(), started, completed, cutOffAt(reply.finishReason(), request)));
        return reply;
    }

    /**
     * Whether a GGUF reply journaled as cut off with no budget recorded
     * ({@link JournalEntry#cutOffWithoutBudget}: by a SynAlign from before budgets were, or
     * before GGUF replies reported {@code length}) is asked again: every such version ran the
     * model at its default context (the training context capped at
     * {@value GgufChatModel#DEFAULT_CONTEXT} tokens; no option set another), so the entry is
     * taken as cut off at the budget that context gives the request
     * ({@link ChatModel#defaultReplyBudget}), and asked again, as an entry recording that budget
     * would be, only when this run grants a larger one. Not by the reply's own length: its
     * tokens counted again need not be the tokens generated, so a reply cut off at this very
     * context could read as shorter and be paid for again on every resume at the same context.
     * The journal counts each looked-up entry, asked again or replayed, and tells the counts
     * once, when it closes.
     */
    private boolean asksAgainWithoutBudget(String key, ChatRequest request) {
        java.util.OptionalInt then = delegate.defaultReplyBudget(request);
        java.util.OptionalInt now = then.isPresent() ? delegate.replyBudget(request) : java.util.OptionalInt.empty();
        boolean again = now.isPresent() && now.getAsInt() > then.getAsInt();
        journal.noteCutOffWithoutBudget(key, again);
        if (again) {
            LOG.info("Journal entry {} was cut off at a budget not recorded, taken as the default context's {}"
                    + " tokens; this run grants {}: asking again", key, then.getAsInt(), now.getAsInt());
        }
        return again;
    }

    /**
     * The budget a reply that finished with {@code finishReason} was cut off at, when it was cut
     * off and the delegate knows ({@link ChatModel#replyBudget}: the same model, context and
     * request give the budget the call ran under); else {@code null}. Asked only of cut-off
     * replies, so complete ones cost nothing more and are journaled as before.
     */
    private Integer cutOffAt(String finishReason, ChatRequest request) {
        if (!JournalEntry.LENGTH.equals(finishReason)) {
            return null;
        }
        java.util.OptionalInt budget;
        try {
            budget = delegate.replyBudget(request);
        } catch (ChatModelException e) {
            // The reply is complete and paid for: journaled without its budget (replayed as such
            // entries always were) rather than lost because the budget could not be counted.
            LOG.debug("budget of a cut-off reply not known: {}", e.toString());
            return null;
        }
        return budget.isPresent() && budget.getAsInt() > 0 ? budget.getAsInt() : null;
    }

    private static ChatReply replay(JournalEntry e, ChatRequest request) {
        ResponseSchema schema = request.responseSchema();
        if (schema == null) {
            return new ChatReply(e.content(), null, e.finishReason(), 0, e.reasks(), true);
        }
        // With the recorded finish reason: a cut-off reply replays the same complete elements.
        ReplyParser.Result r = ReplyParser.parse(e.content(), schema, e.finishReason());
        return r.valid() ? new ChatReply(e.content(), r.json(), e.finishReason(), 0, e.reasks(), true) : null;
    }
}
