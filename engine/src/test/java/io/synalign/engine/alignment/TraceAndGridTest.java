package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ConvergenceTrace} (the path a fit reports) and {@link FeatureGrid} (the grid a
 * distributed rff fit repeats to the last bit) on their own, against their documented rules:
 * until now the trace was checked only on fits of fewer than 64 iterations (its recorder's growth
 * never ran) and the grid's block sums only for their refusal of non-finite rows.
 */
class TraceAndGridTest {

    static java.util.List<String> backends() {
        return TestBackends.available();
    }

    @Test
    void aTraceRefusesMismatchedLengthsNamingBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConvergenceTrace(new double[2], new double[3]));
        assertEquals("trace has 2 times but 3 values", e.getMessage());
        assertEquals(0, ConvergenceTrace.EMPTY.size());
        assertTrue(Double.isNaN(ConvergenceTrace.EMPTY.secondsToReach(Double.MAX_VALUE)));
    }

    @Test
    void secondsToReachIsTheFirstEntryAtOrBelowTheTarget() {
        ConvergenceTrace t = new ConvergenceTrace(new double[] {0.5, 1.5, 2.5, 3.5, 4.5},
                new double[] {4.0, 2.0, 3.0, 1.0, 1.0});
        assertEquals(5, t.size());
        assertEquals(0.5, t.secondsToReach(4.0), 0.0); // at the target counts
        assertEquals(1.5, t.secondsToReach(3.5), 0.0);
        assertEquals(1.5, t.secondsToReach(2.0), 0.0); // the first, not the later 1.0s
        assertEquals(3.5, t.secondsToReach(1.0), 0.0);
        assertEquals(3.5, t.secondsToReach(1.9), 0.0);
        assertTrue(Double.isNaN(t.secondsToReach(0.999)));
    }

    @Test
    void theRecorderKeepsEveryEntryInOrderPastItsFirstCapacity() {
        for (int count : new int[] {0, 1, 63, 64, 65, 129, 300}) {
            long started = System.nanoTime();
            ConvergenceTrace.Recorder r = new ConvergenceTrace.Recorder(started);
            double[] values = new double[count];
            for (int i = 0; i < count; i++) {
                values[i] = 1.0 / (i + 3) - i * 1e-3;
                r.record(values[i]);
            }
            double elapsed = (System.nanoTime() - started) / 1e9;
            ConvergenceTrace t = r.build();
            assertEquals(count, t.size(), "entries recorded: " + count);
            assertArrayEquals(values, t.objective(), 0.0, "entries recorded: " + count);
            double previous = 0;
            for (int i = 0; i < count; i++) {
                // Seconds since the start, in seconds (not nanoseconds), non-decreasing.
                assertTrue(t.seconds()[i] >= previous && t.seconds()[i] <= elapsed,
                        "entry " + i + " of " + count + ": " + t.seconds()[i] + " s, within "
                                + elapsed + " s");
                previous = t.seconds()[i];
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aBlocksFeatureSumIsTheSumOfTheDefinitionsRows(String name) {
        Random random = new Random(2911);
        int[][] shapes = {{1, 1, 1}, {2, 3, 7}, {17, 5, 33}, {64, 2, 3}, {101, 9, 65}};
        try (KernelBackend backend = TestBackends.create(name)) {
            for (int[] s : shapes) {
                int rows = s[0];
                int d = s[1];
                int big = s[2];
                FloatMatrix x = TestBackends.gaussian(rows, d, random, 1.0, 0.1);
                FourierFeatures map = FourierFeatures.sample(d, big, 0.9, 77 + rows);
                double[] expected = new double[big];
                double[] scale = new double[big];
                double norm = Math.sqrt(2.0 / big);
                for (int i = 0; i < rows; i++) {
                    for (int f = 0; f < big; f++) {
                        double t = map.phase()[f];
                        for (int c = 0; c < d; c++) {
                            t += (double) x.get(i, c) * map.omega()[c * big + f];
                        }
                        expected[f] += norm * Math.cos(t);
                        scale[f] += norm;
                    }
                }
                double[] sum = FeatureGrid.blockFeatureSum(backend, x, map);
                assertEquals(big, sum.length);
                for (int f = 0; f < big; f++) {
                    // float32 features: 1e-5 of the sum of their magnitudes.
                    assertEquals(expected[f], sum[f], 1e-5 * scale[f],
                            name + " " + rows + " x " + d + ", D = " + big + ", feature " + f);
                }
            }
        }
    }

    @Test
    void blocksCombineByAdditionAndTheGridsAreTheFitsOwn() {
        double[] acc = {1.0, -2.0, 0.25};
        FeatureGrid.add(acc, new double[] {0.5, 2.0, -1.0});
        assertArrayEquals(new double[] {1.5, 0.0, -0.75}, acc, 0.0);
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (int[] s : new int[][] {{1, 1}, {1024, 384}, {7, 100_000}}) {
                assertEquals(ChunkedFeatureOperator.chunkRows(backend, s[0], s[1]),
                        FeatureGrid.syntheticChunkRows(backend, s[0], s[1]));
            }
        }
        for (int[] s : new int[][] {{1, 1}, {10_000, 1024}, {3, 7}, {5_000_000, 4096}}) {
            assertEquals(MmdObjectives.featureBlockRows(s[0], s[1]),
                    FeatureGrid.realBlockRows(s[0], s[1]));
        }
    }
}
