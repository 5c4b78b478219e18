package io.synalign.evaluation;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.retrieval.FiniteCorpus;
import io.synalign.engine.retrieval.InnerProductSearch;
import io.synalign.engine.retrieval.RankingMetrics;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Does (aligned) synthetic query data train a better retriever? Each variant trains a
 * {@link RetrieverStudent} on its query rows and is scored on the test queries by exact search
 * over the whole corpus:
 * <ul>
 *   <li>{@value #ZERO_SHOT}: the frozen encoder, no training;</li>
 *   <li>{@value #REAL}: the real query rows;</li>
 *   <li>{@value #REAL_SYNTHETIC}: the real rows plus every synthetic row;</li>
 *   <li>{@value #REAL_ALIGNED}: the real rows plus the aligned rows (a resampled set, or the
 *       synthetic rows with their alignment weights in the loss).</li>
 * </ul>
 * Every trained variant holds out the same seeded 20% of the real rows (grouped by query text,
 * at least one text when there are two) for early stopping, per repeat; the training rows'
 * hard negatives are the {@value #HARD_NEGATIVES} passages nearest to each query under the
 * frozen encoder, its own passages excluded. Metrics: recall@1, @10, @100, MRR@10 and nDCG@10
 * ({@link RankingMetrics}), averaged over the distinct test queries, then mean and standard
 * deviation over the repeats.
 *
 * <p>Each repeat also keeps, per test query, the rank of its first relevant passage in the
 * search ({@link Variant#testRanks}, one int a query): MRR@10, the metric the report's verdict
 * compares, is the mean of {@link #reciprocalRank} of these ranks, so a comparison of variants
 * can resample the test queries ({@link PairedBootstrap#overRowScores}) as well as look at the
 * seeds. The other metrics are not functions of that one rank where a query has several
 * relevant passages or grades above 1, so the ranks recompute MRR@10 only.
 */
public final class RetrievalEvaluation {

    public static final String ZERO_SHOT = "zero_shot";
    public static final String REAL = "real";
    public static final String REAL_SYNTHETIC = "real+synthetic";
    public static final String REAL_ALIGNED = "real+aligned";
    /** The metrics, in report order. */
    public static final List<String> METRICS = List.of("recall@1", "recall@10", "recall@100",
            "mrr@10", "ndcg@10");
    /** Passages retrieved per test query; ranks beyond it are not known. */
    public static final int SEARCH_DEPTH = 100;
    /** The cut-off of the MRR the verdict compares. */
    public static final int MRR_CUTOFF = 10;
    /** Hard negatives mined per training row. */
    static final int HARD_NEGATIVES = 3;
    /** Share of the real query texts held out for early stopping. */
    static final double HELD_OUT = 0.2;

    /**
     * Query rows as embeddings: row i asks for corpus row {@code passages[i]}; {@code texts[i]}
     * groups rows of one query; {@code weights} (or null) weigh the rows in the loss.
     */
    public record Queries(FloatMatrix vectors, int[] passages, List<String> texts, double[] weights) {

        public Queries {
            if (vectors.rows() != passages.length || passages.length != texts.size()
                    || (weights != null && weights.length != passages.length)) {
                throw new IllegalArgumentException("query rows disagree in length: " + vectors.rows()
                        + " vectors, " + passages.length + " passages, " + texts.size() + " texts");
            }
        }

        public int size() {
            return passages.length;
        }
    }

    /** Distinct test queries and, for each, its relevant corpus rows with their grades. */
    public record TestQueries(FloatMatrix vectors, List<Map<Integer, Integer>> judgements) {
    }

    /**
     * @param repeats seeded repeats of every trained variant, at least 1
     */
    public record Options(RetrieverStudent.Config student, int repeats, long seed) {
        public Options {
            if (repeats < 1) {
                throw new IllegalArgumentException("repeats must be at least 1: " + repeats);
            }
        }
    }

    /**
     * One variant: its training rows and metrics.
     *
     * @param testRanks per repeat (one array for {@value #ZERO_SHOT}, which is not trained),
     *     per distinct test query in {@link TestQueries} order, the rank from 1 of the query's
     *     first relevant passage among the {@code min(}{@value #SEARCH_DEPTH}{@code , corpus)}
     *     retrieved, 0 when none of them is relevant
     */
    public record Variant(String name, int trainRows, Map<String, MeanStd> metrics, List<Integer> epochs,
            int[][] testRanks) {
    }

    /**
     * A query's reciprocal rank at {@value #MRR_CUTOFF} from the rank of its first relevant
     * passage (from 1; 0 for none retrieved): {@code 1 / rank} within the cut-off, else 0,
     * exactly the value {@link RankingMetrics#reciprocalRank} gives for that ranked list.
     */
    public static double reciprocalRank(int firstRelevantRank) {
        return firstRelevantRank >= 1 && firstRelevantRank <= MRR_CUTOFF
                ? 1.0 / firstRelevantRank : 0;
    }

    private RetrievalEvaluation() {
    }

    /**
     * Runs every variant the inputs allow ({@code synthetic} and {@code aligned} may be null).
     */
    public static List<Variant> evaluate(KernelBackend backend, FloatMatrix passages, Queries real,
            Queries synthetic, Queries aligned, TestQueries test, Options options,
            ProgressListener progress) {
        return evaluate(backend, passages, row -> new int[] {row}, real, synthetic, aligned, test,
                options, progress);
    }

    /**
     * As {@link #evaluate(KernelBackend, FloatMatrix, Queries, Queries, Queries, TestQueries,
     * Options, ProgressListener)}, where {@code copies} gives the passages with the same text as
     * a passage (itself included; see {@code Corpus.copies}): a copy of a training query's
     * positive is never mined as its hard negative.
     */
    public static List<Variant> evaluate(KernelBackend backend, FloatMatrix passages,
            java.util.function.IntFunction<int[]> copies, Queries real, Queries synthetic,
            Queries aligned, TestQueries test, Options options, ProgressListener progress) {
        List<Variant> out = new ArrayList<>();
        // Checked finite once: every search below (zero-shot, mining, each epoch's held-out
        // score, each student's test score) is over these same passages.
        FiniteCorpus corpus = FiniteCorpus.of(passages);
        RetrieverStudent zero = RetrieverStudent.zeroShot(passages.cols());
        Scores zeroScores = score(backend, zero, corpus, test);
        Map<String, MeanStd> zeroMetrics = new LinkedHashMap<>();
        zeroScores.means().forEach((k, v) -> zeroMetrics.put(k, MeanStd.of(new double[] {v})));
        out.add(new Variant(ZERO_SHOT, 0, zeroMetrics, List.of(),
                new int[][] {zeroScores.firstRelevantRanks()}));

        Map<String, Queries> sets = new LinkedHashMap<>();
        sets.put(REAL, null);
        if (synthetic != null) {
            sets.put(REAL_SYNTHETIC, synthetic);
        }
        if (aligned != null) {
            sets.put(REAL_ALIGNED, aligned);
        }
        // Hard negatives depend only on the frozen encoder: mined once per set, not per
        // variant and repeat.
        int[][] realHard = hardNegatives(backend, corpus, copies, real);
        Map<Queries, int[][]> extraHard = new java.util.IdentityHashMap<>();
        for (Queries q : sets.values()) {
            if (q != null) {
                extraHard.put(q, hardNegatives(backend, corpus, copies, q));
            }
        }
        Map<String, double[][]> values = new LinkedHashMap<>();
        Map<String, List<Integer>> epochs = new LinkedHashMap<>();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        Map<String, int[][]> ranks = new LinkedHashMap<>();
        int total = options.repeats() * sets.size();
        int done = 0;
        for (int rep = 0; rep < options.repeats(); rep++) {
            long seed = options.seed() + rep;
            Split split = split(real, seed);
            RetrieverStudent.HeldOut heldOut = split.heldOut.isEmpty() ? null
                    : heldOut(real, split.heldOut);
            for (Map.Entry<String, Queries> e : sets.entrySet()) {
                RetrieverStudent.Training training = training(passages, real, realHard, split.train,
                        e.getValue(), extraHard.get(e.getValue()));
                sizes.put(e.getKey(), training.positives().length);
                RetrieverStudent s = RetrieverStudent.train(backend, corpus, training, heldOut,
                        options.student(), seed);
                epochs.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(s.bestEpoch());
                Scores scores = score(backend, s, corpus, test);
                double[][] v = values.computeIfAbsent(e.getKey(),
                        k -> new double[METRICS.size()][options.repeats()]);
                for (int m = 0; m < METRICS.size(); m++) {
                    v[m][rep] = scores.means().get(METRICS.get(m));
                }
                ranks.computeIfAbsent(e.getKey(), k -> new int[options.repeats()][])[rep] =
                        scores.firstRelevantRanks();
                progress.onProgress("train", ++done, total, e.getKey());
            }
        }
        for (String name : sets.keySet()) {
            Map<String, MeanStd> metrics = new LinkedHashMap<>();
            for (int m = 0; m < METRICS.size(); m++) {
                metrics.put(METRICS.get(m), MeanStd.of(values.get(name)[m]));
            }
            out.add(new Variant(name, sizes.get(name), metrics, epochs.get(name), ranks.get(name)));
        }
        return out;
    }

    /** Real rows split by query text: training rows and held-out rows. */
    private record Split(List<Integer> train, List<Integer> heldOut) {
    }

    private static Split split(Queries real, long seed) {
        List<String> texts = new ArrayList<>(new java.util.LinkedHashSet<>(real.texts()));
        int hold = texts.size() < 2 ? 0 : Math.max(1, (int) Math.floor(HELD_OUT * texts.size()));
        SplittableRandom random = new SplittableRandom(seed ^ 0x5EEDL);
        for (int i = texts.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            String t = texts.get(i);
            texts.set(i, texts.get(j));
            texts.set(j, t);
        }
        Set<String> held = new HashSet<>(texts.subList(0, hold));
        List<Integer> train = new ArrayList<>();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < real.size(); i++) {
            (held.contains(real.texts().get(i)) ? out : train).add(i);
        }
        return new Split(train, out);
    }

    private static RetrieverStudent.HeldOut heldOut(Queries real, List<Integer> rows) {
        Map<String, Integer> first = new LinkedHashMap<>();
        Map<String, Map<Integer, Integer>> judged = new LinkedHashMap<>();
        for (int i : rows) {
            first.putIfAbsent(real.texts().get(i), i);
            judged.computeIfAbsent(real.texts().get(i), t -> new HashMap<>()).put(real.passages()[i], 1);
        }
        int[] pick = first.values().stream().mapToInt(Integer::intValue).toArray();
        return new RetrieverStudent.HeldOut(real.vectors().selectRows(pick), new ArrayList<>(judged.values()));
    }

    /**
     * The real training rows plus {@code extra}, with their hard negatives ({@code realHard},
     * {@code extraHard}: one list per row of the set, from {@link #hardNegatives}).
     */
    private static RetrieverStudent.Training training(FloatMatrix passages, Queries real, int[][] realHard,
            List<Integer> trainRows, Queries extra, int[][] extraHard) {
        int n = trainRows.size() + (extra == null ? 0 : extra.size());
        int d = passages.cols();
        float[] q = new float[n * d];
        int[] pos = new int[n];
        double[] w = new double[n];
        int[][] hard = new int[n][];
        int at = 0;
        for (int i : trainRows) {
            System.arraycopy(real.vectors().data(), i * d, q, at * d, d);
            pos[at] = real.passages()[i];
            w[at] = 1;
            hard[at] = realHard[i];
            at++;
        }
        if (extra != null) {
            double mean = 1;
            if (extra.weights() != null) {
                double sum = 0;
                for (double x : extra.weights()) {
                    sum += x;
                }
                mean = sum / extra.size();
            }
            for (int i = 0; i < extra.size(); i++) {
                System.arraycopy(extra.vectors().data(), i * d, q, at * d, d);
                pos[at] = extra.passages()[i];
                // Weighted rows keep their share of the synthetic set's total.
                w[at] = extra.weights() == null ? 1 : mean > 0 ? extra.weights()[i] / mean : 0;
                hard[at] = extraHard[i];
                at++;
            }
        }
        return new RetrieverStudent.Training(new FloatMatrix(n, d, q), pos, w, hard);
    }

    /**
     * For each row of {@code q}, the {@value #HARD_NEGATIVES} passages nearest to it under the
     * frozen encoder, excluding every passage a row of the same query text targets and every
     * copy of one ({@code copies}).
     */
    private static int[][] hardNegatives(KernelBackend backend, FiniteCorpus corpus,
            java.util.function.IntFunction<int[]> copies, Queries q) {
        FloatMatrix passages = corpus.rows();
        int n = q.size();
        Map<String, Set<Integer>> positives = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Set<Integer> own = positives.computeIfAbsent(q.texts().get(i), t -> new HashSet<>());
            for (int c : copies.apply(q.passages()[i])) {
                own.add(c);
            }
        }
        int[][] excluded = new int[n][];
        for (int i = 0; i < n; i++) {
            excluded[i] = positives.get(q.texts().get(i)).stream().mapToInt(Integer::intValue).toArray();
        }
        int most = positives.values().stream().mapToInt(Set::size).max().orElse(0);
        int k = Math.min(HARD_NEGATIVES, passages.rows() - most);
        int[][] hard = new int[n][];
        if (k < 1 || n == 0) {
            java.util.Arrays.fill(hard, new int[0]);
            return hard;
        }
        InnerProductSearch.Hits hits = InnerProductSearch.search(backend, q.vectors(), corpus, k,
                excluded, ProgressListener.NONE);
        for (int i = 0; i < n; i++) {
            hard[i] = java.util.Arrays.copyOfRange(hits.indices(), i * k, i * k + k);
        }
        return hard;
    }

    /**
     * The test queries' scores: each metric's mean, and per query the rank from 1 of its first
     * relevant passage among those retrieved (0 for none).
     */
    record Scores(Map<String, Double> means, int[] firstRelevantRanks) {
    }

    /** Metrics of the test queries over the whole corpus. */
    static Scores score(KernelBackend backend, RetrieverStudent s, FiniteCorpus corpus,
            TestQueries test) {
        int k = Math.min(SEARCH_DEPTH, corpus.rows().rows());
        InnerProductSearch.Hits hits = InnerProductSearch.search(backend, s.project(test.vectors()),
                corpus, k, null, ProgressListener.NONE);
        double[] sums = new double[METRICS.size()];
        int n = test.vectors().rows();
        int[] first = new int[n];
        for (int i = 0; i < n; i++) {
            int[] ranked = java.util.Arrays.copyOfRange(hits.indices(), i * k, i * k + k);
            Map<Integer, Integer> j = test.judgements().get(i);
            sums[0] += RankingMetrics.recall(ranked, j, 1);
            sums[1] += RankingMetrics.recall(ranked, j, 10);
            sums[2] += RankingMetrics.recall(ranked, j, 100);
            // MRR@10 from the rank kept for the report, so that the two cannot disagree.
            first[i] = firstRelevantRank(ranked, j);
            sums[3] += reciprocalRank(first[i]);
            sums[4] += RankingMetrics.ndcg(ranked, j, 10);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (int m = 0; m < METRICS.size(); m++) {
            out.put(METRICS.get(m), sums[m] / Math.max(1, n));
        }
        return new Scores(out, first);
    }

    /** The rank from 1 of the first item of grade above 0 in {@code ranked}, 0 for none. */
    static int firstRelevantRank(int[] ranked, Map<Integer, Integer> grades) {
        for (int r = 0; r < ranked.length; r++) {
            if (grades.getOrDefault(ranked[r], 0) > 0) {
                return r + 1;
            }
        }
        return 0;
    }
}
