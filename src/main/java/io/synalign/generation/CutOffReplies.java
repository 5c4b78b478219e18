package io.synalign.generation;

import io.synalign.models.llm.ChatOutcome;
import io.synalign.models.llm.InvalidReplyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples replies cut off at the server's token limit ({@code finish_reason length}), told to
 * the user once a run (the run-wide {@link SampleValidator} keeps whether it was told: each
 * round of {@code run --rounds} has a generator of its own): a reply that asks for K samples at
 * a time can outgrow the server's default limit on generated tokens (SynAlign sends no
 * {@code max_tokens}). The chat model keeps the
 * complete samples of such a reply and asks afresh when none was complete; either way the fix
 * is fewer samples per request or a larger server-side limit, which only the user can choose.
 * The count of replies whose complete samples were kept goes into the run's counts
 * ({@link SampleValidator#cutOffReplies}). Called, like the validator, from the thread that
 * reads the outcomes.
 */
final class CutOffReplies {

    private static final Logger LOG = LoggerFactory.getLogger(CutOffReplies.class);

    private final String option;
    private final int perRequest;

    /**
     * @param option     the option that sets how many samples one request asks for
     * @param perRequest its value in this run
     */
    CutOffReplies(String option, int perRequest) {
        this.option = option;
        this.perRequest = perRequest;
    }

    /** Notes a samples outcome: counts a kept cut-off reply, and tells the fix the first time. */
    void note(ChatOutcome o, SampleValidator validator) {
        boolean kept = o.ok() && "length".equals(o.reply().finishReason());
        boolean failed = !o.ok() && o.error() instanceof InvalidReplyException e && e.cutOff();
        if (kept) {
            validator.countCutOffReply();
        }
        if ((kept || failed) && validator.firstCutOff()) {
            LOG.warn("A samples reply was cut off at the server's token limit (finish_reason length)"
                    + (kept ? "; its complete samples are kept" : "") + ". To avoid it, ask for fewer"
                    + " samples per request ({} {} now) or raise the server's limit on generated"
                    + " tokens (llama.cpp: --n-predict; vLLM: --max-model-len / the model's"
                    + " generation config; Ollama: num_predict)", option, perRequest);
        }
    }
}
