package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.WeightedSampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaPairRDD;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/** The distributed sampler against the single-machine {@link WeightedSampler}. */
class DistributedSamplerTest {

    static JavaPairRDD<Long, Double> weights(double[] w, int partitions) {
        List<Tuple2<Long, Double>> rows = new ArrayList<>();
        for (int i = 0; i < w.length; i++) {
            rows.add(new Tuple2<>((long) i, w[i]));
        }
        return TestSpark.context().parallelizePairs(rows, partitions);
    }

    @Test
    void drawsTheSingleMachineRowsForTheSameSeed() {
        Random random = new Random(5);
        for (int size : new int[] {1, 7, 257, 5000}) {
            double[] w = new double[size];
            for (int i = 0; i < size; i++) {
                // Some zero weights, and weights over several orders of magnitude.
                w[i] = random.nextInt(5) == 0 && size > 1 ? 0 : Math.exp(3 * random.nextGaussian());
            }
            int support = WeightedSampler.support(w);
            for (int n : new int[] {1, Math.max(1, support / 3), support}) {
                for (long seed : new long[] {0, 42, -7}) {
                    int[] expected = WeightedSampler.sample(w, n, seed);
                    long[] actual = DistributedSampler.sample(weights(w, 3), n, seed);
                    assertArrayEquals(Arrays.stream(expected).asLongStream().toArray(), actual,
                            "size " + size + ", n " + n + ", seed " + seed);
                    assertEquals(n, Arrays.stream(actual).distinct().count());
                    for (long row : actual) {
                        assertTrue(w[(int) row] > 0);
                    }
                }
            }
        }
    }

    @Test
    void refusesMoreRowsThanPositiveWeights() {
        double[] w = {0.5, 0, 0.5};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DistributedSampler.sample(weights(w, 2), 3, 1));
        assertTrue(e.getMessage().contains("from 2 rows"), e.getMessage());
        // A sample far beyond the support is refused by the count, before any task sizes a
        // queue of that many rows (which ran executors out of memory).
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
                () -> DistributedSampler.sample(weights(w, 2), Integer.MAX_VALUE - 8, 1));
        assertEquals("cannot draw " + (Integer.MAX_VALUE - 8) + " rows without replacement from"
                + " 2 rows with positive weight", huge.getMessage());
    }
}
