package io.synalign.generation;

import io.synalign.models.llm.ChatOutcome;
import io.synalign.models.llm.GgufChatModel;
import io.synalign.models.llm.InvalidReplyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples replies cut off at the token limit ({@code finish_reason length}), told to the user
 * once a run (the run-wide {@link SampleValidator} keeps whether it was told: each round of
 * {@code run --rounds} has a generator of its own): a reply that asks for K samples at a time
 * can outgrow a server's default limit on generated tokens (SynAlign sends no
 * {@code max_tokens}), or an in-process GGUF model's budget, the context left after the prompt
 * ({@code --gguf-context}, by default its training context capped at
 * {@value GgufChatModel#DEFAULT_CONTEXT} tokens). The chat model keeps the complete samples of
 * such a reply and asks afresh when none was complete; either way the fix is fewer samples per
 * request or more room for the reply (a larger server-side limit; for a GGUF model a larger
 * context, shorter samples or a shorter prompt),
 * which only the user can choose, so the advice names the options of the run's backend (a GGUF
 * run rerun with a larger context and the same journal asks again the replies journaled as cut
 * off at the smaller budget: {@code JournaledChatModel}).
 * The count of replies whose complete samples were kept goes into the run's counts
 * ({@link SampleValidator#cutOffReplies}). Called, like the validator, from the thread that
 * reads the outcomes.
 */
public final class CutOffReplies {

    private static final Logger LOG = LoggerFactory.getLogger(CutOffReplies.class);

    private final String option;
    private final int perRequest;
    private final String backend;

    /**
     * @param option     the option that sets how many samples one request asks for
     * @param perRequest its value in this run
     * @param backend    the chat model's backend ({@link GgufChatModel#BACKEND} or a server's)
     */
    CutOffReplies(String option, int perRequest, String backend) {
        this.option = option;
        this.perRequest = perRequest;
        this.backend = backend;
    }

    /** The limit that cuts replies off on {@code backend}, as the warning and the summary line name it. */
    public static String limit(String backend) {
        return GgufChatModel.BACKEND.equals(backend) ? "the GGUF model's token budget" : "the server's token limit";
    }

    /** Notes a samples outcome: counts a kept cut-off reply, and tells the fix the first time. */
    void note(ChatOutcome o, SampleValidator validator) {
        boolean kept = o.ok() && "length".equals(o.reply().finishReason());
        boolean failed = !o.ok() && o.error() instanceof InvalidReplyException e && e.cutOff();
        if (kept) {
            validator.countCutOffReply();
        }
        if ((kept || failed) && validator.firstCutOff()) {
            LOG.warn("A samples reply was cut off at {} (finish_reason length){}. To avoid it, ask for fewer"
                    + " samples per request ({} {} now) {}", limit(backend),
                    kept ? "; its complete samples are kept" : "", option, perRequest,
                    GgufChatModel.BACKEND.equals(backend)
                    ? "or shorter ones (--max-chars), give fewer demonstrations per prompt (--demos-per-prompt),"
                            + " or give the model more context (--gguf-context TOKENS, up to its training context):"
                            + " a GGUF reply gets the context left after the prompt, by default the model's training"
                            + " context capped at " + GgufChatModel.DEFAULT_CONTEXT + " tokens"
                    : "or raise the server's limit on generated tokens (llama.cpp: --n-predict; vLLM:"
                            + " --max-model-len / the model's generation config; Ollama: num_predict)");
        }
    }
}
