package io.synalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.host.OrderStatistics;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The median heuristic's distances swept in passes with a radix selection over their bits
 * (helper median34) against the code it replaced, kept here as the oracle: the very same sample,
 * squared distances and recomputation, all k(k-1)/2 nonzero distances held in one double array,
 * {@link OrderStatistics#median} and {@link OrderStatistics#select} over it. Every value must be
 * the oracle's bit for bit: the median (odd and even counts), ranks from the first to the last
 * and the 10th percentile the planner asks, on random rows of awkward sizes, rows on a small
 * integer lattice (many equal distances: ties across the radix buckets), repeated rows (zero
 * distances dropped, near-cancellation recomputed in double) and rows near 1e-30 and 1e19 (the
 * power-of-two scaling), with gathering limits from 1 (every bit fixed by the sweeps) to the
 * default, on every backend available.
 */
class MedianHeuristicSelectionTest {

    static List<String> backends() {
        return AvailableBackends.names();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void theSweptSelectionIsTheHeldArraysBitForBit(String name) {
        Random random = new Random(3434);
        try (KernelBackend backend = KernelBackends.create(name)) {
            int cases = 0;
            for (int[] shape : new int[][] {{2, 1}, {3, 1}, {5, 3}, {17, 7}, {64, 33}, {101, 5},
                    {257, 19}, {130, 2}}) {
                for (String kind : new String[] {"gaussian", "lattice", "repeated", "tiny",
                        "huge"}) {
                    FloatMatrix a = rows(kind, shape[0], shape[1], random);
                    FloatMatrix b = rows(kind, Math.max(1, shape[0] / 3), shape[1], random);
                    // k below, at and above the row count, odd and even.
                    for (int maxSample : new int[] {2, 7, 50, 51, 2000}) {
                        long seed = random.nextLong();
                        double[] held = oracle(backend, maxSample, seed, a, b);
                        int count = (int) held[held.length - 1];
                        for (int limit : new int[] {1, 2, 7, 1 << 16}) {
                            MedianHeuristic.Distances swept = MedianHeuristic.distances(backend,
                                    maxSample, seed, limit, RowSource.of(a), RowSource.of(b));
                            String what = name + " " + kind + " " + shape[0] + " x " + shape[1]
                                    + ", sample " + maxSample + ", limit " + limit;
                            assertEquals(count, swept.count(), what);
                            if (count == 0) {
                                continue;
                            }
                            double[] values = java.util.Arrays.copyOf(held, count);
                            assertBits(OrderStatistics.median(values.clone(), count),
                                    swept.median(), what + ": median");
                            for (long rank : new long[] {0, count / 3, count / 2,
                                    (long) Math.floor(0.1 * (count - 1)), count - 1}) {
                                assertBits(OrderStatistics.select(values.clone(), count,
                                        (int) rank), swept.select(rank), what + ": rank " + rank);
                            }
                            cases++;
                        }
                    }
                }
            }
            assertEquals(true, cases > 500, "cases run: " + cases);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void theEstimateIsTheOraclesMedian(String name) {
        Random random = new Random(35);
        try (KernelBackend backend = KernelBackends.create(name)) {
            for (int n : new int[] {40, 41, 333}) {
                FloatMatrix a = rows("gaussian", n, 13, random);
                FloatMatrix b = rows("lattice", n / 2 + 1, 13, random);
                double[] held = oracle(backend, 2000, 9, a, b);
                int count = (int) held[held.length - 1];
                assertBits(OrderStatistics.median(java.util.Arrays.copyOf(held, count), count),
                        MedianHeuristic.estimate(backend, 2000, 9, a, b), name + " " + n);
            }
            FloatMatrix x = rows("gaussian", 5, 2, random);
            MedianHeuristic.Distances d = MedianHeuristic.distances(backend, 10, 1, 1 << 16,
                    RowSource.of(x));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d.select(10));
            assertEquals("rank 10 of 10 distances", e.getMessage());
        }
    }

    /**
     * Repeated rows (an LLM repeating itself): 2,000 rows of d = 8, 1,900 of them copies of two
     * rows, so about 900,000 of the 2 million pairs are equal rows, whose squared distance is
     * recomputed in double (to 0; a GEMM backend leaves rounding there). What the selection
     * allocates on this thread once the squared distances are formed (its count and median:
     * a sum of allocations, so at least its peak; no timing) must be its histograms and gathered
     * values alone, which {@link MedianHeuristic#heapBytes} counts (one of each at a time):
     * at most 9 histograms of 512 KiB in sequence (the count's, three levels for each middle
     * value) and 2 gatherings of at most 512 KiB, nothing a pair. On the merged median34 code
     * every recomputed pair was kept for the later sweeps, zeros included: about 900,000 doubles
     * in an array grown by doubling, past heapBytes (failed there on every backend: 20.4 MB
     * allocated against the bound's 5.8 MB; 3.7 MB since review34b). The median is the held
     * array's bit for bit as well.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void onRepeatedRowsTheSelectionHoldsNothingAPair(String name) {
        Random random = new Random(341);
        int n = 2000;
        int d = 8;
        float[] data = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < d; c++) {
                // Rows 0 to 949 one row, 950 to 1,899 another, the last 100 each their own.
                data[i * d + c] = i < 950 ? 1 + c : i < 1900 ? 5 - c
                        : (float) random.nextGaussian();
            }
        }
        FloatMatrix x = new FloatMatrix(n, d, data);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported()
                && threads.isThreadAllocatedMemoryEnabled(), "no per-thread allocation count");
        try (KernelBackend backend = KernelBackends.create(name)) {
            double[] held = oracle(backend, 2000, 5, x);
            int count = (int) held[held.length - 1];
            MedianHeuristic.Distances swept = MedianHeuristic.distances(backend, 2000, 5,
                    1 << 16, RowSource.of(x));
            long thread = Thread.currentThread().getId();
            long before = threads.getThreadAllocatedBytes(thread);
            swept.count();
            double median = swept.median();
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            assertBits(OrderStatistics.median(java.util.Arrays.copyOf(held, count), count),
                    median, name);
            long bound = 9L * Long.BYTES * (1 << 16) + 2L * Double.BYTES
                    * MedianHeuristic.Distances.COLLECT_LIMIT + 4096;
            System.out.println("[MedianHeuristicSelectionTest] " + name + ": " + count
                    + " nonzero distances, " + allocated + " bytes allocated, bound " + bound);
            assertTrue(allocated <= bound, name + ": the heuristic allocated " + allocated
                    + " bytes on repeated rows, more than its histograms and gathered values ("
                    + bound + ")");
        }
    }

    /**
     * Near-equal distinct rows: 2,000 rows of d = 8, 1,900 of them one row each moved by about
     * 1e-4 in every coordinate (distinct floats), so about 1.8 million pairs are in the
     * cancellation range and recomputed in double to a nonzero value. The selection keeps at
     * most {@link MedianHeuristic.Distances#RECOMPUTED_LIMIT} of them for the later sweeps and
     * recomputes the rest there (helper heap35): what it allocates on this thread over the
     * count and the median (a sum of allocations, so at least its peak; no timing) must be
     * within the histograms and gathered values of
     * {@link #onRepeatedRowsTheSelectionHoldsNothingAPair} and twice the kept pairs' array (its
     * doublings). The median, the 10th percentile and the last rank must be the oracle's bit
     * for bit with the default limit, none kept (0) and a few (5). On the old code every such
     * pair was kept a double (review34b's open item): failed there, on every backend.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void onNearEqualRowsTheSelectionKeepsAtMostItsLimitOfPairs(String name) {
        Random random = new Random(352);
        int n = 2000;
        int d = 8;
        float[] data = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < d; c++) {
                data[i * d + c] = i < 1900 ? (float) (1 + c + 1e-4 * random.nextGaussian())
                        : (float) random.nextGaussian();
            }
        }
        FloatMatrix x = new FloatMatrix(n, d, data);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported()
                && threads.isThreadAllocatedMemoryEnabled(), "no per-thread allocation count");
        try (KernelBackend backend = KernelBackends.create(name)) {
            double[] held = oracle(backend, 2000, 7, x);
            int count = (int) held[held.length - 1];
            double[] values = java.util.Arrays.copyOf(held, count);
            MedianHeuristic.Distances swept = MedianHeuristic.distances(backend, 2000, 7,
                    1 << 16, RowSource.of(x));
            long thread = Thread.currentThread().getId();
            long before = threads.getThreadAllocatedBytes(thread);
            swept.count();
            double median = swept.median();
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            assertBits(OrderStatistics.median(values.clone(), count), median, name);
            long bound = 9L * Long.BYTES * (1 << 16) + 2L * Double.BYTES
                    * MedianHeuristic.Distances.COLLECT_LIMIT
                    + 2L * Double.BYTES * MedianHeuristic.Distances.RECOMPUTED_LIMIT + 4096;
            System.out.println("[MedianHeuristicSelectionTest] " + name + ": " + count
                    + " nonzero distances, " + allocated + " bytes allocated, bound " + bound);
            assertTrue(count > 1_700_000, name + ": " + count + " distances");
            assertTrue(allocated <= bound, name + ": the heuristic allocated " + allocated
                    + " bytes on near-equal rows, more than its histograms, gathered values"
                    + " and kept pairs (" + bound + ")");
            for (int limit : new int[] {0, 5, MedianHeuristic.Distances.RECOMPUTED_LIMIT}) {
                MedianHeuristic.Distances d2 = MedianHeuristic.distances(backend, 2000, 7,
                        1 << 16, limit, RowSource.of(x));
                String what = name + ", recomputed kept " + limit;
                assertEquals(count, d2.count(), what);
                assertBits(OrderStatistics.median(values.clone(), count), d2.median(), what);
                for (long rank : new long[] {(long) Math.floor(0.1 * (count - 1)), count - 1}) {
                    assertBits(OrderStatistics.select(values.clone(), count, (int) rank),
                            d2.select(rank), what + ": rank " + rank);
                }
            }
        }
    }

    private static void assertBits(double expected, double actual, String what) {
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                what + ": expected " + expected + " but was " + actual);
    }

    private static FloatMatrix rows(String kind, int n, int d, Random random) {
        float[] data = new float[n * d];
        switch (kind) {
            case "gaussian" -> {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) random.nextGaussian();
                }
            }
            case "lattice" -> {
                for (int i = 0; i < data.length; i++) {
                    data[i] = random.nextInt(3);
                }
            }
            case "repeated" -> {
                // A few distinct rows, each repeated: zero distances and near-equal pairs.
                int distinct = Math.max(1, n / 6);
                float[][] base = new float[distinct][d];
                for (float[] row : base) {
                    for (int c = 0; c < d; c++) {
                        row[c] = (float) (100 + random.nextGaussian());
                    }
                }
                for (int i = 0; i < n; i++) {
                    System.arraycopy(base[random.nextInt(distinct)], 0, data, i * d, d);
                }
            }
            case "tiny", "huge" -> {
                double scale = kind.equals("tiny") ? 1e-30 : 1e19;
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (scale * random.nextGaussian());
                }
            }
            default -> throw new IllegalArgumentException(kind);
        }
        return new FloatMatrix(n, d, data);
    }

    /**
     * The code this replaced (MedianHeuristic.distances before helper median34), copied: the
     * nonzero distances in one array, their count appended as the last element.
     */
    private static double[] oracle(KernelBackend backend, int maxSample, long seed,
            FloatMatrix... matrices) {
        RowSource[] sets = new RowSource[matrices.length];
        long total = 0;
        for (int i = 0; i < matrices.length; i++) {
            sets[i] = RowSource.of(matrices[i]);
            total += matrices[i].rows();
        }
        int d = sets[0].cols();
        int k = (int) Math.min(maxSample, total);
        long[] picked = MedianHeuristic.sampleWithoutReplacement(total, k,
                new SplittableRandom(seed));
        FloatMatrix sample = FloatMatrix.zeros(k, d);
        float[] row = new float[d];
        for (int r = 0; r < k; r++) {
            long g = picked[r];
            int set = 0;
            while (g >= sets[set].rows()) {
                g -= sets[set].rows();
                set++;
            }
            sets[set].read(g, 1, row);
            System.arraycopy(row, 0, sample.data(), r * d, d);
        }
        double scale = 0;
        for (float v : sample.data()) {
            scale = Math.max(scale, Math.abs(v));
        }
        int exponent = scale > 0 ? Math.getExponent(scale) : 0;
        if (exponent != 0) {
            float[] data = sample.data();
            for (int i = 0; i < data.length; i++) {
                data[i] = Math.scalb(data[i], -exponent);
            }
        }
        float[] d2 = new float[k * k];
        backend.squaredDistances(sample, sample, d2);
        float[] data = sample.data();
        double[] norms = new double[k];
        for (int i = 0; i < k; i++) {
            double s = 0;
            for (int c = i * d; c < (i + 1) * d; c++) {
                s += (double) data[c] * data[c];
            }
            norms[i] = s;
        }
        double[] distances = new double[k * (k - 1) / 2 + 1];
        int count = 0;
        double unscale = Math.scalb(1.0, exponent);
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                double v = d2[i * k + j];
                if (v <= MedianHeuristic.CANCELLATION * (norms[i] + norms[j])) {
                    double s = 0;
                    for (int c = 0; c < d; c++) {
                        double diff = (double) data[i * d + c] - data[j * d + c];
                        s += diff * diff;
                    }
                    v = s;
                }
                if (v > 0) {
                    distances[count++] = Math.sqrt(v) * unscale;
                }
            }
        }
        double[] out = java.util.Arrays.copyOf(distances, count + 1);
        out[count] = count;
        return out;
    }
}
