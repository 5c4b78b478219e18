package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The weighted p-value of {@link TwoSampleTesting} under the null: real and synthetic rows from
 * one distribution, with uniform or random weights, are told apart at 0.05 about 5 % of the
 * time. The weighted side was a draw with replacement, whose repeated rows the permutations
 * split up: it rejected 86 % of such nulls.
 */
class TwoSampleTestingWeightedTest {

    private static FloatMatrix gaussian(Random r, int n, int d) {
        float[] a = new float[n * d];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return new FloatMatrix(n, d, a);
    }

    private static TwoSampleTesting.Side side(FloatMatrix x, double[] w) {
        return new TwoSampleTesting.Side(x, Collections.nCopies(x.rows(), "t"), null, w);
    }

    @Test
    void theWeightedDrawIsDistinctRowsAsManyAsTheEffectiveSampleSize() {
        double[] uniform = new double[37];
        Arrays.fill(uniform, 1.0 / 37);
        int[] all = TwoSampleTesting.weightedDraw(uniform, 5);
        assertEquals(37, all.length);
        assertEquals(37, Arrays.stream(all).distinct().count(), "every row once");
        double[] skewed = new double[41];
        Random r = new Random(3);
        for (int i = 0; i < skewed.length; i++) {
            skewed[i] = i % 5 == 0 ? 0 : Math.exp(r.nextGaussian());
        }
        int[] drawn = TwoSampleTesting.weightedDraw(skewed, 6);
        long ess = Math.round(WeightedMmd.effectiveSampleSize(skewed));
        assertTrue(ess > 2 && ess < 32, "a weighting with " + ess + " effective rows of 32");
        assertEquals(ess, drawn.length);
        assertEquals(drawn.length, Arrays.stream(drawn).distinct().count());
        assertTrue(Arrays.stream(drawn).allMatch(i -> skewed[i] > 0), "no zero-weight row");
        double[] one = new double[9];
        one[4] = 1;
        assertEquals(1, TwoSampleTesting.weightedDraw(one, 1).length, "one row of support");
        one[7] = 1e-9;
        assertEquals(2, TwoSampleTesting.weightedDraw(one, 1).length, "at least 2 rows where 2 have weight");
    }

    @Test
    void underTheNullTheWeightedTestRejectsAboutAsOftenAsItsLevel() {
        int trials = 40;
        int rejectedUniform = 0;
        int rejectedRandom = 0;
        try (KernelBackend backend = KernelBackends.create("reference")) {
            for (int t = 0; t < trials; t++) {
                Random r = new Random(100 + t);
                FloatMatrix real = gaussian(r, 31, 5);
                FloatMatrix synth = gaussian(r, 29, 5);
                double[] uniform = new double[29];
                Arrays.fill(uniform, 1.0 / 29);
                double[] random = new double[29];
                for (int i = 0; i < random.length; i++) {
                    random[i] = 0.5 + r.nextDouble(); // noise, independent of the rows
                }
                TwoSampleTesting.Options o = new TwoSampleTesting.Options(199, t, 0,
                        TwoSampleTesting.DEFAULT_MAX_ROWS);
                TwoSampleTesting.Report u = TwoSampleTesting.run(backend, side(real, null),
                        side(synth, null), side(synth, uniform), o, null);
                TwoSampleTesting.Report w = TwoSampleTesting.run(backend, side(real, null),
                        side(synth, null), side(synth, random), o, null);
                rejectedUniform += u.overall().pValueWeighted() <= 0.05 ? 1 : 0;
                rejectedRandom += w.overall().pValueWeighted() <= 0.05 ? 1 : 0;
            }
        }
        // At level 0.05, 40 trials: 2 expected; 6 or more has probability 1.4 % (binomial). The
        // draw with replacement rejected in 86 % of such trials.
        assertTrue(rejectedUniform <= 6, rejectedUniform + " of " + trials + " rejected (uniform)");
        assertTrue(rejectedRandom <= 6, rejectedRandom + " of " + trials + " rejected (random)");
    }
}
