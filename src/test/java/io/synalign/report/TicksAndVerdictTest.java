package io.synalign.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Axis ticks at nice numbers, and the verdict's paired interval against a direct computation. */
class TicksAndVerdictTest {

    @Test
    void ticksAreNiceMultiplesInsideTheRangeForRandomRanges() {
        Random random = new Random(11);
        for (int trial = 0; trial < 2000; trial++) {
            double scale = Math.pow(10, random.nextInt(13) - 6);
            double lo = (random.nextDouble() - 0.5) * 10 * scale;
            double hi = lo + (0.01 + random.nextDouble() * 7) * scale;
            int count = 3 + random.nextInt(6);
            List<Double> ticks = Ticks.of(lo, hi, count);
            double step = Ticks.step(lo, hi, count);
            double mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-12));
            assertTrue(Math.abs(mantissa - 1) < 1e-9 || Math.abs(mantissa - 2) < 1e-9
                    || Math.abs(mantissa - 5) < 1e-9, "step " + step);
            assertTrue(ticks.size() >= count - 1 && ticks.size() <= 3 * count,
                    lo + ".." + hi + " (" + count + "): " + ticks);
            for (int i = 0; i < ticks.size(); i++) {
                double t = ticks.get(i);
                assertTrue(t >= lo - step * 1e-6 && t <= hi + step * 1e-6, t + " in " + lo + ".." + hi);
                assertEquals(0, Math.abs(t / step - Math.rint(t / step)), 1e-6, t + " / " + step);
                if (i > 0) {
                    assertEquals(step, t - ticks.get(i - 1), step * 1e-6);
                }
            }
        }
        assertEquals(List.of(0.0, 0.1, 0.2, 0.3), Ticks.of(0, 0.3, 4));
        assertEquals(List.of(0.0, 5.0, 10.0, 15.0, 20.0), Ticks.of(0, 23, 4));
        assertEquals(List.of(5.0), Ticks.of(5, 5, 4), "a degenerate range: its one value");
    }

    @Test
    void pairedIntervalMatchesTheDefinitionOnRandomPairs() {
        Random random = new Random(3);
        for (int n : new int[] {2, 3, 7, 31, 40}) {
            List<Double> a = new ArrayList<>();
            List<Double> b = new ArrayList<>();
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                a.add(random.nextDouble());
                b.add(random.nextDouble());
                d[i] = a.get(i) - b.get(i);
            }
            double mean = java.util.Arrays.stream(d).sum() / n;
            double var = java.util.Arrays.stream(d).map(x -> (x - mean) * (x - mean)).sum() / (n - 1);
            double half = Verdict.t975(n - 1) * Math.sqrt(var / n);
            Verdict.Paired p = Verdict.Paired.of(a, b);
            assertEquals(mean, p.mean(), 1e-12);
            assertEquals(mean - half, p.low(), 1e-12);
            assertEquals(mean + half, p.high(), 1e-12);
        }
        assertEquals(4.303, Verdict.t975(2), 0);
        assertEquals(2.042, Verdict.t975(30), 0);
        // Beyond the table, within 0.5 % of the true quantiles (t(40) = 2.021, t(120) = 1.980).
        assertEquals(2.021, Verdict.t975(40), 0.01);
        assertEquals(1.980, Verdict.t975(120), 0.01);
        Verdict.Paired one = Verdict.Paired.of(List.of(0.5), List.of(0.25));
        assertEquals(0.25, one.mean(), 0);
        assertTrue(Double.isNaN(one.low()) && Double.isNaN(one.high()), "one pair: no interval");
    }

    /**
     * Three repeats whose gains disagree (+5, +6 and +0.5 points on 2,000 rows, a review's
     * case): a bootstrap that resamples the repeats as well as the rows has 10 distinct draws of
     * them and called it a win; the seeds' t interval includes 0, and so does the verdict's
     * interval, the rows' bootstrap and the seeds' t added in quadrature on each side.
     */
    @Test
    void repeatsThatDisagreeAreNoWin() {
        int n = 2000;
        int[] truth = new int[n];
        for (int i = 0; i < n; i++) {
            truth[i] = i % 2;
        }
        int[] extra = {100, 120, 10};
        int[][] a = new int[3][n];
        int[][] b = new int[3][n];
        List<Double> fa = new ArrayList<>();
        List<Double> fb = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < n; i++) {
                b[r][i] = i < 1400 ? truth[i] : 1 - truth[i];
                a[r][i] = i < 1400 + extra[r] ? truth[i] : 1 - truth[i];
            }
            fa.add(io.synalign.evaluation.ClassificationScores.of(truth, a[r]).macroF1());
            fb.add(io.synalign.evaluation.ClassificationScores.of(truth, b[r]).macroF1());
        }
        io.synalign.evaluation.PairedBootstrap bootstrap =
                new io.synalign.evaluation.PairedBootstrap(truth, 2, 2000, 7);
        io.synalign.evaluation.PairedBootstrap.Interval both = bootstrap.difference(
                io.synalign.evaluation.PairedBootstrap.Metric.MACRO_F1,
                io.synalign.evaluation.PairedBootstrap.Scope.TEST_ROWS_AND_REPEATS, a, b);
        assertTrue(both.low() > 0, "rows and repeats resampled: a win, " + both);
        io.synalign.evaluation.PairedBootstrap.Interval rows = bootstrap.difference(
                io.synalign.evaluation.PairedBootstrap.Metric.MACRO_F1,
                io.synalign.evaluation.PairedBootstrap.Scope.TEST_ROWS, a, b);
        Verdict.Paired seeds = Verdict.Paired.of(fa, fb);
        assertTrue(seeds.low() < 0, "the seeds' t interval includes 0: " + seeds);
        Verdict.Combined c = Verdict.Combined.of(rows, seeds);
        assertTrue(c.low() < 0 && c.high() > 0, "the verdict's interval includes 0: " + c);
        // Each side: the rows' half-width and the seeds' t half-width in quadrature.
        double t = seeds.high() - seeds.mean();
        assertEquals(rows.difference() - Math.hypot(t, rows.difference() - rows.low()), c.low(),
                1e-15);
        assertEquals(rows.difference() + Math.hypot(t, rows.high() - rows.difference()), c.high(),
                1e-15);
        assertEquals(seeds.mean(), rows.difference(), 1e-12, "one difference, two errors");
        // One repeat: the rows' interval alone.
        Verdict.Combined one = Verdict.Combined.of(rows, null);
        assertEquals(rows.low(), one.low(), 0);
        assertEquals(rows.high(), one.high(), 0);
        assertTrue(!one.seeds() && c.seeds());
    }
}
