package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A shifted panel's pass ({@code Nd4jSymmetricKernelOperator.flatPanelProduct}) sums in the
 * order its Javadoc states, bit for bit: each row's own sum {@code sum_c g_rc w_c} in one double
 * in column order from 0.0, and each column past the diagonal block its four rows' share
 * {@code (g_0 w_0 + g_1 w_1) + (g_2 w_2 + g_3 w_3)} added to {@code mine} (rows past the
 * panel's height zero, with zero weights), the groups of four rows in row order. The reference
 * is that order replayed here on the panel's values, not through the pass; the values and
 * weights span 2^20 in magnitude and both signs, so a column skipped or read twice, or any
 * other order of the sums, changes bits (the pass with two sums per row, even and odd
 * columns, measured about 2e-16 off on the 16k set). Sizes: panels of 1 to 32 rows, widths
 * from the diagonal block alone to 9,973 columns, so the blocks of
 * {@value Nd4jSymmetricKernelOperator#FLAT_BLOCK} columns between reads ahead (helper flat33)
 * and the chunks of {@value Nd4jSymmetricKernelOperator#FLAT_COLUMNS} end full, one short,
 * one over and at odd places, and the panel starts at column 5 of w (its offset).
 */
class FlatPassOrderTest {

    @ParameterizedTest(name = "{0} rows x {1} columns")
    @CsvSource({"32, 32", "32, 33", "32, 96", "32, 97", "32, 159", "32, 1024", "32, 1025",
        "32, 1087", "32, 2081", "29, 2081", "7, 4097", "5, 100", "4, 9973", "3, 70", "1, 1",
        "1, 65", "32, 9973"})
    void aFlatPanelSumsInItsStatedOrder(int h, int width) {
        int start = 5;
        Random random = new Random(31L * h + width);
        float[] g = new float[h * width];
        for (int k = 0; k < g.length; k++) {
            g[k] = (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(20) - 10));
        }
        double[] w = new double[start + width];
        for (int k = 0; k < w.length; k++) {
            w[k] = random.nextGaussian() * Math.scalb(1.0, random.nextInt(20) - 10);
        }
        double[] own = new double[start + width];
        double[] mine = new double[start + width];
        for (int k = 0; k < mine.length; k++) {
            own[k] = Double.NaN; // written, never read
            mine[k] = random.nextGaussian(); // added to, not overwritten
        }
        double[] wantOwn = own.clone();
        double[] wantMine = mine.clone();
        replay(g, h, width, start, w, wantOwn, wantMine);

        float[] rows = new float[Nd4jSymmetricKernelOperator.FLAT_ROWS
                * Nd4jSymmetricKernelOperator.FLAT_COLUMNS];
        try (FloatPointer panel = new FloatPointer(g)) {
            Nd4jSymmetricKernelOperator.flatPanelProduct(rows, panel, start, h, width, w, own,
                    mine);
        }
        for (int k = start; k < start + h; k++) {
            assertEquals(Double.doubleToLongBits(wantOwn[k]), Double.doubleToLongBits(own[k]),
                    "own sum of row " + (k - start) + " of " + h + " x " + width + ": "
                            + own[k] + " against " + wantOwn[k] + " in the stated order");
        }
        for (int k = 0; k < mine.length; k++) {
            assertEquals(Double.doubleToLongBits(wantMine[k]), Double.doubleToLongBits(mine[k]),
                    "mirrored sum at column " + (k - start) + " of " + h + " x " + width + ": "
                            + mine[k] + " against " + wantMine[k] + " in the stated order");
        }
    }

    /** The stated order, column by column and row group by row group, in plain loops. */
    private static void replay(float[] g, int h, int width, int start, double[] w, double[] own,
            double[] mine) {
        for (int r = 0; r < h; r++) {
            double s = 0.0;
            for (int c = 0; c < width; c++) {
                s += g[r * width + c] * w[start + c];
            }
            own[start + r] = s;
        }
        int four = Nd4jSymmetricKernelOperator.FLAT_ROWS;
        assertEquals(4, four, "the replay is written for four rows a group");
        for (int r0 = 0; r0 < h; r0 += four) {
            double[] rw = new double[four];
            for (int r = 0; r < four && r0 + r < h; r++) {
                rw[r] = w[start + r0 + r];
            }
            for (int c = h; c < width; c++) {
                double[] v = new double[four];
                for (int r = 0; r < four && r0 + r < h; r++) {
                    v[r] = g[(r0 + r) * width + c];
                }
                mine[start + c] += (v[0] * rw[0] + v[1] * rw[1]) + (v[2] * rw[2] + v[3] * rw[3]);
            }
        }
    }
}
