package io.synalign.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.engine.Bandwidth;
import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.ChatOutcome;
import io.synalign.models.llm.ChatRequest;
import io.synalign.models.llm.ConcurrentChatExecutor;
import io.synalign.models.llm.SamplingParams;
import io.synalign.models.llm.Schemas;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SynAlign's generation for retrieval: synthetic queries for the passages of a corpus, written
 * like the real queries.
 * <ol>
 *   <li>The passages to write for cover the corpus: GP exploration-aware selection
 *       ({@link ExplorationSelector}, groups of one) of {@code passages} rows of the passage
 *       embeddings ({@link #coveringPassages}).</li>
 *   <li>One demonstration group per target passage: GP exploration over the real queries'
 *       embeddings, groups of G (query with the passage it targets).</li>
 *   <li>Stage 1, one request per group ({@link Schemas#ATTRIBUTES}): the latent attributes of
 *       the real queries (length, form, vocabulary, relation to the passage, intent).</li>
 *   <li>Stage 2, one request per target ({@link Schemas#SAMPLES}): K queries for that passage
 *       carrying its group's attributes.</li>
 *   <li>Queries are validated ({@link SampleValidator}: length, no copy of a real query, no
 *       duplicate) and at most K kept per passage.</li>
 * </ol>
 * Requests run concurrently and carry sampling seeds derived from (seed, target, stage), so a
 * re-run issues identical requests (a journal answers them). A request that fails for good
 * only loses its passage's queries. Cost: {@code 2 * passages} LLM calls and two selector runs.
 */
public final class QueryGenerator {

    private static final Logger LOG = LoggerFactory.getLogger(QueryGenerator.class);
    /** Characters of a demonstration's passage shown in a prompt. */
    static final int DEMO_PASSAGE_CHARS = 300;
    /** Characters of the target passage shown in a prompt. */
    static final int TARGET_PASSAGE_CHARS = 2000;

    /** The real query rows: each query's text, the passage it targets, its line in the file. */
    public record RealQueries(List<String> texts, List<String> passages, List<Long> lines, FloatMatrix vectors) {
    }

    /** One synthetic query: its text, the corpus row it targets, and its provenance. */
    public record Query(String text, int passage, ObjectNode provenance) {
    }

    private final ChatModel model;
    private final ConcurrentChatExecutor executor;
    private final KernelBackend backend;
    private final PromptTemplates prompts;
    private final int groupSize;
    private final String hints;

    public QueryGenerator(ChatModel model, ConcurrentChatExecutor executor, KernelBackend backend,
            PromptTemplates prompts, int groupSize, String hints) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("demonstrations per prompt must be at least 1, got " + groupSize);
        }
        this.model = model;
        this.executor = executor;
        this.backend = backend;
        this.prompts = prompts;
        this.groupSize = groupSize;
        this.hints = hints;
    }

    /**
     * {@code count} corpus rows that cover the passage embeddings (GP exploration, groups of
     * one, starting at the row nearest the mean); every row, in order, when count reaches the
     * corpus size.
     */
    public static int[] coveringPassages(KernelBackend backend, FloatMatrix passages, int count, long seed) {
        int n = passages.rows();
        if (count >= n) {
            return java.util.stream.IntStream.range(0, n).toArray();
        }
        SelectionConfig config = new SelectionConfig(Bandwidth.auto(), SelectionConfig.DEFAULT_NOISE, -1, 1,
                Seeds.mix(seed, 0x9A55, 1));
        return new ExplorationSelector(backend, config).select(passages, count, null).groups().stream()
                .mapToInt(g -> g[0]).toArray();
    }

    /**
     * Writes up to {@code perPassage} queries for each target passage.
     *
     * @param passageTexts every corpus passage's text (by row)
     * @param targets the corpus rows to write for
     */
    public List<Query> generate(RealQueries real, List<String> passageTexts, int[] targets, int perPassage,
            SampleValidator validator, long seed) {
        int n = real.texts().size();
        int g = Math.min(groupSize, n);
        SelectionConfig config = new SelectionConfig(Bandwidth.auto(), SelectionConfig.DEFAULT_NOISE, -1, g,
                Seeds.mix(seed, 0xDE40, 2));
        // One group per target, at most one per real query: more targets than queries (a corpus
        // of 20 passages, 5 real queries) reuse the groups in turn.
        List<int[]> groups = GpDemonstrations.filled(real.vectors(), new ExplorationSelector(backend,
                config).select(real.vectors(), Math.min(targets.length, n), null).groups(), g);
        Map<String, Integer> asked = new HashMap<>();
        List<ChatRequest> stage1 = new ArrayList<>();
        List<String> demos = new ArrayList<>();
        for (int t = 0; t < targets.length; t++) {
            int[] group = groups.get(t % groups.size());
            String demo = demonstrations(real, group);
            demos.add(demo);
            Map<String, String> v = Map.of("demonstrations", demo, "n", Integer.toString(group.length),
                    "hints", hints == null || hints.isBlank() ? "" : "\n" + hints.strip());
            stage1.add(AttributeReasoning.request(prompts.renderAttributes(v), new SamplingParams(0.2, null, null,
                    Seeds.mix(seed, t, 1)), Schemas.ATTRIBUTES, asked));
        }
        List<ChatOutcome> summaries = executor.runAll(stage1);
        List<ChatRequest> stage2 = new ArrayList<>();
        List<Integer> stage2Target = new ArrayList<>();
        List<ObjectNode> attributes = new ArrayList<>();
        String lastFailure = null;
        for (int t = 0; t < targets.length; t++) {
            ChatOutcome o = summaries.get(t);
            if (!o.ok()) {
                lastFailure = "attribute summary: " + o.error().getMessage();
                LOG.warn("passage {}: {}", targets[t], lastFailure);
                continue;
            }
            ObjectNode attrs = AttributeReasoning.attributes(o.reply().json());
            Map<String, String> v = Map.of("demonstrations", demos.get(t), "attributes", AttributeReasoning.describe(attrs),
                    "count", Integer.toString(perPassage), "n", Integer.toString(groups.get(t % groups.size()).length),
                    "hints", "", "passage", cut(passageTexts.get(targets[t]), TARGET_PASSAGE_CHARS));
            stage2.add(AttributeReasoning.request(prompts.renderSamples(v), new SamplingParams(1.0, null, null,
                    Seeds.mix(seed, t, 2)), Schemas.SAMPLES, asked));
            stage2Target.add(t);
            attributes.add(attrs);
        }
        List<ChatOutcome> replies = executor.runAll(stage2);
        List<Query> out = new ArrayList<>();
        int answered = 0;
        long returned = 0; // queries the replies held, kept or not
        Rejections atStart = Rejections.of(validator);
        CutOffReplies cutOff = new CutOffReplies("--per-passage", perPassage, model.backend());
        for (int i = 0; i < replies.size(); i++) {
            ChatOutcome o = replies.get(i);
            int t = stage2Target.get(i);
            cutOff.note(o, validator);
            if (!o.ok()) {
                lastFailure = "queries: " + o.error().getMessage();
                LOG.warn("passage {}: {}", targets[t], lastFailure);
                continue;
            }
            answered++;
            returned += o.reply().json().path("samples").size();
            int kept = 0;
            for (JsonNode s : o.reply().json().path("samples")) {
                if (kept >= perPassage) {
                    break;
                }
                String text = validator.accept(s.path("text").asText(""));
                if (text != null) {
                    out.add(new Query(text, targets[t], provenance(real, groups.get(t % groups.size()), t,
                            attributes.get(i))));
                    kept++;
                }
            }
        }
        if (answered == 0 && targets.length > 0) {
            throw new io.synalign.models.llm.ChatModelException("no passage got queries from the LLM"
                    + (stage2.isEmpty() ? " (every attribute summary failed, so no queries were asked for)" : "")
                    + (lastFailure == null ? "" : "; last failure: " + lastFailure));
        }
        if (out.isEmpty() && returned > 0) {
            // Replies came, every query was dropped: say by which check, not only "0 queries".
            LOG.warn("none of the {} queries the LLM returned was kept: {}", returned,
                    Rejections.of(validator).since(atStart));
        }
        return out;
    }


    private ObjectNode provenance(RealQueries real, int[] group, int t, ObjectNode attrs) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("backend", model.backend());
        p.put("model", model.model());
        var lines = p.putArray("demo_lines");
        for (int r : group) {
            lines.add(real.lines().get(r));
        }
        p.put("summary_id", "t" + t);
        p.set("attributes", attrs);
        return p;
    }

    static String demonstrations(RealQueries real, int[] group) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < group.length; k++) {
            if (k > 0) {
                sb.append("\n\n");
            }
            sb.append("Query ").append(k + 1).append(": ").append(real.texts().get(group[k]))
                    .append("\nPassage: ").append(cut(real.passages().get(group[k]), DEMO_PASSAGE_CHARS));
        }
        return sb.toString();
    }

    /** At most {@code max} characters (whole code points), with an ellipsis when cut. */
    static String cut(String text, int max) {
        if (text.codePointCount(0, text.length()) <= max) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, max)) + "…";
    }


}
