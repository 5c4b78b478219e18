package io.synalign.pipeline;

import io.synalign.generation.PromptTemplates;
import io.synalign.generation.QueryBaseline;
import io.synalign.generation.QueryGenerator;
import io.synalign.generation.SampleValidator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.llm.AdaptiveConcurrencyLimiter;
import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.ConcurrentChatExecutor;
import io.synalign.models.llm.JournaledChatModel;
import io.synalign.models.llm.ReaskingChatModel;
import java.util.List;

/**
 * Synthetic queries for a corpus, end to end: the target passages chosen to cover the corpus,
 * then {@link QueryGenerator} (an LLM, behind the call journal and re-asks) or
 * {@link QueryBaseline} (offline). The engine work (GP selection) runs on the named kernels
 * backend.
 */
public final class QueryGeneration {

    /**
     * @param passages target passages (the budget), at least 1
     * @param perPassage queries per target passage, at least 1
     */
    public record Options(int passages, int perPassage, int demonstrationsPerPrompt, String hints,
            int minChars, int maxChars, PromptTemplates prompts, int concurrency, long seed, String backend) {

        public Options {
            if (passages < 1 || perPassage < 1 || demonstrationsPerPrompt < 1 || concurrency < 1) {
                throw new IllegalArgumentException("passages, queries per passage, demonstrations per"
                        + " prompt and concurrency must be at least 1, got " + passages + ", " + perPassage
                        + ", " + demonstrationsPerPrompt + ", " + concurrency);
            }
            if (minChars < 1 || maxChars < minChars) {
                throw new IllegalArgumentException("query length bounds " + minChars + ".." + maxChars
                        + " are not a range of at least 1 character");
            }
        }
    }

    /** The queries, the passages they were written for, and how. */
    public record Result(List<QueryGenerator.Query> queries, int[] targets, String backend, String model,
            boolean baseline, double seconds, SampleValidator validator) {
    }

    private final Options options;

    public QueryGeneration(Options options) {
        this.options = options;
    }

    /** The corpus rows to write for: {@link QueryGenerator#coveringPassages}. */
    public int[] targets(FloatMatrix passageVectors) {
        try (KernelBackend kernels = KernelBackends.create(options.backend())) {
            return QueryGenerator.coveringPassages(kernels, passageVectors, options.passages(), options.seed());
        }
    }

    /** The LLM path (journal may be null). */
    public Result withLlm(ChatModel chat, CallJournal journal, AdaptiveConcurrencyLimiter limiter,
            QueryGenerator.RealQueries real, FloatMatrix passageVectors, List<String> passageTexts) {
        ChatModel base = journal == null ? chat : new JournaledChatModel(chat, journal);
        ChatModel m = base instanceof ReaskingChatModel ? base
                : new ReaskingChatModel(base, ReaskingChatModel.DEFAULT_MAX_REASKS);
        long start = System.nanoTime();
        SampleValidator validator = new SampleValidator(real.texts(), options.minChars(), options.maxChars());
        try (KernelBackend kernels = KernelBackends.create(options.backend())) {
            int[] targets = QueryGenerator.coveringPassages(kernels, passageVectors, options.passages(),
                    options.seed());
            List<QueryGenerator.Query> queries = new QueryGenerator(m, new ConcurrentChatExecutor(m, limiter),
                    kernels, options.prompts(), options.demonstrationsPerPrompt(), options.hints())
                    .generate(real, passageTexts, targets, options.perPassage(), validator, options.seed());
            return new Result(queries, targets, chat.backend(), chat.model(), false,
                    (System.nanoTime() - start) / 1e9, validator);
        }
    }

    /** The offline baseline over the same target passages. */
    public Result baseline(List<String> realTexts, FloatMatrix passageVectors, List<String> titles,
            List<String> texts) {
        long start = System.nanoTime();
        SampleValidator validator = new SampleValidator(realTexts, options.minChars(), options.maxChars());
        int[] targets = targets(passageVectors);
        List<QueryGenerator.Query> queries = QueryBaseline.generate(titles, texts, targets, options.perPassage(),
                validator, options.seed());
        return new Result(queries, targets, QueryBaseline.BACKEND, "-", true,
                (System.nanoTime() - start) / 1e9, validator);
    }
}
