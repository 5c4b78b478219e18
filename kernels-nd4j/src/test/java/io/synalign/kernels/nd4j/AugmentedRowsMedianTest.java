package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The selection median is the sorted array's median, bit for bit. */
class AugmentedRowsMedianTest {

    private static double sortedMedian(double[] c) {
        double[] s = c.clone();
        Arrays.sort(s);
        int n = s.length;
        return (n & 1) == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    @Test
    void matchesSortOnRandomArraysWithTiesAndSignedZeros() {
        Random random = new Random(7);
        double[] pool = {0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, Double.MAX_VALUE, -Double.MAX_VALUE,
            Double.MIN_VALUE, -Double.MIN_VALUE, 3.5, 3.5};
        for (int trial = 0; trial < 20_000; trial++) {
            int n = 1 + random.nextInt(trial < 10_000 ? 12 : 3000);
            double[] c = new double[n];
            int mode = random.nextInt(3);
            for (int i = 0; i < n; i++) {
                c[i] = mode == 0 ? random.nextGaussian()
                        : mode == 1 ? pool[random.nextInt(pool.length)]
                        : (float) random.nextInt(5) - 2;
            }
            double expected = sortedMedian(c);
            double got = AugmentedRows.median(c.clone(), new long[n]);
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got),
                    () -> "n " + n + ": " + Arrays.toString(c));
        }
    }
}
