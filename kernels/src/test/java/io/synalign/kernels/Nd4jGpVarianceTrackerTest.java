package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.nd4j.Nd4jBackend;
import io.synalign.kernels.nd4j.Nd4jPath;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.BitSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ND4J GP variance tracker against the reference pivoted Cholesky, and its contract, on the
 * CPU (OpenBLAS) path; {@link Nd4jPortableGpVarianceTrackerTest} runs them on the portable path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Nd4jGpVarianceTrackerTest {

    private KernelBackend nd4j;
    private static final KernelBackend REFERENCE = new ReferenceBackend();

    /** The execution path under test; {@link Nd4jPortableGpVarianceTrackerTest} runs the portable one. */
    Nd4jPath path() {
        return Nd4jPath.CPU_BLAS;
    }

    @BeforeAll
    void open() {
        nd4j = new Nd4jBackend(path());
        assertEquals(path(), ((Nd4jBackend) nd4j).path());
    }

    @AfterAll
    void close() {
        nd4j.close();
    }

    @ParameterizedTest(name = "d = {0}, noise = {1}")
    @CsvSource({"3, 1e-2", "3, 1e-4", "384, 1e-3", "1, 1e-3"})
    void everyVarianceMatchesTheReferenceAlongAGreedySequence(int d, double noise) {
        int n = 257;
        int steps = 20;
        FloatMatrix x = TestRows.clustered(n, d, 31 + d);
        double lengthScale = TestRows.medianBandwidth(x, x);
        try (GpVarianceTracker ref = REFERENCE.gpVarianceTracker(x, lengthScale, noise, steps);
                GpVarianceTracker got = nd4j.gpVarianceTracker(x, lengthScale, noise, steps)) {
            BitSet chosen = new BitSet();
            double[] want = new double[n];
            double[] have = new double[n];
            for (int step = 0; step < steps; step++) {
                int p = ref.argmax(chosen);
                // Near-ties may be broken differently in float; the pick must be as good.
                int q = got.argmax(chosen);
                assertTrue(ref.variance(q) >= ref.variance(p) - 1e-5, "step " + step + ": picked "
                        + q + " with reference variance " + ref.variance(q) + " over " + p);
                chosen.set(p);
                ref.condition(p);
                got.condition(p);
                assertEquals(step + 1, got.rank());
                ref.variances(want);
                got.variances(have);
                for (int i = 0; i < n; i++) {
                    assertEquals(want[i], have[i], 1e-5, "step " + step + ", row " + i);
                    assertEquals(have[i], got.variance(i));
                }
            }
            // The conditioned rows are (nearly) known: variance below the noise level.
            for (int p = chosen.nextSetBit(0); p >= 0; p = chosen.nextSetBit(p + 1)) {
                assertTrue(got.variance(p) <= noise + 1e-5, "row " + p + ": " + got.variance(p));
            }
        }
    }

    @Test
    void argmaxBreaksTiesToTheLowestIndexAndHonoursExclusions() {
        FloatMatrix x = TestRows.clustered(11, 3, 5);
        try (GpVarianceTracker t = nd4j.gpVarianceTracker(x, 1.0, 1e-3, 4)) {
            // The prior is an exact 11-way tie.
            assertEquals(0, t.argmax(null));
            assertEquals(0, t.argmax(new BitSet()));
            BitSet excluded = new BitSet();
            excluded.set(0, 3);
            excluded.set(5);
            assertEquals(3, t.argmax(excluded));
            excluded.set(3, 11);
            assertEquals(-1, t.argmax(excluded));
        }
    }

    @Test
    void duplicateRowsTieAfterConditioningAndTheLowerIndexWins() {
        // Row 0 at the origin, rows 1..10 within 0.5 of it, rows 4 and 9 the same far point.
        int n = 11;
        float[] data = new float[n * 2];
        for (int i = 1; i < n; i++) {
            double angle = 2 * Math.PI * i / n;
            data[2 * i] = (float) (0.5 * Math.cos(angle));
            data[2 * i + 1] = (float) (0.5 * Math.sin(angle));
        }
        for (int i : new int[] {4, 9}) {
            data[2 * i] = 2.5f;
            data[2 * i + 1] = -1.0f;
        }
        FloatMatrix x = new FloatMatrix(n, 2, data);
        try (GpVarianceTracker t = nd4j.gpVarianceTracker(x, 1.0, 1e-3, 4)) {
            t.condition(0);
            assertEquals(t.variance(4), t.variance(9), "identical rows, identical arithmetic");
            assertEquals(4, t.argmax(null));
            BitSet excluded = new BitSet();
            excluded.set(4);
            assertEquals(9, t.argmax(excluded));
            excluded.set(9);
            int next = t.argmax(excluded);
            assertTrue(next != 0 && next != 4 && next != 9, "got " + next);
        }
    }

    @Test
    void resetReturnsToThePriorAndReplaysExactly() {
        FloatMatrix x = TestRows.clustered(257, 384, 8);
        int[] sequence = {5, 77, 200, 3, 256};
        try (GpVarianceTracker t = nd4j.gpVarianceTracker(x, TestRows.medianBandwidth(x, x), 1e-3,
                sequence.length)) {
            for (int p : sequence) {
                t.condition(p);
            }
            double[] first = new double[257];
            t.variances(first);
            assertTrue(first[5] < 0.5, "conditioning must lower the variance: " + first[5]);
            t.reset();
            assertEquals(0, t.rank());
            double[] prior = new double[257];
            t.variances(prior);
            for (double v : prior) {
                assertEquals(1.0, v);
            }
            for (int p : sequence) {
                t.condition(p);
            }
            double[] second = new double[257];
            t.variances(second);
            assertArrayEquals(first, second);
        }
    }

    @Test
    void conditioningPastMaxRankThrowsAndChangesNothing() {
        FloatMatrix x = TestRows.clustered(7, 3, 9);
        try (GpVarianceTracker t = nd4j.gpVarianceTracker(x, 1.0, 1e-2, 2)) {
            assertEquals(2, t.maxRank());
            assertEquals(7, t.size());
            t.condition(0);
            t.condition(1);
            double[] before = new double[7];
            t.variances(before);
            assertThrows(IllegalStateException.class, () -> t.condition(2));
            assertEquals(2, t.rank());
            double[] after = new double[7];
            t.variances(after);
            assertArrayEquals(before, after);
        }
        try (GpVarianceTracker empty = nd4j.gpVarianceTracker(x, 1.0, 1e-2, 0)) {
            assertThrows(IllegalStateException.class, () -> empty.condition(0));
        }
    }

    @Test
    void badArgumentsNameTheBadValue() {
        FloatMatrix x = TestRows.clustered(7, 3, 9);
        IllegalArgumentException scale = assertThrows(IllegalArgumentException.class,
                () -> nd4j.gpVarianceTracker(x, 0.0, 1e-2, 2));
        assertTrue(scale.getMessage().contains("0.0"), scale.getMessage());
        IllegalArgumentException noise = assertThrows(IllegalArgumentException.class,
                () -> nd4j.gpVarianceTracker(x, 1.0, -1.0, 2));
        assertTrue(noise.getMessage().contains("-1.0"), noise.getMessage());
        try (GpVarianceTracker t = nd4j.gpVarianceTracker(x, 1.0, 1e-2, 2)) {
            IllegalArgumentException row = assertThrows(IllegalArgumentException.class,
                    () -> t.condition(7));
            assertTrue(row.getMessage().contains("7"), row.getMessage());
            assertEquals(0, t.rank());
        }
    }
}
