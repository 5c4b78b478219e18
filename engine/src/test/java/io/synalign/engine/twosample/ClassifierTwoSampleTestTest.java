package io.synalign.engine.twosample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.TestBackends;
import io.synalign.kernels.FloatMatrix;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The classifier two-sample test: the AUC against a direct pairwise count (with ties), the
 * fitted logistic regression against its optimality condition, an AUC near 1/2 on two samples of
 * one distribution and near 1 on shifted ones, and its reproducibility from the seed.
 */
class ClassifierTwoSampleTestTest {

    @Test
    void aucEqualsTheDirectPairwiseCountWithTiesCountingHalf() {
        Random r = new Random(3);
        for (int trial = 0; trial < 20; trial++) {
            int total = 2 + r.nextInt(60);
            double[] s = new double[total];
            boolean[] pos = new boolean[total];
            for (int i = 0; i < total; i++) {
                s[i] = r.nextInt(7); // many ties
                pos[i] = r.nextBoolean();
            }
            pos[0] = true;
            pos[1] = false;
            double[] w = new double[total];
            for (int i = 0; i < total; i++) {
                w[i] = r.nextInt(4) == 0 ? 0 : r.nextDouble();
            }
            w[0] = 1;
            w[1] = 1;
            double wins = 0;
            long pairs = 0;
            double weightedWins = 0;
            double weightedPairs = 0;
            for (int a = 0; a < total; a++) {
                for (int b = 0; b < total; b++) {
                    if (pos[a] && !pos[b]) {
                        pairs++;
                        double win = s[a] > s[b] ? 1 : s[a] == s[b] ? 0.5 : 0;
                        wins += win;
                        weightedWins += w[a] * w[b] * win;
                        weightedPairs += w[a] * w[b];
                    }
                }
            }
            assertEquals(wins / pairs, ClassifierTwoSampleTest.auc(s, pos), 1e-12);
            assertEquals(weightedWins / weightedPairs, ClassifierTwoSampleTest.auc(s, pos, w), 1e-12);
        }
        assertTrue(Double.isNaN(ClassifierTwoSampleTest.auc(new double[] {1, 2}, new boolean[] {true, true})));
    }

    @Test
    void lbfgsReachesAStationaryPointOfTheLogLoss() {
        Random r = new Random(9);
        int n = 83;
        int d = 6;
        double[][] z = new double[n][d];
        double[] t = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                z[i][j] = r.nextGaussian();
            }
            t[i] = z[i][0] + 0.5 * r.nextGaussian() > 0 ? 1 : 0;
            w[i] = 1.0 / n;
        }
        var loss = new ClassifierTwoSampleTest.LogLoss(z, t, w, 1e-2);
        double[] theta = ClassifierTwoSampleTest.lbfgs(loss, new double[d + 1]);
        double[] g = new double[d + 1];
        double at = loss.evaluate(theta, g);
        double norm = 0;
        for (double v : g) {
            norm += v * v;
        }
        assertTrue(Math.sqrt(norm) < 1e-5, "gradient norm " + Math.sqrt(norm));
        // and no nearby point is lower (convex: a stationary point is the minimum)
        for (int k = 0; k <= d; k++) {
            double[] moved = theta.clone();
            moved[k] += 1e-3;
            assertTrue(loss.evaluate(moved, new double[d + 1]) >= at);
        }
        assertTrue(theta[0] > 1, "the informative column dominates: " + theta[0]);
    }

    @Test
    void oneDistributionGivesAnAucNearOneHalfAndAShiftNearOne() {
        Random r = new Random(17);
        FloatMatrix a = TestBackends.gaussian(301, 13, r, 1.0, 0.0);
        FloatMatrix b = TestBackends.gaussian(187, 13, r, 1.0, 0.0);
        FloatMatrix shifted = TestBackends.gaussian(187, 13, r, 1.0, 0.6);
        var same = ClassifierTwoSampleTest.test(a, b, 5, ClassifierTwoSampleTest.DEFAULT_L2, 1);
        var apart = ClassifierTwoSampleTest.test(a, shifted, 5, ClassifierTwoSampleTest.DEFAULT_L2, 1);
        assertEquals(5, same.folds());
        assertTrue(Math.abs(same.auc() - 0.5) < 0.1, "same distribution: " + same.auc());
        // The Bayes classifier's AUC for a mean shift of 0.6 in each of 13 unit-variance columns:
        // Phi(|delta| / sqrt 2) with |delta| = 0.6 sqrt 13, which is 0.937.
        double bayes = 0.5 * (1 + erf(0.6 * Math.sqrt(13) / 2));
        assertEquals(bayes, apart.auc(), 0.04, "shifted by 0.6 in 13 columns");
        assertEquals(same.auc(), ClassifierTwoSampleTest.test(a, b, 5, ClassifierTwoSampleTest.DEFAULT_L2, 1).auc(),
                0.0, "reproducible from the seed, folds in parallel or not");
    }

    /** The error function (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7). */
    private static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                + t * 1.061405429)))) * Math.exp(-x * x);
        return Math.signum(x) * y;
    }

    @Test
    void weightsThatKeepOnlyTheMatchingRowsBringTheAucBackToOneHalf() {
        Random r = new Random(23);
        FloatMatrix real = TestBackends.gaussian(240, 9, r, 1.0, 0.0);
        FloatMatrix like = TestBackends.gaussian(200, 9, r, 1.0, 0.0);
        FloatMatrix off = TestBackends.gaussian(200, 9, r, 1.0, 1.5);
        float[] pool = new float[400 * 9];
        System.arraycopy(like.data(), 0, pool, 0, like.data().length);
        System.arraycopy(off.data(), 0, pool, like.data().length, off.data().length);
        FloatMatrix mixed = new FloatMatrix(400, 9, pool);
        double[] w = new double[400];
        for (int i = 0; i < 200; i++) {
            w[i] = 0.5 + r.nextDouble();
        }
        double uniform = ClassifierTwoSampleTest.test(real, mixed, 5, 1e-2, 4).auc();
        double weighted = ClassifierTwoSampleTest.test(real, mixed, w, 5, 1e-2, 4).auc();
        assertTrue(uniform > 0.7, "half the pool is shifted: " + uniform);
        assertTrue(Math.abs(weighted - 0.5) < 0.08, "the weights keep only the matching rows: " + weighted);
        assertThrows(IllegalArgumentException.class, () -> ClassifierTwoSampleTest.test(real, mixed,
                new double[3], 5, 1e-2, 4));
    }

    @Test
    void foldsShrinkToTheSmallerSideAndOneRowGivesNaN() {
        Random r = new Random(2);
        FloatMatrix three = TestBackends.gaussian(3, 4, r, 1, 0);
        FloatMatrix many = TestBackends.gaussian(40, 4, r, 1, 2);
        assertEquals(3, ClassifierTwoSampleTest.test(three, many, 5, 1e-2, 0).folds());
        var one = ClassifierTwoSampleTest.test(three.rowRange(0, 1), many, 5, 1e-2, 0);
        assertTrue(Double.isNaN(one.auc()));
        assertEquals(0, one.folds());
        assertThrows(IllegalArgumentException.class, () -> ClassifierTwoSampleTest.test(three, many, 1, 1e-2, 0));
        assertThrows(IllegalArgumentException.class,
                () -> ClassifierTwoSampleTest.test(three, TestBackends.gaussian(3, 5, r, 1, 0), 5, 1e-2, 0));
    }
}
