package io.synalign.engine.labelled;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.alignment.TestBackends;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Per-label alignment of synthetic rows read from a source (views of it per label) against the
 * same rows as one matrix, with the real learner: the weights must be the same bit for bit,
 * whatever blocks the source stores its rows in and however the labels interleave.
 */
class LabelledSourceAlignmentTest {

    private static FloatMatrix gaussian(int n, int d, double shift, long seed) {
        Random random = new Random(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() + (i % d == 0 ? shift : 0));
        }
        return new FloatMatrix(n, d, x);
    }

    private static List<FloatMatrix> blocks(FloatMatrix m, int size) {
        List<FloatMatrix> out = new ArrayList<>();
        for (int at = 0; at < m.rows(); at += size) {
            out.add(m.selectRows(IntStream.range(at, Math.min(m.rows(), at + size)).toArray()));
        }
        return out;
    }

    /**
     * Every synthetic row is read, those of a label the real set lacks (weight 0) too: a source
     * checks values as it reads them, and the rows of such a label were never read, so a NaN in
     * them reached the outputs (exit 0) where the global scope refused it.
     */
    @Test
    void theRowsOfALabelThatIsNotFittedAreReadToo() {
        List<String> realLabels = List.of("a", "b", "a", "b", "a", "b");
        List<String> syntheticLabels = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            syntheticLabels.add(i % 3 == 0 ? "c" : i % 3 == 1 ? "a" : "b");
        }
        FloatMatrix real = gaussian(6, 5, 0.0, 3);
        FloatMatrix synthetic = gaussian(23, 5, 0.4, 4);
        java.util.BitSet read = new java.util.BitSet();
        RowSource recording = io.synalign.engine.alignment.ObservedRows.of(RowSource.of(synthetic),
                "recording", (start, count) -> read.set((int) start, (int) start + count));
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, realLabels, 6, syntheticLabels, 23);
        try (KernelBackend backend = TestBackends.create(TestBackends.available().get(0))) {
            AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF);
            new LabelledAlignment((c, r, s, p) -> new MmdWeightLearner(backend, c).fit(r, s, p),
                    config).align(plan, real, recording, null);
        }
        assertEquals(23, read.cardinality(), "rows read: " + read);
    }

    @Test
    void labelViewsOfABlockedSourceGiveTheMatrixWeightsOnEveryBackendAndMethod() {
        // 3 interleaved labels, one only in the synthetic set, awkward sizes.
        String[] names = {"a", "b", "c"};
        Random random = new Random(5);
        int m = 41;
        int n = 173;
        List<String> realLabels = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            realLabels.add(names[random.nextInt(2)]);
        }
        List<String> syntheticLabels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            syntheticLabels.add(names[random.nextInt(3)]);
        }
        FloatMatrix real = gaussian(m, 9, 0.0, 1);
        FloatMatrix synthetic = gaussian(n, 9, 0.7, 2);
        for (LabelMode mode : LabelMode.values()) {
            LabelPlan plan = LabelPlan.of(mode, realLabels, m, syntheticLabels, n);
            for (String name : TestBackends.available()) {
                for (AlignmentMethod method : List.of(AlignmentMethod.EXACT, AlignmentMethod.RFF)) {
                    AlignmentConfig config = AlignmentConfig.defaults().withMethod(method)
                            .withSeed(9);
                    try (KernelBackend backend = TestBackends.create(name)) {
                        LabelledAlignment alignment = new LabelledAlignment((c, r, s, p) ->
                                new MmdWeightLearner(backend, c).fit(r, s, p), config);
                        double[] whole = alignment.align(plan, real, synthetic, null).weights();
                        for (int size : new int[] {1, 17, 64}) {
                            double[] streamed = alignment.align(plan, real,
                                    RowSource.ofBlocks(blocks(synthetic, size)), null).weights();
                            assertArrayEquals(whole, streamed, 0.0, mode + " " + name + " "
                                    + method + " blocks of " + size);
                        }
                        double sum = 0;
                        for (double w : whole) {
                            sum += w;
                        }
                        assertEquals(1.0, sum, 1e-12);
                    }
                }
            }
        }
    }
}
