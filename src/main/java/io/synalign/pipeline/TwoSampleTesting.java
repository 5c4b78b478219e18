package io.synalign.pipeline;

import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.engine.alignment.WeightedSampler;
import io.synalign.engine.twosample.ClassifierTwoSampleTest;
import io.synalign.engine.twosample.MmdPermutationTest;
import io.synalign.engine.twosample.MmdWitness;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Is the synthetic data distinguishable from the real data, and where does it differ? Per label
 * and overall, on the rows' embeddings:
 * <ul>
 *   <li>the MMD² and its permutation p-value ({@link MmdPermutationTest}; small p: the two
 *       samples are distinguishable);</li>
 *   <li>the classifier two-sample AUC ({@link ClassifierTwoSampleTest}; 0.5: a logistic
 *       regression cannot tell them apart), a second opinion;</li>
 *   <li>with weights, the same for the weighted synthetic rows: the MMD² under the weights, and
 *       the p-value of the real rows against a weighted resample (as many rows, drawn with
 *       replacement in proportion to the weights, seeded) and the AUC of a classifier trained
 *       and scored with the weights ({@link ClassifierTwoSampleTest});</li>
 *   <li>where they differ, by the MMD witness function ({@link MmdWitness}) of the real rows
 *       against the synthetic rows (weighted when weights are given): the real rows the synthetic
 *       data covers worst (largest witness) and the synthetic rows it has too many of (most
 *       negative witness, among rows with a positive weight), with their texts.</li>
 * </ul>
 * One bandwidth for every label: the median heuristic over the real and synthetic rows. Each
 * side of a label is capped at {@link Options#maxRows()} rows (a seeded subsample), which bounds
 * the pooled kernel matrix. The figures are a function of the inputs and the seed.
 */
public final class TwoSampleTesting {

    /** Rows per side of a label that enter a test by default. */
    public static final int DEFAULT_MAX_ROWS = 4000;

    /**
     * Rows per side for a JVM whose heap may grow to {@code maxHeapBytes}: {@link
     * #DEFAULT_MAX_ROWS}, or fewer where the pooled kernel matrix of both sides ({@code (2 r)^2}
     * floats, one Java array: {@link MmdPermutationTest}) would take more than half of that heap.
     * The launcher's heap is a third of the memory the process runs in, so in a 1,300 MiB
     * container (a 429 MiB heap) the 256 MB block of 4,000 rows a side did not fit beside the
     * embeddings and `test` stopped with "out of memory (Java heap space)", exit 1; 768 and 1,024
     * MiB likewise. Half, not all: the array is one humongous object, which needs that many free
     * contiguous heap regions beside the rows, the texts and the classifier's folds. Depends on
     * the heap's limit only (not on what is in use, which depends on when the collector ran), so
     * the subsample, and the figures, stay a function of the inputs, the seed and the heap.
     * 4,000 from a heap of 512 MB up (a machine or container of 1.5 GB or more under the
     * launcher; 1,600 MiB ran as before).
     *
     * @throws IllegalArgumentException when {@code maxHeapBytes} is not positive
     */
    public static int maxRowsForHeap(long maxHeapBytes) {
        if (maxHeapBytes <= 0) {
            throw new IllegalArgumentException("heap limit must be positive, got " + maxHeapBytes);
        }
        // 4 (2r)^2 <= heap / 2, so r <= sqrt(heap / 32).
        long r = (long) Math.floor(Math.sqrt(maxHeapBytes / 32.0));
        while (r > 0 && 16 * r * r > maxHeapBytes / 2) {
            r--; // the square root's rounding
        }
        return (int) Math.max(2, Math.min(DEFAULT_MAX_ROWS, r));
    }
    /** The significance level results are read against: p below it tells the sets apart. */
    public static final double ALPHA = 0.01;

    /**
     * The fewest permutations whose smallest p-value, 1/(P+1), is below {@link #ALPHA}: with
     * fewer, no pair of sets can be told apart, however different.
     */
    public static final int MIN_PERMUTATIONS = 100; // 1 / ALPHA: P + 1 must exceed it

    /**
     * An AUC below this is flagged: held out in cross-validation, real rows whose near-copies
     * sit in the training folds as synthetic rows are scored as synthetic, so a classifier that
     * does much worse than chance says the synthetic rows copy the real ones.
     */
    public static final double COPY_AUC = 0.35;

    /**
     * 1/2 less three standard deviations of the AUC of two samples of {@code n} and {@code m}
     * rows that do not differ (Mann-Whitney: sd = sqrt((n + m + 1) / (12 n m))).
     */
    public static double copyAucBound(int n, int m) {
        if (n < 1 || m < 1) {
            return Double.NEGATIVE_INFINITY;
        }
        return 0.5 - 3 * Math.sqrt((n + m + 1.0) / (12.0 * n * m));
    }

    /**
     * Whether a weighted AUC of {@code real} rows against weights of effective sample size
     * {@code ess} is below {@link #COPY_AUC} and three null deviations of chance, the weighted
     * side counted at its ESS (see {@link Figures#weightedBelowChance}); the report reads it from
     * test.json with this rule.
     */
    public static boolean weightedBelowChance(int real, double aucWeighted, double ess) {
        if (!Double.isFinite(aucWeighted) || !Double.isFinite(ess)) {
            return false;
        }
        return aucWeighted < Math.min(COPY_AUC, copyAucBound(real, (int) Math.max(1, Math.round(ess))));
    }

    /** Rows listed per label where the two samples differ, by default. */
    public static final int DEFAULT_WITNESS_ROWS = 5;

    /**
     * @param permutations random splits per test, {@code >= 1}; the smallest p-value is 1/(P+1)
     * @param seed seeds the splits, subsamples, resamples and folds
     * @param witnessRows rows listed per label and direction, {@code >= 0}
     * @param maxRows rows per side of a test, {@code >= 2}
     */
    public record Options(int permutations, long seed, int witnessRows, int maxRows) {

        /** @throws IllegalArgumentException naming the bad value */
        public Options {
            if (permutations < 1) {
                throw new IllegalArgumentException("permutations must be at least 1, got " + permutations);
            }
            if (witnessRows < 0) {
                throw new IllegalArgumentException("witness rows must be at least 0, got " + witnessRows);
            }
            if (maxRows < 2) {
                throw new IllegalArgumentException("rows per side must be at least 2, got " + maxRows);
            }
        }

        /** P permutations, the default row counts. */
        public static Options of(int permutations, long seed) {
            return new Options(permutations, seed, DEFAULT_WITNESS_ROWS, DEFAULT_MAX_ROWS);
        }

        /**
         * P permutations and K witness rows, with the rows per side this JVM's heap holds
         * ({@link #maxRowsForHeap} of {@link Runtime#maxMemory}).
         */
        public static Options forThisHeap(int permutations, long seed, int witnessRows) {
            return new Options(permutations, seed, witnessRows,
                    maxRowsForHeap(Runtime.getRuntime().maxMemory()));
        }
    }

    /**
     * One side of a test: embedded rows with their texts, labels (null: one group) and weights
     * (null: uniform).
     */
    public record Side(FloatMatrix rows, List<String> texts, List<String> labels, double[] weights) {

        /**
         * @throws IllegalArgumentException when the lengths disagree, or a weight is negative or
         *     not finite (naming its row: a NaN weight gave no weighted figures, silently, and
         *     one outside the subsample was not looked at)
         */
        public Side {
            if (texts.size() != rows.rows() || labels != null && labels.size() != rows.rows()
                    || weights != null && weights.length != rows.rows()) {
                throw new IllegalArgumentException(rows.rows() + " rows with " + texts.size()
                        + " texts, " + (labels == null ? "no" : labels.size()) + " labels and "
                        + (weights == null ? "no" : weights.length) + " weights");
            }
            if (weights != null) {
                for (int i = 0; i < weights.length; i++) {
                    if (!(weights[i] >= 0) || Double.isInfinite(weights[i])) {
                        throw new IllegalArgumentException("weight of row " + i + " is " + weights[i]
                                + ": weights must be finite and >= 0");
                    }
                }
            }
        }

        Side select(int[] idx) {
            List<String> t = new ArrayList<>(idx.length);
            List<String> l = labels == null ? null : new ArrayList<>(idx.length);
            for (int i : idx) {
                t.add(texts.get(i));
                if (l != null) {
                    l.add(labels.get(i));
                }
            }
            double[] w = weights == null ? null : Arrays.stream(idx).mapToDouble(i -> weights[i]).toArray();
            return new Side(rows.selectRows(idx), t, l, w);
        }

        int[] of(String label) {
            return IntStream.range(0, rows.rows()).filter(i -> label.equals(labels.get(i))).toArray();
        }
    }

    /** A row where the samples differ: its index in its input (0-based), text and witness. */
    public record Row(int row, String text, double witness) {
    }

    /**
     * The figures of one test. The weighted figures are null without weights (or when every
     * weight of the label is 0); an AUC is NaN when a side has fewer than 2 rows.
     * {@code essWeighted} is the effective sample size {@code (sum w)^2 / sum w^2} of the
     * weights the weighted figures used.
     *
     * <p>The weighted figures score the weights against these real rows: weights learned against
     * the same rows ({@code align --real} the same file) are scored in-sample, and flatter the
     * alignment (see {@link #weightedBelowChance}).
     */
    public record Figures(int real, int synthetic, double mmd2, double pValue, double auc,
            Double mmd2Weighted, Double pValueWeighted, Double aucWeighted, Double essWeighted,
            List<Row> underCovered, List<Row> overRepresented) {

        /**
         * Whether the AUC (uniform) is far enough below 1/2 to suggest near-copies of real rows:
         * below {@link #COPY_AUC} and more than three null standard deviations below 1/2
         * ({@link #copyAucBound}). The fixed cut alone flagged 3.75 % of per-label tests on two
         * halves of one real set (30 to 50 rows a side, where the null's deviation is 0.08).
         */
        public boolean suggestsCopies() {
            return Double.isFinite(auc) && auc < Math.min(COPY_AUC, copyAucBound(real, synthetic));
        }

        /**
         * Whether the weighted AUC is as far below 1/2 as {@link #suggestsCopies} asks of the
         * uniform one, the synthetic side counted at the weights' effective sample size (the
         * AUC's null deviation grows as the weights concentrate). The weights then favour
         * synthetic rows next to these very real rows: weights fitted to them, which MMD
         * minimisation over a few real rows does (TREC-6, 16 real rows a label against other
         * real rows: weighted AUC 0.18 to 0.30 in 5 of 6 labels, while against 90 real rows the
         * weights were not fitted to the weighted MMD² was above the uniform one in 5 of 6), or
         * near-copies of them that the weights pick.
         */
        public boolean weightedBelowChance() {
            return aucWeighted != null && essWeighted != null
                    && TwoSampleTesting.weightedBelowChance(real, aucWeighted, essWeighted);
        }

        /** As the summary writes it (snake_case keys; NaN as null). */
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("real", real);
            m.put("synthetic", synthetic);
            m.put("mmd2", mmd2);
            m.put("p_value", pValue);
            m.put("auc", finite(auc));
            if (mmd2Weighted != null || pValueWeighted != null) {
                m.put("mmd2_weighted", mmd2Weighted);
                m.put("p_value_weighted", pValueWeighted);
                m.put("auc_weighted", aucWeighted == null ? null : finite(aucWeighted));
                m.put("ess_weighted", essWeighted);
            }
            m.put("under_covered", rows(underCovered));
            m.put("over_represented", rows(overRepresented));
            return m;
        }

        private static Double finite(double v) {
            return Double.isFinite(v) ? v : null;
        }

        private static List<Map<String, Object>> rows(List<Row> rows) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("row", r.row());
                m.put("text", r.text());
                m.put("witness", r.witness());
                out.add(m);
            }
            return out;
        }
    }

    /**
     * Every label's figures and the overall ones. A label only one file has cannot be tested on
     * its own: it is named in {@code realOnly} or {@code syntheticOnly} (its rows count in the
     * overall figures only).
     */
    public record Report(Map<String, Figures> labels, Figures overall, double bandwidth,
            boolean weighted, Options options, List<String> realOnly, List<String> syntheticOnly) {

        public Report {
            realOnly = List.copyOf(realOnly);
            syntheticOnly = List.copyOf(syntheticOnly);
        }

        /** A report in which every label is in both files. */
        public Report(Map<String, Figures> labels, Figures overall, double bandwidth, boolean weighted,
                Options options) {
            this(labels, overall, bandwidth, weighted, options, List.of(), List.of());
        }

        /** {"labels": {...}, "overall": {...}, "bandwidth", "permutations", "seed"}. */
        public Map<String, Object> json() {
            Map<String, Object> doc = new LinkedHashMap<>();
            Map<String, Object> l = new LinkedHashMap<>();
            labels.forEach((k, v) -> l.put(k, v.json()));
            doc.put("labels", l);
            doc.put("overall", overall.json());
            doc.put("bandwidth", bandwidth);
            doc.put("permutations", options.permutations());
            doc.put("seed", options.seed());
            if (!realOnly.isEmpty() || !syntheticOnly.isEmpty()) {
                doc.put("labels_in_one_file", Map.of("real", realOnly, "synthetic", syntheticOnly));
            }
            return doc;
        }
    }

    private TwoSampleTesting() {
    }

    /**
     * Tests {@code real} against {@code synthetic}, and against {@code weighted} (rows with
     * weights; often the synthetic rows themselves) when given. Labels are compared only when
     * both real and synthetic carry them; they come in the real rows' first-appearance order.
     */
    public static Report run(KernelBackend backend, Side real, Side synthetic, Side weighted,
            Options options, ProgressListener progress) {
        if (weighted != null && weighted.weights() == null) {
            throw new IllegalArgumentException("the weighted side needs weights");
        }
        if (weighted != null && Arrays.stream(weighted.weights()).sum() <= 0) {
            throw new IllegalArgumentException("the weighted side's weights are all 0");
        }
        if (progress == null) {
            progress = ProgressListener.NONE;
        }
        double sigma = WeightedMmd.bandwidth(backend, options.seed(), real.rows(), synthetic.rows());
        Map<String, Figures> labels = new LinkedHashMap<>();
        List<String> realOnly = new java.util.ArrayList<>();
        List<String> syntheticOnly = new java.util.ArrayList<>();
        if (real.labels() != null && synthetic.labels() != null) {
            java.util.Set<String> realLabels = new LinkedHashSet<>(real.labels());
            for (String label : new LinkedHashSet<>(synthetic.labels())) {
                if (!realLabels.contains(label)) {
                    syntheticOnly.add(label);
                }
            }
            for (String label : realLabels) {
                int[] si = synthetic.of(label);
                if (si.length == 0) {
                    realOnly.add(label); // no synthetic row of this label: nothing to test
                    continue;
                }
                int[] ri = real.of(label);
                int[] wi = weighted == null || weighted.labels() == null ? null : weighted.of(label);
                labels.put(label, test(backend, real, ri, synthetic, si, weighted, wi, sigma, options));
                progress.onProgress("test", labels.size(), -1, label);
            }
        }
        Figures overall = test(backend, real, all(real), synthetic, all(synthetic), weighted,
                weighted == null ? null : all(weighted), sigma, options);
        return new Report(labels, overall, sigma, weighted != null, options, realOnly, syntheticOnly);
    }

    /**
     * The synthetic rows the weighted p-value tests: distinct rows drawn by weight without
     * replacement (Efraimidis-Spirakis, {@link WeightedSampler#sample}), as many as the weights'
     * effective sample size (at least 2, at most the rows with a positive weight). A draw of as
     * many rows with replacement repeated rows, which raised the within-synthetic kernel mean
     * that the permutations then split up: under the null (uniform weights on a random half of
     * the real rows) it rejected in 86 % of tests at 0.05. Uniform weights now draw every row,
     * so the weighted test is the unweighted one.
     */
    static int[] weightedDraw(double[] w, long seed) {
        long support = Arrays.stream(w).filter(v -> v > 0).count();
        double ess = WeightedMmd.effectiveSampleSize(w);
        int n = (int) Math.max(Math.min(2, support), Math.min(support, Math.round(ess)));
        return WeightedSampler.sample(w, n, seed);
    }

    private static int[] all(Side s) {
        return IntStream.range(0, s.rows().rows()).toArray();
    }

    private static Figures test(KernelBackend backend, Side real, int[] ri, Side synth, int[] si,
            Side weighted, int[] wi, double sigma, Options o) {
        long seed = o.seed() ^ (31L * ri.length + si.length);
        int[] rk = pick(ri, cap(ri.length, o.maxRows(), seed + 1));
        int[] sk = pick(si, cap(si.length, o.maxRows(), seed + 2));
        FloatMatrix x = real.rows().selectRows(rk);
        FloatMatrix y = synth.rows().selectRows(sk);
        MmdPermutationTest.Result uniform = MmdPermutationTest.test(backend, x, y, sigma, o.permutations(), seed);
        double auc = ClassifierTwoSampleTest.test(x, y, ClassifierTwoSampleTest.DEFAULT_FOLDS,
                ClassifierTwoSampleTest.DEFAULT_L2, seed + 5).auc();
        Double mmd2W = null;
        Double pW = null;
        Double aucW = null;
        Double essW = null;
        // The witness compares the real rows with what the user will train on: the weighted
        // rows when given, else the synthetic rows as they are.
        int[] witnessRows = sk;
        Side witnessSide = synth;
        double[] witnessWeights = null;
        if (wi != null && wi.length > 0) {
            int[] wk = pick(wi, cap(wi.length, o.maxRows(), seed + 4));
            double[] w = Arrays.stream(wk).mapToDouble(i -> weighted.weights()[i]).toArray();
            if (Arrays.stream(w).sum() > 0) {
                FloatMatrix wy = weighted.rows().selectRows(wk);
                mmd2W = WeightedMmd.mmd2(backend, wy, w, x, sigma);
                FloatMatrix resample = wy.selectRows(weightedDraw(w, seed + 3));
                pW = MmdPermutationTest.test(backend, x, resample, sigma, o.permutations(), seed).pValue();
                aucW = ClassifierTwoSampleTest.test(x, wy, w, ClassifierTwoSampleTest.DEFAULT_FOLDS,
                        ClassifierTwoSampleTest.DEFAULT_L2, seed + 5).auc();
                essW = WeightedMmd.effectiveSampleSize(w);
                witnessRows = wk;
                witnessSide = weighted;
                witnessWeights = w;
            }
        }
        List<Row> under = List.of();
        List<Row> over = List.of();
        if (o.witnessRows() > 0) {
            FloatMatrix wy = witnessSide.rows().selectRows(witnessRows);
            double[] fx = MmdWitness.values(backend, x, x, wy, witnessWeights, sigma);
            double[] fy = MmdWitness.values(backend, wy, x, wy, witnessWeights, sigma);
            under = rows(real, rk, fx, MmdWitness.largest(fx, o.witnessRows(), null));
            double[] negated = Arrays.stream(fy).map(v -> -v).toArray();
            boolean[] eligible = null;
            if (witnessWeights != null) {
                eligible = new boolean[witnessWeights.length];
                for (int i = 0; i < eligible.length; i++) {
                    eligible[i] = witnessWeights[i] > 0;
                }
            }
            over = rows(witnessSide, witnessRows, fy, MmdWitness.largest(negated, o.witnessRows(), eligible));
        }
        return new Figures(ri.length, si.length, uniform.mmd2(), uniform.pValue(), auc, mmd2W, pW,
                aucW, essW, under, over);
    }

    private static List<Row> rows(Side side, int[] rows, double[] witness, int[] picked) {
        List<Row> out = new ArrayList<>();
        for (int p : picked) {
            out.add(new Row(rows[p], side.texts().get(rows[p]), witness[p]));
        }
        return out;
    }

    private static int[] pick(int[] from, int[] positions) {
        int[] out = new int[positions.length];
        for (int i = 0; i < positions.length; i++) {
            out[i] = from[positions[i]];
        }
        return out;
    }

    /** Every position, or a seeded subsample of {@code max} of them in order. */
    private static int[] cap(int n, int max, long seed) {
        if (n <= max) {
            return IntStream.range(0, n).toArray();
        }
        long[] picked = MedianHeuristic.sampleWithoutReplacement(n, max, new SplittableRandom(seed));
        return Arrays.stream(picked).mapToInt(v -> (int) v).sorted().toArray();
    }
}
