package io.synalign.models.llm;

/**
 * A chat LLM: one request in, one validated reply out. Implementations are thread-safe.
 */
public interface ChatModel {

    /**
     * Completes {@code request}. When the request has a {@link ResponseSchema}, the reply's
     * {@link ChatReply#json()} satisfies it.
     *
     * @throws ChatModelException when the call cannot be completed (non-retryable HTTP status,
     *                            retry budget spent, replies that never validate)
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted
     *     (the library's {@link io.synalign.kernels.Cancellation} contract: the interrupt status
     *     is kept set; a request in flight is abandoned, a GGUF decoding stops within a token)
     */
    ChatReply complete(ChatRequest request);

    /** The backend kind, e.g. {@code openai-compatible}; part of the journal key. */
    String backend();

    /** The model name sent to the server (and recorded in provenance). */
    String model();

    /**
     * What the journal key names as the model: {@link #model()}, unless that does not pin the
     * weights (a GGUF file's name does not: two files may share it; nor does the name sent to a
     * llama.cpp server, which serves its one model whatever the name: {@link ServedModel}), in
     * which case it adds or puts in its place what does. Decorators pass their delegate's on.
     */
    default String modelIdentity() {
        return model();
    }

    /**
     * {@link #modelIdentity} with how it was learnt ({@link ModelIdentity.Source}): whether a
     * server just stated it or it is a fallback because the server did not say, which a
     * {@link CallJournal} replaces by the identity it recorded ({@link CallJournal#identityFor}).
     * Models that ask no server ({@link ModelIdentity.Source#FIXED}) need not override this.
     * Decorators pass their delegate's on.
     */
    default ModelIdentity identify() {
        return ModelIdentity.fixed(modelIdentity());
    }

    /**
     * The most tokens this model would let a reply to {@code request} run to now, when it knows:
     * an in-process model sets that budget itself (a {@link GgufChatModel}: the context left
     * after the prompt), so a {@link JournaledChatModel} can tell that a reply journaled as cut
     * off at a smaller budget (a run with a smaller context) would now get more room, and asks
     * it again. Empty when the model does not know (a server applies its own limit, which it does
     * not state; a closed model), which keeps such replies replayed as they are. Decorators pass
     * their delegate's on.
     */
    default java.util.OptionalInt replyBudget(ChatRequest request) {
        return java.util.OptionalInt.empty();
    }

    /**
     * The budget this model's default settings give a reply to {@code request}, when it knows:
     * for a {@link GgufChatModel}, the context of its {@code Options.defaults()}, at which every
     * SynAlign before budgets were journaled ran it. A {@link JournalEntry} such versions wrote
     * for a reply cut off at its budget records none; a {@link JournaledChatModel} takes this
     * as that budget and asks the request again where {@link #replyBudget} is now larger. Empty
     * when the model does not know (a server), which keeps such replies replayed as they are.
     * Decorators pass their delegate's on.
     */
    default java.util.OptionalInt defaultReplyBudget(ChatRequest request) {
        return java.util.OptionalInt.empty();
    }
}
