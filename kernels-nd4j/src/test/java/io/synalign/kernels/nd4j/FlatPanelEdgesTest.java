package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A kept K_SS whose every panel is shifted (a flat bandwidth: 30 x the rows' typical distance)
 * multiplies by its shifted panels' pass in double (helper flat32: rows four at a time, chunks
 * of {@value Nd4jSymmetricKernelOperator#FLAT_COLUMNS} columns, reads ahead of the next chunk).
 * Checked at the sizes where that pass has edges: 1 to 5 and 7 rows (a panel shorter than a
 * group of four rows, the groups' zero padding), 33 (a last panel of one row), 1,023, 1,024,
 * 1,025, 1,055 and 1,057 rows (panels of 1,023 to 1,057 columns: one chunk exactly full, a
 * last chunk of one column, a last panel of 31 or 1 rows), and a principal submatrix of each
 * (every seventh row left out: other widths). The reference is independent of the products:
 * the stored values read from the panels ({@code storedValue}, undoing the shift of the
 * cells stored as {@code k - 1}) times w, summed in double; a chunk, a row or a column the
 * pass skipped, read twice or read out of place is off by {@code |g w|}, about 1e-3 of the
 * row's {@code sum |g w|}, where the bound is 1e-12 of it. And the same bits whatever the
 * scheduling: a product on one worker in group order (inline, inside a walk's body) and one
 * whose groups start in a shuffled order (a test hook delaying some) give the bits of the
 * plain product. Passed on the code as merged (review32s): a guard of the pass's edges.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlatPanelEdgesTest {

    private Nd4jBackend cpu;

    @BeforeAll
    void open() {
        cpu = new Nd4jBackend(Nd4jPath.CPU_BLAS);
    }

    @AfterAll
    void close() {
        cpu.close();
    }

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 7, 33, 1023, 1024, 1025, 1055, 1057})
    void aFlatKeptProductIsItsStoredValuesTimesWInDoubleAtEveryEdge(int n) throws Exception {
        int d = 5;
        FloatMatrix x = GaussianRows.of(n, d, 977L * n + 3);
        double sigma = 30 * Math.sqrt(2.0 * d);
        try (KernelOperator k = cpu.rbfOperator(x, x, sigma, new TilePlan(true, 256))) {
            Nd4jSymmetricKernelOperator kept = (Nd4jSymmetricKernelOperator) k;
            check(kept, "n = " + n);
            int[] rows = IntStream.range(0, n).filter(i -> i % 7 != 3).toArray();
            try (KernelOperator sub = k.principalSubmatrix(rows, Long.MAX_VALUE)) {
                check((Nd4jSymmetricKernelOperator) sub, "n = " + n + ", submatrix of "
                        + rows.length);
            }
        }
    }

    private static void check(Nd4jSymmetricKernelOperator k, String what) throws Exception {
        int m = k.rows();
        for (int p = 0; p < SymmetricPanels.panelsFor(m); p++) {
            assertTrue(k.panelShifted(p), what + ": panel " + p + " in the double pass");
        }
        Random random = new Random(m + 5);
        double[] w = new double[m];
        for (int i = 0; i < m; i++) {
            w[i] = (random.nextDouble() - 0.3) / m; // mixed signs
        }
        double[] out = new double[m];
        k.multiply(w, out);
        assertAgainstStored(k, w, out, what + ", multiply");
        double[] ones = new double[m];
        Arrays.fill(ones, 1.0);
        double[] sums = new double[m];
        k.rowSums(sums);
        assertAgainstStored(k, ones, sums, what + ", rowSums");

        // One worker, the groups in order: a walk called from a walk's body runs inline.
        double[] inline = new double[m];
        PinnedWorkers.forEachBlock("test: outer walk", 1, (worker, b) -> k.multiply(w, inline));
        assertArrayEquals(out, inline, 0.0, what + ": one worker inline");
        // The groups started out of order: every third one waits a little.
        PinnedWorkers.BlockStarted old = PinnedWorkers.blockStarted;
        double[] shuffled = new double[m];
        try {
            PinnedWorkers.blockStarted = (work, block) -> {
                if (work.equals(Nd4jSymmetricKernelOperator.CANCELLED_PRODUCT)
                        && block % 3 == 0) {
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            k.multiply(w, shuffled);
        } finally {
            PinnedWorkers.blockStarted = old;
        }
        assertArrayEquals(out, shuffled, 0.0, what + ": groups out of order");
        // And again: nothing a product leaves behind (scratch, read-ahead sums) changes the next.
        double[] again = new double[m];
        k.multiply(w, again);
        assertArrayEquals(out, again, 0.0, what + ": a second product");
    }

    /**
     * {@code out} against the stored values times w summed in double: {@code sum_j s_ij w_j}
     * plus {@code sum w_j} over the entries stored shifted, within 1e-12 of
     * {@code sum_j |s_ij w_j|} and the double sums' own rounding of w.
     */
    private static void assertAgainstStored(Nd4jSymmetricKernelOperator k, double[] w,
            double[] out, String what) {
        int m = w.length;
        for (int i = 0; i < m; i++) {
            double gw = 0;
            double shifts = 0;
            double size = 0;
            double absW = 0;
            for (int j = 0; j < m; j++) {
                double s = k.storedValue(i, j);
                gw += s * w[j];
                size += Math.abs(s * w[j]);
                absW += Math.abs(w[j]);
                if (k.storedShifted(i, j)) {
                    shifts += w[j];
                }
            }
            double want = gw + shifts;
            double error = Math.abs(out[i] - want);
            double allowed = 1e-12 * size + 256 * Math.ulp(absW) + 4 * Math.ulp(Math.abs(want));
            assertTrue(error <= allowed, what + ": row " + i + " of " + m + ": " + out[i]
                    + " against " + want + " from the stored values, off by " + error
                    + " (allowed " + allowed + ", sum |s w| " + size + ")");
        }
        assertEquals(m, out.length);
    }
}
