package io.synalign.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.engine.Bandwidth;
import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.ChatModelException;
import io.synalign.models.llm.ChatOutcome;
import io.synalign.models.llm.ChatRequest;
import io.synalign.models.llm.ConcurrentChatExecutor;
import io.synalign.models.llm.SamplingParams;
import io.synalign.models.llm.Schemas;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SynAlign's LLM generator ("Few-shot LLM Synthetic Data with Distribution Matching", WWW 2025):
 * exploration-aware demonstration selection plus latent attribute reasoning.
 *
 * <p>Per label, in batches until the quota is met:
 * <ol>
 *   <li>{@code min(N, ceil(remaining / K))} demonstration groups of size G over the label's
 *       embeddings, chosen by the {@link DemonstrationChooser}: by default GP exploration-aware
 *       selection ({@link ExplorationSelector}, {@link GpDemonstrations}), which starts at the
 *       row nearest the mean and which later batches continue, told the groups of the batches
 *       before, so that they show groups not sent yet (the selector's own rounds restart
 *       coverage when every row is covered).</li>
 *   <li>Stage 1, one request per group ({@link Schemas#ATTRIBUTES}): summarise the group's
 *       latent attributes (skipped with attribute reasoning off: stage 2 then uses
 *       {@link PromptTemplates#SAMPLES_DIRECT}).</li>
 *   <li>Stage 2, one request per summarised group ({@link Schemas#SAMPLES}): write K new
 *       examples of the label carrying those attributes.</li>
 *   <li>Samples are validated ({@link SampleValidator}) in group then sample order and taken
 *       until the quota is met.</li>
 * </ol>
 * Requests of a stage run concurrently ({@link ConcurrentChatExecutor#runAll}); a request whose
 * retries are exhausted only loses its group, a non-retryable HTTP error stops the run. Every
 * request carries a sampling seed derived from (run seed, label, batch, group) and an attempt
 * index counting earlier asks of the same prompt, so a re-run issues byte-identical requests
 * (which a {@code JournaledChatModel} answers from its journal). Cost per label:
 * O(batches) selector calls and about {@code 2 * quota / K} LLM calls.
 *
 * <p>Interrupting the calling thread stops generation before its next batch or stage is sent
 * (the requests in flight are cancelled by the executor) with a
 * {@link java.util.concurrent.CancellationException}, the interrupt status kept set, as
 * {@link Cancellation} describes; the samples of the label so far are not returned.
 */
public final class LlmSampleGenerator implements SampleGenerator {

    private static final Logger LOG = LoggerFactory.getLogger(LlmSampleGenerator.class);
    /** Batches in a row that add no sample before giving up. */
    static final int MAX_BARREN_BATCHES = 5;

    private final ChatModel model;
    private final ConcurrentChatExecutor executor;
    private final KernelBackend backend;
    private final Function<List<String>, FloatMatrix> embedder;
    private final PromptTemplates prompts;
    private final int groupSize;
    private final int samplesPerSummary;
    private final String hints;
    private final DemonstrationChooser chooser;
    private final boolean attributeReasoning;
    private final CutOffReplies cutOff;

    /**
     * SynAlign's generator: GP demonstrations, attribute reasoning.
     *
     * @param embedder  embeds a label's real texts (one row each; the CLI passes a cached encoder)
     * @param hints     optional dataset-specific guidance appended to the stage-1 prompt, or null
     */
    public LlmSampleGenerator(ChatModel model, ConcurrentChatExecutor executor, KernelBackend backend,
            Function<List<String>, FloatMatrix> embedder, PromptTemplates prompts, int groupSize,
            int samplesPerSummary, String hints) {
        this(model, executor, backend, embedder, prompts, groupSize, samplesPerSummary, hints,
                new GpDemonstrations(backend, groupSize), true);
    }

    /**
     * @param chooser picks each batch's demonstration groups
     * @param attributeReasoning false: no stage 1; stage 2 writes from the demonstrations alone
     *     ({@link PromptTemplates#SAMPLES_DIRECT}, the ablation of latent attribute reasoning)
     */
    public LlmSampleGenerator(ChatModel model, ConcurrentChatExecutor executor, KernelBackend backend,
            Function<List<String>, FloatMatrix> embedder, PromptTemplates prompts, int groupSize,
            int samplesPerSummary, String hints, DemonstrationChooser chooser,
            boolean attributeReasoning) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("demonstrations per prompt must be at least 1, got " + groupSize);
        }
        if (samplesPerSummary < 1) {
            throw new IllegalArgumentException("samples per attribute summary must be at least 1, got " + samplesPerSummary);
        }
        this.model = model;
        this.executor = executor;
        this.backend = backend;
        this.embedder = embedder;
        this.prompts = prompts;
        this.groupSize = groupSize;
        this.samplesPerSummary = samplesPerSummary;
        this.hints = hints;
        this.chooser = chooser;
        this.attributeReasoning = attributeReasoning;
        this.cutOff = new CutOffReplies("--samples-per-summary", samplesPerSummary, model.backend());
    }

    @Override
    public String backend() {
        return model.backend();
    }

    @Override
    public String model() {
        return model.model();
    }

    /**
     * The selection settings of a label with {@code n} rows, one selection for all its batches
     * ({@link GpDemonstrations}); public so that tests can repeat the selection independently.
     */
    public static SelectionConfig selectionConfig(long labelSeed, int n, int groupSize) {
        return new SelectionConfig(Bandwidth.auto(), SelectionConfig.DEFAULT_NOISE, -1,
                Math.min(groupSize, n), labelSeed);
    }

    @Override
    public List<GeneratedSample> generate(LabelRows rows, int count, SampleValidator validator, long seed) {
        FloatMatrix x = embedder.apply(rows.texts());
        int n = rows.size();
        List<GeneratedSample> out = new ArrayList<>(count);
        Map<String, Integer> asked = new HashMap<>();
        List<int[]> chosenBefore = new ArrayList<>();
        BarrenStreak barren = new BarrenStreak();
        for (int batch = 0; out.size() < count; batch++) {
            // Before the batch's selection and requests (the executor checks again before each
            // stage): a cancelled caller sends nothing more (Cancellation's contract).
            Cancellation.stopIfInterrupted("LLM generation (batch)");
            int remaining = count - out.size();
            int groups = Math.min(n, (remaining + samplesPerSummary - 1) / samplesPerSummary);
            List<int[]> chosen = chooser.choose(rows, x, groups, batch, seed,
                    List.copyOf(chosenBefore));
            chosenBefore.addAll(chosen);
            int before = out.size();
            Rejections atBatchStart = Rejections.of(validator);
            BatchFailures failures = new BatchFailures();
            runBatch(rows, chosen, batch, seed, asked, validator, out, count, failures);
            LOG.info("label {} batch {}: {} groups, {} samples so far of {}", rows.displayLabel(), batch,
                    groups, out.size(), count);
            barren.after(out.size() > before, failures, atBatchStart);
            if (failures.unanswered()) {
                // Every call of the batch (or every samples call) failed without any reply:
                // timeouts or a dead server, after the retry policy's attempts. Four more
                // batches of it held a run about 40 request timeouts a label.
                String calls = failures.all.replies == 0 ? failures.all.failed + " calls"
                        : failures.samplesCalls.failed + " samples calls";
                throw new ChatModelException("label " + rows.displayLabel() + ": no reply from"
                        + " the LLM to any of the " + calls + " of batch " + batch + " ("
                        + out.size() + " of " + count + " samples); last failure: "
                        + failures.last);
            }
            if (barren.batches >= MAX_BARREN_BATCHES) {
                throw barren.stop(rows.displayLabel(), out.size(), count, validator, failures.last);
            }
        }
        return out;
    }

    /**
     * The batches in a row that added no sample to a label, and what their calls came to: the
     * stop after {@value #MAX_BARREN_BATCHES} of them says why no sample was added across the
     * whole streak, not only in its last batch.
     */
    private static final class BarrenStreak {
        int batches;
        /** Samples the replies of the streak's batches held. */
        long samples;
        /** Samples calls made in the streak, and of them those answered. */
        int samplesCalls;
        int samplesReplies;
        /** The validator's counts when the streak began. */
        Rejections start;

        /** Counts a batch that {@code added} samples or not (which ends or extends the streak). */
        void after(boolean added, BatchFailures batch, Rejections atBatchStart) {
            if (added) {
                batches = 0;
                samples = 0;
                samplesCalls = 0;
                samplesReplies = 0;
                start = null;
                return;
            }
            if (batches++ == 0) {
                start = atBatchStart;
            }
            samples += batch.samples;
            samplesCalls += batch.samplesCalls.replies + batch.samplesCalls.failed;
            samplesReplies += batch.samplesCalls.replies;
        }

        /** Why the label stops, from the streak and the last batch's last failure. */
        ChatModelException stop(String label, int have, int count, SampleValidator validator,
                String lastFailure) {
            if (samplesCalls == 0 && lastFailure != null) {
                // Every group's stage 1 failed in every barren batch, so no samples call was
                // made: a reasoning model that spends its tokens thinking fails here.
                return new ChatModelException("label " + label + ": every attribute summary"
                        + " failed in " + batches + " batches in a row, so no samples were asked"
                        + " for (" + have + " of " + count + " samples); last failure: "
                        + lastFailure);
            }
            if (samplesReplies == 0 && lastFailure != null) {
                return new ChatModelException("label " + label + ": no usable sample reply from"
                        + " the LLM in " + batches + " batches in a row (" + have + " of " + count
                        + " samples); last failure: " + lastFailure);
            }
            return new ChatModelException("label " + label + ": " + batches
                    + " batches in a row produced no new valid sample (" + have + " of " + count
                    + "); " + (samples == 0
                            ? "the LLM's replies held no samples (empty \"samples\" lists)"
                            : "the LLM's samples were all rejected (" + samples
                                    + " samples returned, none kept: "
                                    + Rejections.of(validator).since(start) + ")")
                    + (lastFailure == null ? "" : "; last failure: " + lastFailure));
        }
    }

    /**
     * What the calls of one batch came to, all of them and the samples calls alone: replies
     * received, failed calls and how many of those got replies that stayed invalid; the last
     * failure.
     */
    private static final class BatchFailures {
        final Calls all = new Calls();
        final Calls samplesCalls = new Calls();
        long samples;
        String last;

        /** Replies, failures and invalid replies among the failures of some calls. */
        static final class Calls {
            int replies;
            int failed;
            int invalid;

            void add(ChatOutcome o) {
                if (o.ok()) {
                    replies++;
                } else {
                    failed++;
                    if (o.error() instanceof io.synalign.models.llm.InvalidReplyException) {
                        invalid++;
                    }
                }
            }

            /** Some failed, none answered, and no failure was an invalid reply. */
            boolean unanswered() {
                return replies == 0 && failed > 0 && invalid == 0;
            }
        }

        /**
         * Whether the batch got no reply where one was needed: no call answered at all, or no
         * samples call did, and no failure was an invalid reply (which a later batch's sampling
         * may mend).
         */
        boolean unanswered() {
            return all.unanswered() || samplesCalls.unanswered();
        }

        /** A stage-1 outcome; its failure is named as the attribute summary's. */
        void record(ChatOutcome o) {
            record(o, "attribute summary: ");
        }

        private void record(ChatOutcome o, String stage) {
            all.add(o);
            if (!o.ok()) {
                last = stage + o.error().getMessage();
            }
        }

        void recordSamples(ChatOutcome o) {
            record(o, "samples: ");
            samplesCalls.add(o);
        }
    }

    private void runBatch(LabelRows rows, List<int[]> groups, int batch, long seed, Map<String, Integer> asked,
            SampleValidator validator, List<GeneratedSample> out, int count, BatchFailures failures) {
        List<ChatRequest> stage1 = new ArrayList<>();
        List<String> demos = new ArrayList<>();
        String guidance = guidance(rows);
        for (int g = 0; g < groups.size(); g++) {
            String demo = demonstrations(rows, groups.get(g));
            demos.add(demo);
            Map<String, String> v = promptValues(rows, "demonstrations", demo,
                    "n", Integer.toString(groups.get(g).length), "hints", guidance);
            stage1.add(AttributeReasoning.request(prompts.renderAttributes(v), new SamplingParams(0.2, null, null,
                    Seeds.mix(seed, batch, g, 1)), Schemas.ATTRIBUTES, asked));
        }
        List<ChatRequest> stage2 = new ArrayList<>();
        List<Integer> stage2Group = new ArrayList<>();
        List<ObjectNode> attributes = new ArrayList<>();
        if (!attributeReasoning) {
            for (int g = 0; g < groups.size(); g++) {
                Map<String, String> v = promptValues(rows, "demonstrations", demos.get(g),
                        "count", Integer.toString(samplesPerSummary), "n", Integer.toString(groups.get(g).length),
                        "hints", guidance);
                stage2.add(AttributeReasoning.request(prompts.renderDirect(v), new SamplingParams(1.0, null, null,
                        Seeds.mix(seed, batch, g, 2)), Schemas.SAMPLES, asked));
                stage2Group.add(g);
                attributes.add(null);
            }
            stage1.clear();
        }
        List<ChatOutcome> summaries = executor.runAll(stage1);
        for (int g = 0; g < summaries.size(); g++) {
            ChatOutcome o = summaries.get(g);
            failures.record(o);
            if (!o.ok()) {
                LOG.warn("label {} batch {} group {}: attribute summary failed: {}", rows.displayLabel(),
                        batch, g, o.error().getMessage());
                continue;
            }
            ObjectNode attrs = AttributeReasoning.attributes(o.reply().json());
            Map<String, String> v = promptValues(rows, "demonstrations", demos.get(g),
                    "attributes", AttributeReasoning.describe(attrs), "count", Integer.toString(samplesPerSummary),
                    "n", Integer.toString(groups.get(g).length), "hints", "");
            stage2.add(AttributeReasoning.request(prompts.renderSamples(v), new SamplingParams(1.0, null, null,
                    Seeds.mix(seed, batch, g, 2)), Schemas.SAMPLES, asked));
            stage2Group.add(g);
            attributes.add(attrs);
        }
        List<ChatOutcome> replies = executor.runAll(stage2);
        for (int i = 0; i < replies.size() && out.size() < count; i++) {
            ChatOutcome o = replies.get(i);
            int g = stage2Group.get(i);
            failures.recordSamples(o);
            cutOff.note(o, validator);
            if (!o.ok()) {
                LOG.warn("label {} batch {} group {}: samples failed: {}", rows.displayLabel(), batch, g,
                        o.error().getMessage());
                continue;
            }
            // At most K accepted rows per reply, as asked: a reply with more would fill the quota
            // from one demonstration group and leave the other groups' rows unused.
            int taken = 0;
            failures.samples += o.reply().json().path("samples").size();
            for (JsonNode s : o.reply().json().path("samples")) {
                if (out.size() >= count || taken >= samplesPerSummary) {
                    break;
                }
                String text = validator.accept(s.path("text").asText(""));
                if (text != null) {
                    out.add(new GeneratedSample(text, rows.label(),
                            provenance(rows, groups.get(g), batch, g, attributes.get(i))));
                    taken++;
                }
            }
        }
    }


    /** The stage-1 hints: the user's, then what the chooser says the synthetic data lacks. */
    /**
     * The values of a prompt: the label only where the rows have one (unlabelled rows drop the
     * templates' {@code {{#label}}} sections rather than read "with the label (unlabelled)").
     */
    static Map<String, String> promptValues(LabelRows rows, String... keysAndValues) {
        Map<String, String> v = new HashMap<>();
        if (rows.label() != null) {
            v.put("label", rows.label());
        }
        for (int i = 0; i < keysAndValues.length; i += 2) {
            v.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return v;
    }

    private String guidance(LabelRows rows) {
        StringBuilder sb = new StringBuilder();
        if (hints != null && !hints.isBlank()) {
            sb.append('\n').append(hints.strip());
        }
        String gap = chooser.gapHint(rows);
        if (gap != null && !gap.isBlank()) {
            sb.append('\n').append(gap.strip());
        }
        return sb.toString();
    }

    private ObjectNode provenance(LabelRows rows, int[] group, int batch, int g, ObjectNode attrs) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("backend", backend());
        p.put("model", model());
        var lines = p.putArray("demo_lines");
        for (int r : group) {
            lines.add(rows.lines().get(r));
        }
        p.put("summary_id", "b" + batch + "-g" + g);
        if (!(chooser instanceof GpDemonstrations)) {
            p.put("demos", chooser.name()); // GP, the default, is not spelled out
        }
        if (attrs != null) {
            p.set("attributes", attrs);
        }
        return p;
    }

    static String demonstrations(LabelRows rows, int[] group) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < group.length; k++) {
            if (k > 0) {
                sb.append('\n');
            }
            sb.append("Example ").append(k + 1).append(": ").append(rows.texts().get(group[k]));
        }
        return sb.toString();
    }


}
