package io.synalign.engine.twosample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The classifier two-sample test against the procedure its class comment describes, written out
 * in the test in double (mutation testing, helper pit28): folds by a seeded shuffle per class,
 * per-column standardisation by the training part's mean and deviation, class-balanced weights,
 * the L2-penalised logistic regression minimised by Newton's method (not L-BFGS) to round-off,
 * out-of-fold scores and the weighted pairwise AUC. Also the settings' checks, rows of weight 0
 * left out, positive weights that decide the AUC, and L-BFGS's convergence on an ill-conditioned
 * loss within a bounded number of iterations.
 */
class ClassifierTwoSampleOracleTest {

    /**
     * Rows with columns of very different offsets and scales (30 + 0.01 g, 1000 g, -7 + 3 g, g,
     * and one correlated with the fourth), Y shifted by 0.4 deviations in three of them: the
     * standardisation decides how the penalty falls on each column.
     */
    private static FloatMatrix rows(int n, boolean shifted, Random r) {
        float[] data = new float[n * 5];
        for (int i = 0; i < n; i++) {
            double g3 = r.nextGaussian();
            double[] v = {
                30 + 0.01 * r.nextGaussian() + (shifted ? 0.004 : 0),
                1000 * r.nextGaussian(),
                -7 + 3 * r.nextGaussian() + (shifted ? 1.2 : 0),
                g3,
                0.2 * r.nextGaussian() + 0.1 * g3 + (shifted ? 0.09 : 0)};
            for (int j = 0; j < 5; j++) {
                data[i * 5 + j] = (float) v[j];
            }
        }
        return new FloatMatrix(n, 5, data);
    }

    /** Rows [from, to) in folds 0..k-1 after a Fisher-Yates shuffle on {@code random}. */
    private static void folds(int[] fold, int from, int to, int k, SplittableRandom random) {
        int[] order = IntStream.range(from, to).toArray();
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int p = 0; p < order.length; p++) {
            fold[order[p]] = p % k;
        }
    }

    /**
     * The out-of-fold scores of the procedure, in double: rows of X are 0..n-1, of Y n..n+m-1;
     * {@code w} the weights of Y's rows (all positive) or null.
     */
    static double[] oracleScores(FloatMatrix x, FloatMatrix y, double[] w, int folds, double l2, long seed) {
        int n = x.rows();
        int m = y.rows();
        int d = x.cols();
        int total = n + m;
        int k = Math.min(folds, Math.min(n, m));
        int[] fold = new int[total];
        SplittableRandom random = new SplittableRandom(seed);
        folds(fold, 0, n, k, random);
        folds(fold, n, total, k, random);
        double[][] all = new double[total][d];
        double[] rowWeight = new double[total];
        for (int i = 0; i < total; i++) {
            for (int j = 0; j < d; j++) {
                all[i][j] = i < n ? x.get(i, j) : y.get(i - n, j);
            }
            rowWeight[i] = i < n || w == null ? 1 : w[i - n];
        }
        double[] scores = new double[total];
        for (int f = 0; f < k; f++) {
            int ff = f;
            int[] train = IntStream.range(0, total).filter(i -> fold[i] != ff).toArray();
            int nt = train.length;
            double[] mean = new double[d];
            double[] scale = new double[d];
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int t : train) {
                    s += all[t][j];
                }
                mean[j] = s / nt;
                double q = 0;
                for (int t : train) {
                    q += (all[t][j] - mean[j]) * (all[t][j] - mean[j]);
                }
                double sd = Math.sqrt(q / nt);
                scale[j] = sd > 1e-12 ? sd : 1;
            }
            double pos = 0;
            double neg = 0;
            for (int t : train) {
                if (t < n) {
                    pos += rowWeight[t];
                } else {
                    neg += rowWeight[t];
                }
            }
            double[][] z = new double[nt][d + 1]; // standardised, then 1 for the intercept
            double[] target = new double[nt];
            double[] weight = new double[nt];
            for (int a = 0; a < nt; a++) {
                int t = train[a];
                for (int j = 0; j < d; j++) {
                    z[a][j] = (all[t][j] - mean[j]) / scale[j];
                }
                z[a][d] = 1;
                target[a] = t < n ? 1 : 0;
                weight[a] = 0.5 * rowWeight[t] / (t < n ? pos : neg);
            }
            double[] theta = newton(z, target, weight, l2);
            for (int i = 0; i < total; i++) {
                if (fold[i] == f) {
                    double s = theta[d];
                    for (int j = 0; j < d; j++) {
                        s += theta[j] * (all[i][j] - mean[j]) / scale[j];
                    }
                    scores[i] = s;
                }
            }
        }
        return scores;
    }

    /**
     * argmin of sum_t weight_t log(1 + exp(-(2 target_t - 1) theta.z_t)) + (l2 / 2) |theta without
     * its last entry|^2 by Newton's method with step halving, to a gradient of 1e-13.
     */
    private static double[] newton(double[][] z, double[] target, double[] weight, double l2) {
        int p = z[0].length;
        double[] theta = new double[p];
        for (int iter = 0; iter < 200; iter++) {
            double[] g = new double[p];
            double[][] h = new double[p][p];
            for (int t = 0; t < z.length; t++) {
                double s = dot(theta, z[t]);
                double prob = 1 / (1 + Math.exp(-s));
                for (int a = 0; a < p; a++) {
                    g[a] += weight[t] * (prob - target[t]) * z[t][a];
                    for (int b = 0; b < p; b++) {
                        h[a][b] += weight[t] * prob * (1 - prob) * z[t][a] * z[t][b];
                    }
                }
            }
            for (int a = 0; a < p - 1; a++) {
                g[a] += l2 * theta[a];
                h[a][a] += l2;
            }
            if (Math.sqrt(dot(g, g)) < 1e-13) {
                return theta;
            }
            double[] step = solve(h, g);
            double before = loss(z, target, weight, l2, theta);
            double lambda = 1;
            double[] next = new double[p];
            do {
                for (int a = 0; a < p; a++) {
                    next[a] = theta[a] - lambda * step[a];
                }
                lambda /= 2;
            } while (loss(z, target, weight, l2, next) > before && lambda > 1e-10);
            theta = next.clone();
        }
        return theta;
    }

    private static double loss(double[][] z, double[] target, double[] weight, double l2, double[] theta) {
        double l = 0;
        for (int t = 0; t < z.length; t++) {
            double margin = (2 * target[t] - 1) * dot(theta, z[t]);
            l += weight[t] * (margin > 0 ? Math.log1p(Math.exp(-margin)) : -margin + Math.log1p(Math.exp(margin)));
        }
        for (int a = 0; a < theta.length - 1; a++) {
            l += 0.5 * l2 * theta[a] * theta[a];
        }
        return l;
    }

    /** h^-1 g by Gaussian elimination with partial pivoting. */
    private static double[] solve(double[][] h, double[] g) {
        int p = g.length;
        double[][] a = new double[p][p + 1];
        for (int i = 0; i < p; i++) {
            System.arraycopy(h[i], 0, a[i], 0, p);
            a[i][p] = g[i];
        }
        for (int c = 0; c < p; c++) {
            int pivot = c;
            for (int r = c + 1; r < p; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) {
                    pivot = r;
                }
            }
            double[] tmp = a[c];
            a[c] = a[pivot];
            a[pivot] = tmp;
            for (int r = c + 1; r < p; r++) {
                double f = a[r][c] / a[c][c];
                for (int j = c; j <= p; j++) {
                    a[r][j] -= f * a[c][j];
                }
            }
        }
        double[] out = new double[p];
        for (int r = p - 1; r >= 0; r--) {
            double s = a[r][p];
            for (int j = r + 1; j < p; j++) {
                s -= a[r][j] * out[j];
            }
            out[r] = s / a[r][r];
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /**
     * The weighted AUC of the oracle's scores by pairwise count, with every pair whose scores lie
     * within {@code slack} counted as a loss for the low bound and a win for the high one (L-BFGS
     * stops at a gradient of 1e-6, so its scores may order such a pair either way).
     */
    private static double[] aucBounds(double[] s, int n, double[] w, double slack) {
        double low = 0;
        double high = 0;
        double pairs = 0;
        for (int a = 0; a < n; a++) {
            for (int b = n; b < s.length; b++) {
                double pw = w == null ? 1 : w[b - n];
                pairs += pw;
                if (Math.abs(s[a] - s[b]) <= slack) {
                    high += pw;
                } else if (s[a] > s[b]) {
                    low += pw;
                    high += pw;
                }
            }
        }
        return new double[] {low / pairs, high / pairs};
    }

    @Test
    void theAucIsThatOfTheProcedureWrittenOutInDouble() {
        Random r = new Random(29);
        FloatMatrix x = rows(37, false, r);
        FloatMatrix y = rows(29, true, r);
        double[] w = new double[y.rows()];
        for (int j = 0; j < w.length; j++) {
            w[j] = 0.2 + 1.8 * r.nextDouble();
        }
        for (double[] weights : new double[][] {null, w}) {
            for (double l2 : new double[] {1e-2, 1.0}) {
                for (int folds : new int[] {2, 5}) {
                    double[] scores = oracleScores(x, y, weights, folds, l2, 13);
                    double[] bounds = aucBounds(scores, x.rows(), weights, 2e-3);
                    ClassifierTwoSampleTest.Result got = ClassifierTwoSampleTest.test(x, y, weights, folds, l2, 13);
                    String what = (weights == null ? "uniform" : "weighted") + ", l2 " + l2 + ", " + folds
                            + " folds";
                    assertEquals(folds, got.folds(), what);
                    assertTrue(got.auc() >= bounds[0] - 1e-12 && got.auc() <= bounds[1] + 1e-12,
                            what + ": AUC " + got.auc() + ", the procedure's " + Arrays.toString(bounds));
                    assertTrue(bounds[1] - bounds[0] < 0.02, what + ": too many near ties " + Arrays.toString(bounds));
                }
            }
        }
    }

    @Test
    void settingsAreCheckedAndTheirBoundariesAccepted() {
        Random r = new Random(5);
        FloatMatrix x = rows(6, false, r);
        FloatMatrix y = rows(9, true, r);
        for (double l2 : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> ClassifierTwoSampleTest.test(x, y, 5, l2, 0)).getMessage();
            assertTrue(m.contains("L2") && m.contains(String.valueOf(l2)), m);
        }
        assertEquals(2, ClassifierTwoSampleTest.test(x, y, 2, 1e-2, 0).folds(), "2 folds are folds");
        // Two real rows: two folds, each holding one out.
        var two = ClassifierTwoSampleTest.test(x.rowRange(0, 2), y, 5, 1e-2, 0);
        assertEquals(2, two.folds());
        assertTrue(Double.isFinite(two.auc()), "AUC " + two.auc());
        for (double bad : new double[] {-0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            double[] w = new double[y.rows()];
            Arrays.fill(w, 1);
            w[4] = bad;
            String m = assertThrows(IllegalArgumentException.class,
                    () -> ClassifierTwoSampleTest.test(x, y, w, 5, 1e-2, 0)).getMessage();
            assertTrue(m.contains("weight 4 is " + bad), m);
        }
    }

    /** Rows of weight 0 are left out: the same result, bit for bit, as without those rows. */
    @Test
    void rowsOfWeightZeroAreLeftOut() {
        Random r = new Random(41);
        FloatMatrix x = rows(31, false, r);
        FloatMatrix y = rows(43, true, r);
        double[] w = new double[y.rows()];
        int[] kept = IntStream.range(0, y.rows()).filter(j -> j % 3 != 1).toArray();
        for (int j : kept) {
            w[j] = 0.5 + r.nextDouble();
        }
        double[] keptWeights = Arrays.stream(kept).mapToDouble(j -> w[j]).toArray();
        var with = ClassifierTwoSampleTest.test(x, y, w, 5, 1e-2, 3);
        var without = ClassifierTwoSampleTest.test(x, y.selectRows(kept), keptWeights, 5, 1e-2, 3);
        assertEquals(Double.doubleToRawLongBits(without.auc()), Double.doubleToRawLongBits(with.auc()),
                with.auc() + " vs " + without.auc());
    }

    /**
     * Positive weights decide the AUC: the synthetic rows that match the real ones weigh 1e-3
     * each, the shifted ones 1e-9 (the first synthetic row among them, far out), so the weighted
     * distribution is the matching one and the AUC near 1/2; weighing any of them 1, as if
     * unweighted, would put it near 1.
     */
    @Test
    void smallPositiveWeightsKeepTheirRowsOutOfTheAuc() {
        Random r = new Random(23);
        int d = 4;
        int m = 300;
        float[] real = new float[240 * d];
        for (int i = 0; i < real.length; i++) {
            real[i] = (float) r.nextGaussian();
        }
        float[] synth = new float[m * d];
        double[] w = new double[m];
        for (int j = 0; j < m; j++) {
            boolean off = j == 0 || j % 2 == 1;
            double shift = j == 0 ? 6 : off ? 1.5 : 0;
            for (int c = 0; c < d; c++) {
                synth[j * d + c] = (float) (shift + r.nextGaussian());
            }
            w[j] = off ? 1e-9 : 1e-3;
        }
        FloatMatrix x = new FloatMatrix(240, d, real);
        FloatMatrix y = new FloatMatrix(m, d, synth);
        double unweighted = ClassifierTwoSampleTest.test(x, y, 5, 1e-2, 4).auc();
        double weighted = ClassifierTwoSampleTest.test(x, y, w, 5, 1e-2, 4).auc();
        assertTrue(unweighted > 0.7, "half the synthetic rows are shifted: " + unweighted);
        assertTrue(Math.abs(weighted - 0.5) < 0.08, "the weights keep the matching rows: " + weighted);
    }

    /**
     * L-BFGS on a logistic loss whose columns' scales span 1e-1 to 1e1 (unstandardised, so the
     * Hessian's condition number is about 1e4; penalty 1e-3): it reaches the gradient tolerance
     * 1e-6, and in a bounded number of iterations (counted through its stop question, not timed;
     * a steepest descent, which a broken two-loop recursion or curvature memory degrades it to,
     * needs of the order of the condition number). At scales 1e-2 to 1e2 and penalty 1e-4
     * (condition about 1e8) L-BFGS itself ends at the cap of 300 with a gradient of 1.6e-5:
     * the inputs it gets are standardised.
     */
    @Test
    void lbfgsConvergesOnAnIllConditionedLossInFewIterations() {
        Random r = new Random(31);
        int n = 211;
        double[] scales = {10, 0.1, 1, 3, 0.3, 1};
        int d = scales.length;
        double[][] z = new double[n][d];
        double[] t = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            double margin = 0;
            for (int j = 0; j < d; j++) {
                double g = r.nextGaussian();
                z[i][j] = scales[j] * g;
                margin += (j % 2 == 0 ? 0.7 : -0.5) * g;
            }
            t[i] = margin + 0.8 * r.nextGaussian() > 0 ? 1 : 0;
            w[i] = 1.0 / n;
        }
        var loss = new ClassifierTwoSampleTest.LogLoss(z, t, w, 1e-3);
        int[] iterations = new int[1];
        double[] theta = ClassifierTwoSampleTest.lbfgs(loss, new double[d + 1], it -> {
            iterations[0] = it + 1;
            return false;
        });
        double[] g = new double[d + 1];
        loss.evaluate(theta, g);
        double norm = Math.sqrt(dot(g, g));
        assertTrue(norm <= ClassifierTwoSampleTest.TOLERANCE, "gradient norm " + norm + " after "
                + iterations[0] + " iterations");
        assertTrue(iterations[0] <= ITERATION_BOUND, iterations[0] + " iterations");
    }

    /**
     * The loss and its gradient against the definition written out in double, at parameters of
     * scale 0.1, 3 and 400 (margins in the hundreds either side, where {@code log(1 + exp(m))}
     * taken directly overflows) and a non-zero intercept, which the penalty leaves out.
     */
    @Test
    void theLogLossAndItsGradientAreTheDefinitions() {
        Random r = new Random(7);
        int n = 23;
        int d = 4;
        double[][] z = new double[n][d];
        double[] t = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                z[i][j] = r.nextGaussian();
            }
            t[i] = i % 3 == 0 ? 1 : 0;
            w[i] = 0.5 + r.nextDouble();
        }
        double l2 = 0.3;
        var loss = new ClassifierTwoSampleTest.LogLoss(z, t, w, l2);
        for (double size : new double[] {0.1, 3, 400}) {
            double[] theta = new double[d + 1];
            for (int j = 0; j <= d; j++) {
                theta[j] = size * r.nextGaussian();
            }
            double want = 0;
            double[] wantGrad = new double[d + 1];
            for (int i = 0; i < n; i++) {
                double s = theta[d];
                for (int j = 0; j < d; j++) {
                    s += theta[j] * z[i][j];
                }
                double m = t[i] == 1 ? s : -s;
                // log(1 + exp(-m)) = max(-m, 0) + log(1 + exp(-|m|)), finite at any margin
                want += w[i] * (Math.max(-m, 0) + Math.log1p(Math.exp(-Math.abs(m))));
                double p = 1 / (1 + Math.exp(-s));
                for (int j = 0; j < d; j++) {
                    wantGrad[j] += w[i] * (p - t[i]) * z[i][j];
                }
                wantGrad[d] += w[i] * (p - t[i]);
            }
            for (int j = 0; j < d; j++) {
                want += 0.5 * l2 * theta[j] * theta[j];
                wantGrad[j] += l2 * theta[j];
            }
            double[] grad = new double[d + 1];
            double got = loss.evaluate(theta, grad);
            assertEquals(want, got, 1e-12 * Math.max(1, Math.abs(want)), "loss at scale " + size);
            for (int j = 0; j <= d; j++) {
                assertEquals(wantGrad[j], grad[j], 1e-12 * Math.max(1, Math.abs(wantGrad[j])),
                        "gradient " + j + " at scale " + size);
            }
        }
    }

    /** About twice what L-BFGS takes on that loss: 66 iterations. */
    private static final int ITERATION_BOUND = 130;
}
