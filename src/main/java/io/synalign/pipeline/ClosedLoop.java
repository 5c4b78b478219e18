package io.synalign.pipeline;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.twosample.MmdWitness;
import io.synalign.generation.DemonstrationChooser;
import io.synalign.generation.GeneratedSample;
import io.synalign.generation.GenerationPipeline;
import io.synalign.generation.LabelRows;
import io.synalign.generation.SampleGenerator;
import io.synalign.generation.SampleValidator;
import io.synalign.generation.Seeds;
import io.synalign.generation.SteeredDemonstrations;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.llm.AdaptiveConcurrencyLimiter;
import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.ForwardingChatModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Generation in rounds whose measured gaps steer the next round. Reweighting can only discard
 * synthetic rows; it cannot fill a region of the real data the generator never reached. So after
 * each round the rows generated so far are embedded, aligned to the real rows per label
 * ({@link TextAlignment}) and tested ({@link TwoSampleTesting}: MMD² and permutation p-value,
 * uniform and weighted), and the next round's demonstrations are drawn where the weighted
 * synthetic data covers the real data worst:
 * <ol>
 *   <li>per label, the gap of each real row is the MMD witness of the label's real rows against
 *       its synthetic rows so far under their weights ({@link MmdWitness}; a label with no
 *       synthetic row yet, or all of weight 0, against none: its gaps are 0 and rank by row);</li>
 *   <li>{@link SteeredDemonstrations}: group g of a batch is seeded at the real row of rank g by
 *       gap (largest first) and filled with its nearest real rows;</li>
 *   <li>the attribute prompt is told which synthetic rows were over-represented (the most
 *       negative witness among rows with weight), so the summary can say what was missing.</li>
 * </ol>
 * Round 1 is the one-shot pipeline (the chosen demonstration mode, the run's seed); round r &gt; 1
 * uses the seed {@code Seeds.mix(seed, r, 11)}. Each label's quota is split over the rounds
 * ({@code floor(q r / R) - floor(q (r - 1) / R)} in round r), one {@link SampleValidator} spans
 * them all (no row repeats an earlier round's), and the run stops after a round whose every
 * tested label meets the target ({@link Options#targetP}: weighted p-value at least P;
 * {@link Options#targetMmd2}: weighted MMD² at most T), or once the calls so far reach the
 * budget ({@link Options#maxCalls}, checked between rounds), with fewer rows than asked for.
 *
 * <p>Every step is a function of the inputs and the seed (the encoder and the learner are
 * deterministic), so with a {@link CallJournal} a re-run after a crash replays every completed
 * call from the journal and sends only the rest. Cost per round: one embedding pass over the new
 * rows (the encoder's cache serves the old ones), one alignment and two permutation tests per
 * label over all rows so far, and the witness over the label's real rows.
 */
public final class ClosedLoop {

    /** Permutations of each round's tests. */
    public static final int PERMUTATIONS = 200;
    /** Over-represented synthetic rows quoted to the attribute prompt per label. */
    static final int QUOTED_ROWS = 2;

    /**
     * @param rounds rounds at most, {@code >= 1}
     * @param targetP stop once every label's weighted p-value is at least this, in (0, 1], or null
     * @param targetMmd2 stop once every label's weighted MMD² is at most this, {@code >= 0}, or null
     * @param maxCalls start no further round once the LLM calls so far (every ask and re-ask,
     *     replayed from a journal or sent) reach this, {@code >= 1}, or null
     */
    public record Options(int rounds, Double targetP, Double targetMmd2, Integer maxCalls) {

        /** @throws IllegalArgumentException naming the bad value */
        public Options {
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
            }
            if (targetP != null && !(targetP > 0 && targetP <= 1)) {
                throw new IllegalArgumentException("--target-p " + targetP + ": a p-value in (0, 1]");
            }
            if (targetMmd2 != null && !(targetMmd2 >= 0 && targetMmd2 < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("--target-mmd2 " + targetMmd2 + ": at least 0 and finite");
            }
            if (maxCalls != null && maxCalls < 1) {
                throw new IllegalArgumentException("--max-calls must be at least 1, got " + maxCalls);
            }
        }

        /** Rounds at most, no target, no budget. */
        public static Options rounds(int n) {
            return new Options(n, null, null, null);
        }

        /**
         * Whether a round's test meets every target given (false when none is given): every
         * label in {@code expected} (those with rows asked for) must have been tested, and
         * meet it.
         */
        boolean met(TwoSampleTesting.Report report, java.util.Set<String> expected) {
            if (targetP == null && targetMmd2 == null) {
                return false;
            }
            if (!report.labels().keySet().containsAll(expected)) {
                return false; // a label has no synthetic row yet: it cannot have met the target
            }
            Map<String, TwoSampleTesting.Figures> tested = report.labels().isEmpty()
                    ? Map.of("", report.overall()) : report.labels();
            for (TwoSampleTesting.Figures f : tested.values()) {
                if (targetP != null && (f.pValueWeighted() == null || f.pValueWeighted() < targetP)) {
                    return false;
                }
                if (targetMmd2 != null && (f.mmd2Weighted() == null || f.mmd2Weighted() > targetMmd2)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Embeds synthetic texts, one row each (the CLI: the run's encoder and its cache). */
    @FunctionalInterface
    public interface Embedder {
        FloatMatrix embed(List<String> texts);
    }

    /** A real row that steers the next round: its input line and its gap (the witness). */
    public record SteeringRow(long line, double gap) {
    }

    /**
     * One round's figures.
     *
     * @param round 1-based
     * @param generated rows this round added
     * @param test the test of every row so far against the real rows, uniform and weighted;
     *     null for a round that generated nothing (nothing new to test)
     * @param steering per label (display label), the real rows that seed the next round's
     *     groups, in rank order (empty after the last round)
     * @param targetMet whether every tested label met the target
     * @param calls LLM calls (asks and re-asks) made so far, this round's included
     */
    public record Round(int round, int generated, TwoSampleTesting.Report test,
            Map<String, List<SteeringRow>> steering, boolean targetMet, int calls) {

        /** As {@code generation.json} holds it. */
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("round", round);
            m.put("generated", generated);
            if (test != null) { // a round that generated nothing was not tested
                m.put("synthetic", test.overall().synthetic());
                m.put("bandwidth", test.bandwidth());
                Map<String, Object> labels = new LinkedHashMap<>();
                test.labels().forEach((k, v) -> labels.put(k, figures(v)));
                m.put("labels", labels);
                m.put("overall", figures(test.overall()));
            }
            Map<String, Object> steer = new LinkedHashMap<>();
            steering.forEach((k, rows) -> {
                List<Map<String, Object>> out = new ArrayList<>();
                for (SteeringRow r : rows) {
                    // put by put: Map.of iterates in an order that changes from run to run,
                    // and the document must be byte-identical for one seed.
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("line", r.line());
                    row.put("gap", r.gap());
                    out.add(row);
                }
                steer.put(k, out);
            });
            m.put("next_demonstrations", steer);
            m.put("target_met", targetMet);
            m.put("calls", calls);
            return m;
        }

        private static Map<String, Object> figures(TwoSampleTesting.Figures f) {
            Map<String, Object> m = f.json();
            m.remove("under_covered");
            m.remove("over_represented");
            m.remove("real");
            return m;
        }
    }

    /**
     * What the loop produced.
     *
     * @param samples every accepted sample of every round, round by round, each with its round
     *     in the provenance field {@code round}
     * @param rounds the figures of each round run
     * @param stop why the loop ended
     * @param validator what was rejected over all rounds
     */
    public record Result(List<GeneratedSample> samples, Map<String, Integer> quotas,
            List<Round> rounds, String stop, SampleValidator validator, double seconds) {
    }

    private final Generation generation;
    private final Options options;
    private final TextAlignment aligner;

    /**
     * @param aligner fits each round's weights (its options: method, scope, backend)
     */
    public ClosedLoop(Generation generation, Options options, TextAlignment aligner) {
        if (generation == null || options == null || aligner == null) {
            throw new IllegalArgumentException("generation, options and aligner must be given");
        }
        this.generation = generation;
        this.options = options;
        this.aligner = aligner;
    }

    /**
     * Runs the rounds.
     *
     * @param chat asks once per request (re-asks are added here, journaled in {@code journal})
     * @param labels the real rows grouped by label (first-appearance order)
     * @param real the real texts and labels in input order, and {@code realRows} their embeddings
     * @param synthetic embeds the generated texts
     */
    public Result run(ChatModel chat, CallJournal journal, AdaptiveConcurrencyLimiter limiter,
            List<LabelRows> labels, TextAlignment.Texts real, FloatMatrix realRows,
            Function<List<String>, FloatMatrix> labelEmbeddings, Embedder synthetic,
            ProgressListener listener) {
        ProgressListener progress = listener == null ? ProgressListener.NONE : listener;
        Generation.Options o = generation.options();
        int[] quotas = GenerationPipeline.quotas(labels, o.perLabel(), o.total());
        SampleValidator validator = new SampleValidator(real.texts(), o.minChars(), o.maxChars());
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        ChatModel asking = Generation.asking(chat, journal, m -> new CountingChatModel(m, calls));
        List<GeneratedSample> all = new ArrayList<>();
        List<Round> rounds = new ArrayList<>();
        String stop = "ran all " + options.rounds() + " rounds";
        long start = System.nanoTime();
        try (KernelBackend kernels = KernelBackends.create(o.backend())) {
            DemonstrationChooser chooser = DemonstrationChooser.of(o.demos(), kernels,
                    o.demonstrationsPerPrompt());
            Measured previous = null;
            for (int r = 1; r <= options.rounds(); r++) {
                int[] share = share(quotas, r, options.rounds());
                long seed = r == 1 ? o.seed() : Seeds.mix(o.seed(), r, 11);
                SampleGenerator g = generation.generator(asking, limiter, kernels, labelEmbeddings, chooser);
                List<GeneratedSample> fresh = new ArrayList<>();
                for (GeneratedSample s : GenerationPipeline.run(labels, share, g, validator, seed)) {
                    fresh.add(new GeneratedSample(s.text(), s.label(), s.provenance().put("round", r)));
                }
                all.addAll(fresh);
                progress.onProgress("round", r, options.rounds(), all.size() + " rows");
                boolean spent = options.maxCalls() != null && calls.get() >= options.maxCalls();
                if (all.isEmpty()) {
                    rounds.add(new Round(r, 0, null, Map.of(), false, calls.get()));
                    if (spent) {
                        stop = budget(r, calls.get());
                        break;
                    }
                    continue;
                }
                // The test's splits from the run's own seed every round: the last round's p is then
                // the p that run --run-dir writes to test.json for the same rows and weights (a
                // round seed gave 0.00995 in one and 0.01493 in the other).
                // A round that added no row (more rounds than a label's quota) leaves the rows,
                // weights and test as they were: measured again, they re-embedded, re-aligned and
                // re-tested the same rows for the same figures.
                Measured m = fresh.isEmpty() && previous != null ? previous
                        : measure(kernels, real, realRows, all, synthetic, o.seed(), progress);
                previous = m;
                boolean met = options.met(m.test(), expected(labels, quotas, real));
                boolean last = r == options.rounds() || met || spent;
                Map<String, List<SteeringRow>> steering = new LinkedHashMap<>();
                if (!last) {
                    chooser = steer(kernels, labels, real, realRows, m, quotas, options.rounds(), r + 1,
                            o.samplesPerSummary(), steering);
                }
                rounds.add(new Round(r, fresh.size(), m.test(), steering, met, calls.get()));
                if (met) {
                    stop = "target met after round " + r + " of " + options.rounds();
                    break;
                }
                if (spent && r < options.rounds()) {
                    stop = budget(r, calls.get());
                    break;
                }
            }
        }
        Map<String, Integer> asked = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            asked.put(labels.get(i).displayLabel(), quotas[i]);
        }
        return new Result(all, asked, rounds, stop, validator, (System.nanoTime() - start) / 1e9);
    }

    /** The labels with rows asked for (none when the rows are unlabelled: overall is tested). */
    private static java.util.Set<String> expected(List<LabelRows> labels, int[] quotas,
            TextAlignment.Texts real) {
        java.util.Set<String> out = new java.util.HashSet<>();
        if (real.labels() == null) {
            return out;
        }
        for (int i = 0; i < labels.size(); i++) {
            if (quotas[i] > 0) {
                out.add(labels.get(i).label());
            }
        }
        return out;
    }

    private String budget(int round, int calls) {
        return "call budget reached after round " + round + " of " + options.rounds() + " ("
                + calls + " calls, --max-calls " + options.maxCalls() + ")";
    }

    /** Counts every call that passes through (asks and re-asks; replays from a journal too). */
    private static final class CountingChatModel extends ForwardingChatModel {
        private final java.util.concurrent.atomic.AtomicInteger calls;

        CountingChatModel(ChatModel delegate, java.util.concurrent.atomic.AtomicInteger calls) {
            super(delegate);
            this.calls = calls;
        }

        @Override
        public io.synalign.models.llm.ChatReply complete(io.synalign.models.llm.ChatRequest request) {
            calls.incrementAndGet();
            return delegate.complete(request);
        }
    }

    /** Round r's share of each quota (1-based r of R): floor(q r / R) - floor(q (r - 1) / R). */
    public static int[] share(int[] quotas, int r, int rounds) {
        int[] out = new int[quotas.length];
        for (int i = 0; i < quotas.length; i++) {
            out[i] = (int) ((long) quotas[i] * r / rounds - (long) quotas[i] * (r - 1) / rounds);
        }
        return out;
    }

    /** A round's measurement: the synthetic rows so far embedded, their weights, the test. */
    private record Measured(FloatMatrix rows, List<String> labels, double[] weights,
            TwoSampleTesting.Report test, List<String> texts) {
    }

    private Measured measure(KernelBackend kernels, TextAlignment.Texts real, FloatMatrix realRows,
            List<GeneratedSample> all, Embedder synthetic, long seed, ProgressListener progress) {
        List<String> texts = all.stream().map(GeneratedSample::text).toList();
        List<String> labels = real.labels() == null ? null : all.stream().map(GeneratedSample::label).toList();
        FloatMatrix rows = synthetic.embed(texts);
        TextAlignment.Texts synth = new TextAlignment.Texts(texts, labels);
        double[] weights = aligner.fit(aligner.plan(real, synth),
                new TextAlignment.Embedded(realRows, rows, null, 0), progress).weights();
        TwoSampleTesting.Report test = TwoSampleTesting.run(kernels,
                new TwoSampleTesting.Side(realRows, real.texts(), real.labels(), null),
                new TwoSampleTesting.Side(rows, texts, labels, null),
                new TwoSampleTesting.Side(rows, texts, labels, weights),
                TwoSampleTesting.Options.forThisHeap(PERMUTATIONS, seed, 0),
                progress);
        return new Measured(rows, labels, weights, test, texts);
    }

    /**
     * The next round's chooser: per label, the witness of its real rows against its weighted
     * synthetic rows, and the attribute prompt's note on the over-represented rows.
     */
    private DemonstrationChooser steer(KernelBackend kernels, List<LabelRows> labels,
            TextAlignment.Texts real, FloatMatrix realRows, Measured m, int[] quotas, int rounds,
            int next, int samplesPerSummary, Map<String, List<SteeringRow>> steering) {
        Map<String, double[]> gaps = new HashMap<>();
        Map<String, String> hints = new HashMap<>();
        double sigma = m.test().bandwidth();
        int[] nextShare = share(quotas, next, rounds);
        for (int li = 0; li < labels.size(); li++) {
            LabelRows rows = labels.get(li);
            String label = rows.label();
            int[] ri = indices(real.labels(), label, realRows.rows());
            int[] si = indices(m.labels(), label, m.rows().rows());
            double[] w = IntStream.of(si).mapToDouble(i -> m.weights()[i]).toArray();
            double[] gap;
            if (si.length == 0 || java.util.Arrays.stream(w).sum() <= 0) {
                gap = new double[ri.length];
            } else {
                FloatMatrix x = realRows.selectRows(ri);
                FloatMatrix y = m.rows().selectRows(si);
                gap = MmdWitness.values(kernels, x, x, y, w, sigma);
                double[] fy = MmdWitness.values(kernels, y, x, y, w, sigma);
                boolean[] weighted = new boolean[w.length];
                for (int i = 0; i < w.length; i++) {
                    weighted[i] = w[i] > 0;
                }
                int[] over = MmdWitness.largest(java.util.Arrays.stream(fy).map(v -> -v).toArray(),
                        QUOTED_ROWS, weighted);
                hints.put(label, hint(over, si, m.texts()));
            }
            gaps.put(label, gap);
            int groups = Math.min(rows.size(), (nextShare[li] + samplesPerSummary - 1) / samplesPerSummary);
            int[] rank = SteeredDemonstrations.ranking(gap);
            List<SteeringRow> seeds = new ArrayList<>();
            for (int g = 0; g < groups; g++) {
                seeds.add(new SteeringRow(rows.lines().get(rank[g]), gap[rank[g]]));
            }
            steering.put(rows.displayLabel(), seeds);
        }
        return new SteeredDemonstrations(generation.options().demonstrationsPerPrompt(), gaps, hints);
    }

    /** What the attribute prompt is told about a label's over-represented synthetic rows. */
    static String hint(int[] over, int[] si, List<String> texts) {
        if (over.length == 0) {
            return null;
        }
        StringBuilder sb = new StringBuilder("These real examples are among those the synthetic"
                + " examples written so far cover worst; say in particular what sets them apart."
                + " The synthetic examples already over-represent texts like:");
        for (int k : over) {
            // "\n", not %n: the hint is part of the request the call journal keys on, so its
            // bytes must not depend on the platform's line separator.
            sb.append("\n- ").append(texts.get(si[k]).replaceAll("\\s+", " "));
        }
        return sb.toString();
    }

    private static int[] indices(List<String> labels, String label, int n) {
        if (labels == null) {
            return IntStream.range(0, n).toArray();
        }
        return IntStream.range(0, n).filter(i -> java.util.Objects.equals(label, labels.get(i))).toArray();
    }
}
