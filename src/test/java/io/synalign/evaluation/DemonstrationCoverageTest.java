package io.synalign.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.WeightedMmdTest;
import io.synalign.generation.GenerationPipeline;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Coverage of the real rows by chosen demonstrations, against a double reference. */
class DemonstrationCoverageTest {

    @ParameterizedTest
    @CsvSource({"1, 1, 3", "7, 3, 5", "257, 17, 6", "40, 40, 2", "37, 37, 384"})
    void gpValueMatchesTheReferenceAndRandomDrawsStayInRange(int n, int k, int d) {
        Random r = new Random(n + 13L * k);
        double[][] x = WeightedMmdTest.gaussian(r, n, d, 0);
        int[] chosen = new int[k + 1];
        for (int i = 0; i < k; i++) {
            chosen[i] = (i * 7919) % n;
        }
        chosen[k] = chosen[0]; // a repeat counts once
        int[] distinct = Arrays.stream(chosen).distinct().toArray();
        try (KernelBackend backend = KernelBackends.create("nd4j")) {
            DemonstrationCoverage.Coverage c = DemonstrationCoverage.measure(backend,
                    FloatMatrix.of(x), chosen, 5, 3);
            assertEquals(distinct.length, c.demonstrations());
            assertEquals(n, c.realRows());
            double[][] sel = new double[distinct.length][];
            for (int i = 0; i < distinct.length; i++) {
                sel[i] = x[distinct[i]];
            }
            double[] ones = new double[sel.length];
            Arrays.fill(ones, 1);
            double want = Math.max(0, WeightedMmdTest.referenceMmd2(sel, ones, x, c.bandwidth()));
            assertEquals(want, c.gp(), 2e-5 + 1e-4 * want);
            if (distinct.length == n) {
                // Exactly: nd4j's float32 sums gave 2.2e-8 where README says 0.
                assertEquals(0.0, c.gp());
                assertEquals(0.0, c.random().mean());
                assertEquals(0.0, c.random().std());
            } else {
                assertTrue(c.random().mean() > 0 && c.random().std() >= 0, c.toString());
            }
            // Seeded: the same call gives the same numbers.
            assertEquals(c, DemonstrationCoverage.measure(backend, FloatMatrix.of(x), chosen, 5, 3));
        }
    }

    @Test
    void gpSelectionCoversClustersBetterThanRandomRows() {
        // Four equal clusters: four GP picks land one in each, four random rows often miss
        // one. (With very unequal clusters the GP's one-per-cluster spread can score a HIGHER
        // MMD^2 than random rows, which mirror the cluster sizes: MMD^2 measures distribution
        // match, not support coverage.)
        Random r = new Random(4);
        int[] sizes = {15, 15, 15, 15};
        int n = Arrays.stream(sizes).sum();
        double[][] x = new double[n][8];
        int row = 0;
        for (int c = 0; c < sizes.length; c++) {
            for (int i = 0; i < sizes[c]; i++, row++) {
                for (int j = 0; j < 8; j++) {
                    x[row][j] = (float) (0.3 * r.nextGaussian() + (j == c ? 4 : 0));
                }
            }
        }
        try (KernelBackend backend = KernelBackends.create("nd4j")) {
            FloatMatrix m = FloatMatrix.of(x);
            // quota 40 with 10 samples per summary: 4 groups of 1 row.
            int[] demos = GenerationPipeline.firstBatchDemonstrations(backend, m, 40, 1, 10, 7, 0);
            assertEquals(4, demos.length);
            DemonstrationCoverage.Coverage c = DemonstrationCoverage.measure(backend, m, demos,
                    DemonstrationCoverage.DEFAULT_DRAWS, 1);
            assertTrue(c.gp() < c.random().mean(), c.toString());
        }
    }

    @Test
    void badArgumentsAreRejected() {
        try (KernelBackend backend = KernelBackends.create("reference")) {
            FloatMatrix m = FloatMatrix.of(new double[][] {{0, 1}, {1, 0}});
            assertThrows(IllegalArgumentException.class,
                    () -> DemonstrationCoverage.measure(backend, m, new int[0], 3, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> DemonstrationCoverage.measure(backend, m, new int[] {2}, 3, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> DemonstrationCoverage.measure(backend, m, new int[] {1}, 0, 0));
        }
    }
}
