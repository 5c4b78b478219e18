package io.synalign.evaluation;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.retrieval.FiniteCorpus;
import io.synalign.engine.retrieval.InnerProductSearch;
import io.synalign.engine.retrieval.RankingMetrics;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A student retriever over frozen sentence embeddings: the passages keep their embeddings, the
 * queries pass through a trainable projection {@code f(q) = q + U (V^T q)} of rank r (a
 * low-rank update of the identity, so training starts from the frozen encoder, the zero-shot
 * retriever), and a passage's score is {@code f(q) . p}.
 *
 * <p>Training: the contrastive (InfoNCE) loss of each (query, positive passage) pair against
 * the other positives of its minibatch and its own mined hard negatives, at temperature tau,
 * each row's term multiplied by its weight (weights scaled to mean 1); in-batch candidates that
 * are the row's own positive passage are masked. Adam on U and V with an L2 penalty on both;
 * U starts at 0 and V at N(0, 1/d), seeded. After each epoch the MRR@10 of the held-out real
 * queries over the whole corpus is measured (exact search); training stops after
 * {@code patience} epochs without a gain and the best epoch's parameters are kept.
 *
 * <p>Cost per epoch: O(n (r d + (B + h) d)) for n rows, batch B, h hard negatives, plus one
 * exact search of the held-out queries (O(v N d)).
 */
public final class RetrieverStudent {

    /**
     * Settings of the student.
     *
     * @param rank rank r of the projection's update, at least 1
     * @param maxEpochs most epochs, at least 1
     * @param patience epochs without a held-out gain before stopping, at least 1
     * @param batchSize rows per minibatch (in-batch negatives), at least 1
     * @param learningRate Adam step size, positive
     * @param temperature softmax temperature tau, positive
     * @param l2 penalty on U and V, at least 0
     */
    public record Config(int rank, int maxEpochs, int patience, int batchSize, double learningRate,
            double temperature, double l2) {

        public Config {
            if (rank < 1 || maxEpochs < 1 || patience < 1 || batchSize < 1) {
                throw new IllegalArgumentException("rank, epochs, patience and batch size must be"
                        + " at least 1: " + rank + ", " + maxEpochs + ", " + patience + ", " + batchSize);
            }
            if (!(learningRate > 0) || !(temperature > 0) || !(l2 >= 0)) {
                throw new IllegalArgumentException("learning rate and temperature must be positive"
                        + " and l2 at least 0: " + learningRate + ", " + temperature + ", " + l2);
            }
        }

        /** Rank 32, 30 epochs, patience 3, batch 32, step 1e-3, tau 0.05, l2 1e-4. */
        /** The default most epochs per training. */
        public static final int DEFAULT_MAX_EPOCHS = 30;
        /** The default early-stopping patience, in epochs. */
        public static final int DEFAULT_PATIENCE = 3;

        public static Config defaults() {
            return new Config(32, DEFAULT_MAX_EPOCHS, DEFAULT_PATIENCE, 32, 1e-3, 0.05, 1e-4);
        }

        public Config withMaxEpochs(int n) {
            return new Config(rank, n, patience, batchSize, learningRate, temperature, l2);
        }
    }

    /**
     * The training data.
     *
     * @param queries n x d training query embeddings
     * @param positives the corpus row of each query's passage
     * @param weights each row's weight (null: all 1)
     * @param hardNegatives per row, corpus rows to contrast with (may be empty)
     */
    public record Training(FloatMatrix queries, int[] positives, double[] weights, int[][] hardNegatives) {
    }

    /**
     * Held-out queries for early stopping: embeddings and the relevant corpus rows of each.
     */
    public record HeldOut(FloatMatrix queries, List<Map<Integer, Integer>> judgements) {
    }

    private final int dim;
    private final int rank;
    private final double[] u;
    private final double[] v;
    private final int epochs;
    private final int bestEpoch;

    private RetrieverStudent(int dim, int rank, double[] u, double[] v, int epochs, int bestEpoch) {
        this.dim = dim;
        this.rank = rank;
        this.u = u;
        this.v = v;
        this.epochs = epochs;
        this.bestEpoch = bestEpoch;
    }

    /** The untrained projection: the identity (the frozen encoder). */
    public static RetrieverStudent zeroShot(int dim) {
        return new RetrieverStudent(dim, 1, new double[dim], new double[dim], 0, 0);
    }

    /** Epochs run and the epoch whose parameters were kept (1-based; 0: none). */
    public int epochs() {
        return epochs;
    }

    public int bestEpoch() {
        return bestEpoch;
    }

    /**
     * Trains on {@code data}, stopping early on {@code heldOut}. The passages come checked finite
     * once ({@link FiniteCorpus}): the held-out queries search them after every epoch.
     */
    public static RetrieverStudent train(KernelBackend backend, FiniteCorpus corpus, Training data,
            HeldOut heldOut, Config config, long seed) {
        FloatMatrix passages = corpus.rows();
        int d = passages.cols();
        int n = data.queries().rows();
        int r = config.rank();
        SplittableRandom random = new SplittableRandom(seed);
        double[] u = new double[d * r];
        double[] v = new double[d * r];
        for (int i = 0; i < v.length; i++) {
            v[i] = nextGaussian(random) / Math.sqrt(d);
        }
        double[] w = scaledWeights(data.weights(), n);
        Adam adamU = new Adam(u.length, config.learningRate());
        Adam adamV = new Adam(v.length, config.learningRate());
        double best = heldOut == null ? Double.NaN
                : mrr(backend, new RetrieverStudent(d, r, u, v, 0, 0), corpus, heldOut);
        double[] bestU = u.clone();
        double[] bestV = v.clone();
        int bestEpoch = 0;
        int since = 0;
        int epoch = 0;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[] gu = new double[u.length];
        double[] gv = new double[v.length];
        while (epoch < config.maxEpochs()) {
            epoch++;
            shuffle(order, random);
            for (int start = 0; start < n; start += config.batchSize()) {
                int end = Math.min(n, start + config.batchSize());
                java.util.Arrays.fill(gu, 0);
                java.util.Arrays.fill(gv, 0);
                double batchWeight = 0;
                for (int b = start; b < end; b++) {
                    batchWeight += w[order[b]];
                }
                if (batchWeight <= 0) {
                    continue;
                }
                for (int b = start; b < end; b++) {
                    int row = order[b];
                    if (w[row] > 0) {
                        accumulate(passages, data, order, start, end, row, w[row] / batchWeight,
                                config.temperature(), u, v, r, gu, gv);
                    }
                }
                for (int i = 0; i < u.length; i++) {
                    gu[i] += 2 * config.l2() * u[i];
                    gv[i] += 2 * config.l2() * v[i];
                }
                adamU.step(u, gu);
                adamV.step(v, gv);
            }
            if (heldOut == null) {
                bestU = u.clone();
                bestV = v.clone();
                bestEpoch = epoch;
                continue;
            }
            double score = mrr(backend, new RetrieverStudent(d, r, u, v, 0, 0), corpus, heldOut);
            if (score > best + 1e-9) {
                best = score;
                bestU = u.clone();
                bestV = v.clone();
                bestEpoch = epoch;
                since = 0;
            } else if (++since >= config.patience()) {
                break;
            }
        }
        return new RetrieverStudent(d, r, bestU, bestV, epoch, bestEpoch);
    }

    /** Row weights scaled to mean 1 (null: all 1). */
    private static double[] scaledWeights(double[] weights, int n) {
        double[] w = new double[n];
        if (weights == null) {
            java.util.Arrays.fill(w, 1);
            return w;
        }
        double sum = 0;
        for (double x : weights) {
            sum += x;
        }
        for (int i = 0; i < n; i++) {
            w[i] = sum > 0 ? weights[i] * n / sum : 0;
        }
        return w;
    }

    /**
     * Adds one row's loss gradient, scaled by {@code scale}, to gu and gv, and returns the row's
     * scaled loss {@code -scale log softmax_positive}. With
     * {@code z = V^T q}, {@code f = q + U z}, logits {@code f . x_c / tau} over the candidates
     * x_c, and {@code g = sum_c (softmax_c - [c = positive]) x_c / tau}: dL/dU = g z^T and
     * dL/dV = q (U^T g)^T.
     */
    static double accumulate(FloatMatrix passages, Training data, int[] order, int start,
            int end, int row, double scale, double tau, double[] u, double[] v, int r,
            double[] gu, double[] gv) {
        int d = passages.cols();
        float[] q = data.queries().data();
        int qo = row * d;
        double[] z = new double[r];
        for (int a = 0; a < d; a++) {
            double qa = q[qo + a];
            for (int k = 0; k < r; k++) {
                z[k] += v[a * r + k] * qa;
            }
        }
        double[] f = new double[d];
        for (int a = 0; a < d; a++) {
            double s = q[qo + a];
            for (int k = 0; k < r; k++) {
                s += u[a * r + k] * z[k];
            }
            f[a] = s;
        }
        int positive = data.positives()[row];
        int[] hard = data.hardNegatives() == null ? new int[0] : data.hardNegatives()[row];
        int count = (end - start) + hard.length;
        int[] cand = new int[count];
        double[] logit = new double[count];
        boolean[] masked = new boolean[count];
        int c = 0;
        for (int b = start; b < end; b++) {
            int p = data.positives()[order[b]];
            cand[c] = p;
            masked[c] = p == positive && order[b] != row; // another row's copy of our positive
            c++;
        }
        for (int h : hard) {
            cand[c] = h;
            masked[c] = h == positive;
            c++;
        }
        float[] pd = passages.data();
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            if (masked[i]) {
                continue;
            }
            double s = 0;
            int po = cand[i] * d;
            for (int a = 0; a < d; a++) {
                s += f[a] * pd[po + a];
            }
            logit[i] = s / tau;
            max = Math.max(max, logit[i]);
        }
        double total = 0;
        for (int i = 0; i < count; i++) {
            if (!masked[i]) {
                logit[i] = Math.exp(logit[i] - max);
                total += logit[i];
            }
        }
        double[] g = new double[d];
        int self = -1;
        for (int b = start; b < end; b++) {
            if (order[b] == row) {
                self = b - start;
            }
        }
        double loss = -scale * Math.log(logit[self] / total);
        for (int i = 0; i < count; i++) {
            if (masked[i]) {
                continue;
            }
            double coef = (logit[i] / total - (i == self ? 1 : 0)) / tau * scale;
            int po = cand[i] * d;
            for (int a = 0; a < d; a++) {
                g[a] += coef * pd[po + a];
            }
        }
        double[] ug = new double[r];
        for (int a = 0; a < d; a++) {
            for (int k = 0; k < r; k++) {
                gu[a * r + k] += g[a] * z[k];
                ug[k] += u[a * r + k] * g[a];
            }
        }
        for (int a = 0; a < d; a++) {
            double qa = q[qo + a];
            for (int k = 0; k < r; k++) {
                gv[a * r + k] += qa * ug[k];
            }
        }
        return loss;
    }

    /** The projected queries {@code q + U (V^T q)}, as float32 rows. */
    public FloatMatrix project(FloatMatrix queries) {
        int n = queries.rows();
        float[] out = new float[n * dim];
        float[] q = queries.data();
        double[] z = new double[rank];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(z, 0);
            for (int a = 0; a < dim; a++) {
                for (int k = 0; k < rank; k++) {
                    z[k] += v[a * rank + k] * q[i * dim + a];
                }
            }
            for (int a = 0; a < dim; a++) {
                double s = q[i * dim + a];
                for (int k = 0; k < rank; k++) {
                    s += u[a * rank + k] * z[k];
                }
                out[i * dim + a] = (float) s;
            }
        }
        return new FloatMatrix(n, dim, out);
    }

    /** Mean MRR@10 of the held-out queries over the whole corpus. */
    private static double mrr(KernelBackend backend, RetrieverStudent s, FiniteCorpus corpus,
            HeldOut heldOut) {
        int k = Math.min(RetrievalEvaluation.MRR_CUTOFF, corpus.rows().rows());
        InnerProductSearch.Hits hits = InnerProductSearch.search(backend, s.project(heldOut.queries()),
                corpus, k, null, ProgressListener.NONE);
        double sum = 0;
        for (int i = 0; i < heldOut.queries().rows(); i++) {
            int[] ranked = java.util.Arrays.copyOfRange(hits.indices(), i * k, i * k + k);
            sum += RankingMetrics.reciprocalRank(ranked, heldOut.judgements().get(i),
                    RetrievalEvaluation.MRR_CUTOFF);
        }
        return sum / Math.max(1, heldOut.queries().rows());
    }

    private static void shuffle(int[] a, SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static double nextGaussian(SplittableRandom random) {
        // Box-Muller: SplittableRandom has no nextGaussian before Java 17's RandomGenerator default.
        double u1 = 1 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Adam (Kingma &amp; Ba 2015) with the usual betas 0.9, 0.999 and epsilon 1e-8. */
    private static final class Adam {
        private final double[] m;
        private final double[] s;
        private final double rate;
        private int t;

        Adam(int size, double rate) {
            this.m = new double[size];
            this.s = new double[size];
            this.rate = rate;
        }

        void step(double[] x, double[] g) {
            t++;
            double c1 = 1 - Math.pow(0.9, t);
            double c2 = 1 - Math.pow(0.999, t);
            for (int i = 0; i < x.length; i++) {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                s[i] = 0.999 * s[i] + 0.001 * g[i] * g[i];
                x[i] -= rate * (m[i] / c1) / (Math.sqrt(s[i] / c2) + 1e-8);
            }
        }
    }
}
