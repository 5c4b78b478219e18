package io.synalign.pipeline;

import io.synalign.generation.DemonstrationChooser;
import io.synalign.generation.Demonstrations;
import io.synalign.generation.EdaBaselineGenerator;
import io.synalign.generation.GeneratedSample;
import io.synalign.generation.GenerationPipeline;
import io.synalign.generation.LabelRows;
import io.synalign.generation.LlmSampleGenerator;
import io.synalign.generation.PromptTemplates;
import io.synalign.generation.SampleGenerator;
import io.synalign.generation.SampleValidator;
import io.synalign.generation.WordNetSynonyms;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.llm.AdaptiveConcurrencyLimiter;
import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.ConcurrentChatExecutor;
import io.synalign.models.llm.JournaledChatModel;
import io.synalign.models.llm.ReaskingChatModel;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Synthetic data generation, modules 1 and 2 of "Few-shot LLM Synthetic Data with Distribution
 * Matching" (WWW 2025): per label, groups of real demonstrations picked by GP exploration-aware
 * sampling (each group far from those used before), then per group the LLM first summarises the
 * demonstrations' linguistic attributes and then writes new samples that carry them
 * ({@link LlmSampleGenerator}); samples that are empty, out of the length bounds or duplicates
 * are rejected ({@link SampleValidator}). {@link #baseline} is the offline EDA baseline (no LLM,
 * no selection: synonym replacement and word swaps of the real rows), to compare against.
 *
 * <p>Use from Java:
 * <pre>{@code
 * Generation.Result r = new Generation(Generation.Options.perLabel(100))
 *         .withLlm(chatModel, realTexts, realEmbeddings); // ChatModel: any client
 * }</pre>
 *
 * <p>Cost: per label, one GP selection over its real rows per batch and two LLM calls per
 * demonstration group (run concurrently, up to {@link Options#concurrency()} at a time).
 *
 * <p>Cancellation ({@code io.synalign.kernels.Cancellation}): interrupting the calling thread
 * stops {@link #withLlm} before its next batch or stage of requests is sent, cancels the requests
 * in flight and throws a {@link java.util.concurrent.CancellationException} with the interrupt
 * status kept set; a journal keeps the replies received so far.
 */
public final class Generation {

    /**
     * How much to generate and how.
     *
     * @param perLabel rows per label, or null when {@code total} is given
     * @param total rows in all, shared out over the labels by their real counts, or null
     * @param demonstrationsPerPrompt real rows shown in each prompt, {@code >= 1}
     * @param samplesPerSummary samples asked for per attribute summary, {@code >= 1}
     * @param hints dataset-specific guidance appended to the attribute prompt, or null
     * @param minChars shortest sample kept, {@code >= 1}
     * @param maxChars longest sample kept, {@code >= minChars}
     * @param prompts the prompt templates ({@link PromptTemplates#load}{@code (null)}: built-in)
     * @param concurrency LLM calls in flight at most, {@code >= 1}
     * @param seed seeds selection, sampling parameters and the baseline
     * @param backend the kernel backend of the GP selection ({@code auto}, {@code nd4j}, ...)
     * @param demos how demonstrations are picked: GP exploration (SynAlign) or random (ablation)
     * @param attributes whether stage 1 summarises the demonstrations' latent attributes (off:
     *     the ablation of latent attribute reasoning)
     */
    public record Options(Integer perLabel, Integer total, int demonstrationsPerPrompt,
            int samplesPerSummary, String hints, int minChars, int maxChars,
            PromptTemplates prompts, int concurrency, long seed, String backend,
            Demonstrations demos, boolean attributes) {

        /** @throws IllegalArgumentException naming the first bad value */
        public Options {
            if ((perLabel == null) == (total == null)) {
                throw new IllegalArgumentException("give rows per label or rows in all (one of"
                        + " them), got " + perLabel + " and " + total);
            }
            if (perLabel != null && perLabel < 1 || total != null && total < 1) {
                throw new IllegalArgumentException("rows to generate must be at least 1, got "
                        + (perLabel != null ? perLabel : total));
            }
            if (demonstrationsPerPrompt < 1 || samplesPerSummary < 1 || concurrency < 1) {
                throw new IllegalArgumentException("demonstrations per prompt, samples per"
                        + " summary and concurrency must be at least 1, got "
                        + demonstrationsPerPrompt + ", " + samplesPerSummary + ", " + concurrency);
            }
            if (minChars < 1) {
                throw new IllegalArgumentException("minimum sample length must be >= 1"
                        + " character: " + minChars);
            }
            if (maxChars < minChars) {
                throw new IllegalArgumentException("maximum sample length " + maxChars
                        + " is below the minimum " + minChars);
            }
            if (prompts == null || backend == null || backend.isBlank() || demos == null) {
                throw new IllegalArgumentException("prompts, backend and demonstrations must be given");
            }
        }

        /** {@code n} rows per label, the command line's defaults otherwise. */
        public static Options perLabel(int n) {
            return new Options(n, null, 3, 10, null, SampleValidator.DEFAULT_MIN_CHARS,
                    SampleValidator.DEFAULT_MAX_CHARS, PromptTemplates.load(null), 8, 0, "auto",
                    Demonstrations.GP, true);
        }

        /** These options with another seed. */
        public Options withSeed(long s) {
            return new Options(perLabel, total, demonstrationsPerPrompt, samplesPerSummary, hints,
                    minChars, maxChars, prompts, concurrency, s, backend, demos, attributes);
        }

        /** These options with the paper's ablations chosen. */
        public Options withAblations(Demonstrations d, boolean withAttributes) {
            return new Options(perLabel, total, demonstrationsPerPrompt, samplesPerSummary, hints,
                    minChars, maxChars, prompts, concurrency, seed, backend, d, withAttributes);
        }
    }

    /**
     * What a generation produced.
     *
     * @param samples the accepted samples, label by label, with their provenance
     * @param quotas rows asked for per label (display label), in label order
     * @param backend the generator's backend ({@code offline} for the baseline)
     * @param model the LLM's name, or the baseline's
     * @param baseline whether this is the offline EDA baseline, not LLM generation
     * @param seconds wall time
     * @param validator what was rejected, and why
     */
    public record Result(List<GeneratedSample> samples, Map<String, Integer> quotas,
            String backend, String model, boolean baseline, double seconds,
            SampleValidator validator) {
    }

    private final Options options;

    public Generation(Options options) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        this.options = options;
    }

    /**
     * Generates with {@code chat}, which is asked again (up to
     * {@link ReaskingChatModel#DEFAULT_MAX_REASKS} times) when a reply does not validate.
     *
     * @param real the real texts and labels (the few-shot set)
     * @param realEmbeddings one row per real text, in order (the GP selection reads them)
     * @throws IllegalArgumentException when the real set is empty or the rows do not match
     */
    public Result withLlm(ChatModel chat, TextAlignment.Texts real, FloatMatrix realEmbeddings) {
        if (real.texts().isEmpty()) {
            throw new IllegalArgumentException("no real texts to generate from");
        }
        if (realEmbeddings.rows() != real.texts().size()) {
            throw new IllegalArgumentException(realEmbeddings.rows() + " embedding rows for "
                    + real.texts().size() + " real texts");
        }
        Map<String, Integer> rowOf = new HashMap<>();
        for (int i = 0; i < real.texts().size(); i++) {
            rowOf.putIfAbsent(real.texts().get(i), i);
        }
        return withLlm(chat, null, new AdaptiveConcurrencyLimiter(options.concurrency()),
                byLabel(real), real.texts(),
                texts -> realEmbeddings.selectRows(texts.stream().mapToInt(rowOf::get).toArray()));
    }

    /**
     * Generates with {@code chat} over rows already grouped by label, every ask and re-ask
     * journaled in {@code journal} when one is given (a re-run then sends only the calls not yet
     * answered), and the concurrency {@code limiter} shared with the client (which lowers it on
     * rate limits). {@code chat} asks once; re-asks are added here.
     *
     * @param labels the real rows grouped by label, with their input lines (provenance)
     * @param realTexts every real text (a sample equal to one is rejected)
     * @param embeddings the embedding rows of the given real texts, in their order (the GP
     *     selection reads them)
     */
    public Result withLlm(ChatModel chat, CallJournal journal, AdaptiveConcurrencyLimiter limiter,
            List<LabelRows> labels, List<String> realTexts,
            Function<List<String>, FloatMatrix> embeddings) {
        ChatModel m = asking(chat, journal);
        try (KernelBackend kernels = KernelBackends.create(options.backend())) {
            SampleGenerator g = generator(m, limiter, kernels, embeddings,
                    DemonstrationChooser.of(options.demos(), kernels, options.demonstrationsPerPrompt()));
            return run(g, labels, realTexts, false);
        }
    }

    /**
     * {@code chat} journaled in {@code journal} (if given) and asked again, up to
     * {@link ReaskingChatModel#DEFAULT_MAX_REASKS} times, when a reply does not validate.
     */
    static ChatModel asking(ChatModel chat, CallJournal journal) {
        return asking(chat, journal, m -> m);
    }

    /**
     * {@link #asking(ChatModel, CallJournal)} with {@code meter} around the journaled model,
     * below the re-asks, so that it sees every ask and re-ask, sent or replayed.
     */
    static ChatModel asking(ChatModel chat, CallJournal journal,
            java.util.function.UnaryOperator<ChatModel> meter) {
        ChatModel base = journal == null ? chat : new JournaledChatModel(chat, journal);
        if (base instanceof ReaskingChatModel) {
            return meter.apply(base); // re-asks inside it are not seen; its asks are
        }
        return new ReaskingChatModel(meter.apply(base), ReaskingChatModel.DEFAULT_MAX_REASKS);
    }

    /** The LLM generator of these options with the given demonstration chooser. */
    SampleGenerator generator(ChatModel asking, AdaptiveConcurrencyLimiter limiter,
            KernelBackend kernels, Function<List<String>, FloatMatrix> embeddings,
            DemonstrationChooser chooser) {
        return new LlmSampleGenerator(asking, new ConcurrentChatExecutor(asking, limiter), kernels,
                embeddings::apply, options.prompts(), options.demonstrationsPerPrompt(),
                options.samplesPerSummary(), options.hints(), chooser, options.attributes());
    }

    /** The options of this generation. */
    public Options options() {
        return options;
    }

    /** The offline EDA baseline (WordNet synonyms, word swaps): no LLM, no selection. */
    public Result baseline(TextAlignment.Texts real) {
        return run(new EdaBaselineGenerator(WordNetSynonyms.load()), real, true);
    }

    /** The offline EDA baseline over rows already grouped by label (see {@link #withLlm}). */
    public Result baseline(List<LabelRows> labels, List<String> realTexts) {
        return run(new EdaBaselineGenerator(WordNetSynonyms.load()), labels, realTexts, true);
    }

    /** Runs {@code generator} over the labels of {@code real} (a seam for other generators). */
    public Result run(SampleGenerator generator, TextAlignment.Texts real, boolean baseline) {
        return run(generator, byLabel(real), real.texts(), baseline);
    }

    /** The rows of {@code real} grouped by label; text k is "line" k + 1 (its provenance). */
    private static List<LabelRows> byLabel(TextAlignment.Texts real) {
        List<Long> lines = new java.util.ArrayList<>();
        for (int i = 0; i < real.texts().size(); i++) {
            lines.add(i + 1L);
        }
        return GenerationPipeline.byLabel(real.texts(), real.labels(), lines);
    }

    /** Runs {@code generator} over {@code labels} (rows grouped by label, with their lines). */
    public Result run(SampleGenerator generator, List<LabelRows> labels, List<String> realTexts,
            boolean baseline) {
        int[] quotas = GenerationPipeline.quotas(labels, options.perLabel(), options.total());
        SampleValidator validator = new SampleValidator(realTexts, options.minChars(),
                options.maxChars());
        long start = System.nanoTime();
        List<GeneratedSample> samples = GenerationPipeline.run(labels, quotas, generator,
                validator, options.seed());
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            counts.put(labels.get(i).displayLabel(), quotas[i]);
        }
        return new Result(samples, counts, generator.backend(), generator.model(), baseline,
                seconds, validator);
    }
}
