package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SemanticFilter} at {@code threshold = 1}, "exact copies only": every exact copy is
 * removed, as a duplicate and as leakage, on every backend. On nd4j a float32 cosine of a row to
 * its copy came out one ulp below 1, and a third of 100 copies were kept (none on the
 * reference).
 */
class SemanticFilterTest {

    private static float[] randomRows(int n, int d, long seed) {
        Random random = new Random(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextGaussian() * (1 + random.nextInt(5)));
        }
        return data;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"reference", "nd4j"})
    void thresholdOneRemovesEveryExactCopyOnEveryBackend(String name) {
        int n = 100;
        int d = 384;
        float[] base = randomRows(n, d, 5);
        // Rows 0..n-1 distinct, rows n..2n-1 their copies in the same order.
        float[] data = new float[2 * n * d];
        System.arraycopy(base, 0, data, 0, n * d);
        System.arraycopy(base, 0, data, n * d, n * d);
        FloatMatrix rows = new FloatMatrix(2 * n, d, data);
        FloatMatrix test = new FloatMatrix(3, d, java.util.Arrays.copyOfRange(base, 0, 3 * d));
        try (KernelBackend backend = KernelBackends.create(name)) {
            SemanticFilter.Result dedup = SemanticFilter.filter(backend, rows, List.of(), 1.0,
                    true, ProgressListener.NONE);
            assertArrayEquals(IntStream.range(0, n).toArray(), dedup.kept(),
                    "the first of each pair is kept, every copy removed");
            for (SemanticFilter.Removal r : dedup.removed()) {
                assertEquals(SemanticFilter.Reason.DUPLICATE, r.reason());
                assertEquals(r.row() - n, r.match(), "matched to its original");
            }
            SemanticFilter.Result leak = SemanticFilter.filter(backend, rows, List.of(test), 1.0,
                    false, ProgressListener.NONE);
            assertArrayEquals(IntStream.range(0, 2 * n).filter(i -> i % n >= 3).toArray(),
                    leak.kept(), "rows 0-2 and their copies are the test rows");
        }
    }
}
