package io.synalign.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The student retriever: its analytic gradient against central finite differences of its own
 * loss, and training that recovers a distortion between queries and passages that the frozen
 * encoder does not undo.
 */
class RetrieverStudentTest {

    private static FloatMatrix gaussian(int n, int d, Random r, boolean unit) {
        float[] v = new float[n * d];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int t = 0; t < d; t++) {
                v[i * d + t] = (float) r.nextGaussian();
                norm += v[i * d + t] * v[i * d + t];
            }
            if (unit) {
                for (int t = 0; t < d; t++) {
                    v[i * d + t] /= (float) Math.sqrt(norm);
                }
            }
        }
        return new FloatMatrix(n, d, v);
    }

    @Test
    void theGradientMatchesFiniteDifferencesOfTheLoss() {
        Random random = new Random(3);
        int d = 6;
        int r = 2;
        FloatMatrix passages = gaussian(9, d, random, true);
        FloatMatrix queries = gaussian(5, d, random, true);
        // Rows 0 and 3 share passage 2: in-batch masking is exercised.
        int[] positives = {2, 4, 7, 2, 0};
        int[][] hard = {{1, 5}, {3}, {}, {8, 2}, {6, 1}};
        RetrieverStudent.Training data = new RetrieverStudent.Training(queries, positives, null, hard);
        int[] order = {4, 0, 3, 1, 2};
        double[] u = new double[d * r];
        double[] v = new double[d * r];
        for (int i = 0; i < u.length; i++) {
            u[i] = 0.3 * random.nextGaussian();
            v[i] = 0.3 * random.nextGaussian();
        }
        double tau = 0.2;
        double[] gu = new double[u.length];
        double[] gv = new double[v.length];
        for (int b = 0; b < 4; b++) { // one batch of rows order[0..4)
            RetrieverStudent.accumulate(passages, data, order, 0, 4, order[b], 0.25, tau, u, v, r, gu, gv);
        }
        double h = 1e-6;
        for (double[][] pair : new double[][][] {{u, gu}, {v, gv}}) {
            double[] x = pair[0];
            for (int i = 0; i < x.length; i++) {
                double keep = x[i];
                x[i] = keep + h;
                double up = loss(passages, data, order, u, v, r, tau);
                x[i] = keep - h;
                double down = loss(passages, data, order, u, v, r, tau);
                x[i] = keep;
                double numeric = (up - down) / (2 * h);
                assertEquals(numeric, pair[1][i], 1e-6 * Math.max(1, Math.abs(numeric)), "parameter " + i);
            }
        }
    }

    private static double loss(FloatMatrix passages, RetrieverStudent.Training data, int[] order, double[] u,
            double[] v, int r, double tau) {
        double total = 0;
        double[] scratchU = new double[u.length];
        double[] scratchV = new double[v.length];
        for (int b = 0; b < 4; b++) {
            total += RetrieverStudent.accumulate(passages, data, order, 0, 4, order[b], 0.25, tau, u, v, r,
                    scratchU, scratchV);
        }
        return total;
    }

    @Test
    void trainingUndoesADistortionTheFrozenEncoderMisses() {
        Random random = new Random(5);
        int d = 16;
        int n = 120;
        FloatMatrix passages = gaussian(n, d, random, true);
        // Queries: the passage seen through a fixed rotation of the first 8 coordinates
        // (a permutation with sign flips) plus noise: zero-shot cosine finds few of them.
        int[] perm = {3, 0, 6, 1, 7, 2, 5, 4};
        int queriesPerPassage = 3;
        int rows = n * queriesPerPassage;
        float[] q = new float[rows * d];
        int[] pos = new int[rows];
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            int p = i % n;
            pos[i] = p;
            texts.add("q" + i);
            for (int t = 0; t < d; t++) {
                float base = t < 8 ? -passages.get(p, perm[t]) : passages.get(p, t);
                q[i * d + t] = base + (float) (0.15 * random.nextGaussian());
            }
        }
        FloatMatrix queries = new FloatMatrix(rows, d, q);
        // Test on fresh queries of the same passages.
        int tests = n;
        float[] tq = new float[tests * d];
        List<Map<Integer, Integer>> judged = new ArrayList<>();
        for (int i = 0; i < tests; i++) {
            for (int t = 0; t < d; t++) {
                float base = t < 8 ? -passages.get(i, perm[t]) : passages.get(i, t);
                tq[i * d + t] = base + (float) (0.15 * random.nextGaussian());
            }
            Map<Integer, Integer> j = new HashMap<>();
            j.put(i, 1);
            judged.add(j);
        }
        RetrievalEvaluation.TestQueries test = new RetrievalEvaluation.TestQueries(new FloatMatrix(tests, d, tq), judged);
        try (KernelBackend backend = KernelBackends.create("reference")) {
            RetrievalEvaluation.Options options = new RetrievalEvaluation.Options(
                    new RetrieverStudent.Config(8, 40, 5, 16, 1e-2, 0.1, 0.0), 2, 11);
            List<RetrievalEvaluation.Variant> variants = RetrievalEvaluation.evaluate(backend, passages,
                    new RetrievalEvaluation.Queries(queries, pos, texts, null), null, null, test, options,
                    ProgressListener.NONE);
            assertEquals(List.of("zero_shot", "real"), variants.stream().map(RetrievalEvaluation.Variant::name).toList());
            double zero = variants.get(0).metrics().get("mrr@10").mean();
            double trained = variants.get(1).metrics().get("mrr@10").mean();
            assertTrue(zero < 0.6, "the distortion hides most passages from the frozen encoder: " + zero);
            assertTrue(trained > zero + 0.2, "trained " + trained + " vs zero-shot " + zero);
            assertEquals(2, variants.get(1).metrics().get("mrr@10").values().size(), "one value per repeat");
            // Seeded: the same evaluation gives the same numbers.
            List<RetrievalEvaluation.Variant> again = RetrievalEvaluation.evaluate(backend, passages,
                    new RetrievalEvaluation.Queries(queries, pos, texts, null), null, null, test, options,
                    ProgressListener.NONE);
            assertEquals(variants.get(1).metrics(), again.get(1).metrics());
        }
    }

    @Test
    void theZeroShotStudentIsTheIdentity() {
        FloatMatrix q = gaussian(4, 7, new Random(1), false);
        assertArrayEquals(q.data(), RetrieverStudent.zeroShot(7).project(q).data());
    }
}
