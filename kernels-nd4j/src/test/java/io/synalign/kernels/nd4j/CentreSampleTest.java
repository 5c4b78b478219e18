package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link AugmentedRows#centre}: the coordinate-wise median of a strided sample of the rows,
 * taken one block of {@link AugmentedRows#CENTRE_COLUMNS} columns at a time.
 */
class CentreSampleTest {

    /**
     * Against a plain reference (every sampled row's value of each column, sorted, the middle
     * or the mean of the two middle ones), bit for bit, on awkward widths around the block's
     * (1, 63, 64, 65, 129, 200) and row counts below, at and above the sample's 2,048 (so the
     * stride and the x/y boundary both move), with y the same matrix as x and a different one.
     */
    @Test
    void theCentreIsEachColumnsMedianOfTheSampledRows() {
        Random random = new Random(33);
        for (int d : new int[] {1, 63, 64, 65, 129, 200}) {
            for (int[] rows : new int[][] {{7, 4}, {1, 0}, {2_048, 0}, {1_500, 1_111},
                    {3_001, 17}}) {
                FloatMatrix x = gaussian(random, rows[0], d);
                FloatMatrix y = rows[1] == 0 ? x : gaussian(random, rows[1], d);
                double[] expected = reference(x, y);
                double[] actual = AugmentedRows.centre(x, y);
                for (int k = 0; k < d; k++) {
                    assertEquals(Double.doubleToLongBits(expected[k]),
                            Double.doubleToLongBits(actual[k]), "d = " + d + ", rows "
                                    + Arrays.toString(rows) + ", column " + k + ": "
                                    + expected[k] + " vs " + actual[k]);
                }
            }
        }
    }

    /**
     * At wide rows the centre holds one block of the sample, not all of it: 600 rows of 8,000
     * columns sampled whole were 38.4 MB of doubles (128 MB for 2,048 rows), which ran a
     * 96 MiB heap out of memory before any other part of a fit (helper heap33); the block is
     * 64 x 600 doubles, 307 KB. The bound, 4 MB, sits far from both.
     */
    @Test
    void theSampleIsHeldOneBlockOfColumnsAtATime() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean
                && ((com.sun.management.ThreadMXBean) bean).isThreadAllocatedMemorySupported(),
                "the JVM does not count a thread's allocations");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) bean;
        counter.setThreadAllocatedMemoryEnabled(true);
        FloatMatrix x = gaussian(new Random(8), 600, 8_000);
        AugmentedRows.centre(x, x); // loaded and compiled once before the count
        long thread = Thread.currentThread().getId();
        long before = counter.getThreadAllocatedBytes(thread);
        double[] centre = AugmentedRows.centre(x, x);
        long allocated = counter.getThreadAllocatedBytes(thread) - before;
        assertEquals(8_000, centre.length);
        assertTrue(allocated < 4_000_000, "the centre of 600 x 8,000 rows allocated "
                + allocated + " bytes");
    }

    private static double[] reference(FloatMatrix x, FloatMatrix y) {
        int d = x.cols();
        long total = (long) x.rows() + (y == x ? 0 : y.rows());
        long stride = (total + AugmentedRows.CENTRE_SAMPLE - 1) / AugmentedRows.CENTRE_SAMPLE;
        double[] centre = new double[d];
        for (int k = 0; k < d; k++) {
            double[] values = new double[(int) ((total + stride - 1) / stride)];
            int s = 0;
            for (long r = 0; r < total; r += stride) {
                values[s++] = r < x.rows() ? x.get((int) r, k) : y.get((int) (r - x.rows()), k);
            }
            Arrays.sort(values);
            int n = values.length;
            centre[k] = (n & 1) == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
        }
        return centre;
    }

    private static FloatMatrix gaussian(Random random, int rows, int cols) {
        FloatMatrix m = FloatMatrix.zeros(rows, cols);
        float[] data = m.data();
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextGaussian() * 3 + 1);
        }
        return m;
    }
}
