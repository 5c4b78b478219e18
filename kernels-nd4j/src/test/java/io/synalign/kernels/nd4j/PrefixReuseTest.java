package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The shifted pieces' prefix sums are reused product to product ({@link ShiftedTiles.Prefixes},
 * one holder for the three operators with shifted pieces). A wrong reuse (the previous
 * weights' sums, the ones' sums for weights, sums of another length) would add the wrong
 * column weights to every row of a shifted piece: at a bandwidth where every piece is
 * shifted that is an error of the order of the product itself. So: products with different
 * weights and row sums in a row on one operator, each held to the float64 reference, and a
 * repeated product to the bits of its first run.
 */
class PrefixReuseTest {

    @Test
    void theHolderGivesFreshSumsWhateverItWasAskedBefore() {
        ShiftedTiles.Prefixes prefixes = new ShiftedTiles.Prefixes();
        double[] five = weights(5, 1);
        double[] nine = weights(9, 2);
        double[] otherFive = weights(5, 3);
        assertArrayEquals(ShiftedTiles.prefixSums(five), prefixes.of(five, 5));
        assertArrayEquals(ShiftedTiles.prefixSums(nine), prefixes.of(nine, 9), "another length");
        assertArrayEquals(ShiftedTiles.onesPrefix(9), prefixes.of(null, 9));
        assertArrayEquals(ShiftedTiles.onesPrefix(5), prefixes.of(null, 5), "ones, another length");
        assertArrayEquals(ShiftedTiles.prefixSums(otherFive), prefixes.of(otherFive, 5),
                "other weights of the first length");
        double[] reused = prefixes.of(five, 5);
        assertSame(reused, prefixes.of(otherFive, 5), "the weights' array is reused");
        assertArrayEquals(ShiftedTiles.prefixSums(otherFive), reused);
        assertSame(prefixes.of(null, 5), prefixes.of(null, 5), "the ones' array is kept");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> prefixes.of(nine, 5));
        assertEquals("prefix sums of 9 weights for 5 columns", e.getMessage());
    }

    @Test
    void productsInARowOnOneOperatorEachMatchTheReference() {
        int d = 6;
        FloatMatrix x = GaussianRows.of(301, d, 21);
        FloatMatrix y = GaussianRows.of(277, d, 22);
        // Far above the rows' distances (about sqrt(2 d)): every piece of K is flat, shifted.
        double sigma = 1e3 * Math.sqrt(2.0 * d);
        try (Nd4jBackend cpu = new Nd4jBackend(Nd4jPath.CPU_BLAS);
                Nd4jBackend portable = new Nd4jBackend(Nd4jPath.PORTABLE);
                ReferenceBackend reference = new ReferenceBackend()) {
            for (Nd4jBackend backend : new Nd4jBackend[] {cpu, portable}) {
                for (TilePlan plan : new TilePlan[] {TilePlan.tiled(97), new TilePlan(true, 97)}) {
                    assertProductsInARow(backend, reference, x, y, sigma, plan);
                    assertProductsInARow(backend, reference, x, x, sigma, plan);
                }
            }
        }
    }

    private static void assertProductsInARow(Nd4jBackend backend, ReferenceBackend reference,
            FloatMatrix a, FloatMatrix b, double sigma, TilePlan plan) {
        int n = a.rows();
        int m = b.rows();
        double[] w1 = weights(m, 5);
        double[] w2 = new double[m];
        Random random = new Random(6);
        for (int j = 0; j < m; j++) {
            w2[j] = random.nextDouble() * 4 - 3; // mostly negative: far from w1 and from ones
        }
        double[][] want = new double[3][n];
        double[][] scale = new double[3][n];
        try (KernelOperator ref = reference.rbfOperator(a, b, sigma, TilePlan.tiled(1))) {
            ref.multiply(w1, want[0]);
            ref.multiply(abs(w1), scale[0]);
            ref.rowSums(want[1]);
            ref.rowSums(scale[1]);
            ref.multiply(w2, want[2]);
            ref.multiply(abs(w2), scale[2]);
        }
        try (KernelOperator op = backend.rbfOperator(a, b, sigma, plan)) {
            String what = backend.description() + " " + plan + ", " + n + " x " + m
                    + (a == b ? " (K_XX)" : "");
            double[] first = new double[n];
            double[] sums = new double[n];
            double[] second = new double[n];
            double[] again = new double[n];
            double[] sumsAgain = new double[n];
            op.multiply(w1, first);
            assertTrue(shiftedPieces(op) > 0, what + ": no piece shifted");
            op.rowSums(sums);
            op.multiply(w2, second);
            op.multiply(w1, again);
            op.rowSums(sumsAgain);
            assertNear(first, want[0], scale[0], what + ", K w1");
            assertNear(sums, want[1], scale[1], what + ", row sums after K w1");
            assertNear(second, want[2], scale[2], what + ", K w2 after the row sums");
            assertArrayEquals(first, again, what + ": K w1 again has its first bits");
            assertArrayEquals(sums, sumsAgain, what + ": the row sums again have their bits");
        }
    }

    private static int shiftedPieces(KernelOperator op) {
        if (op instanceof Nd4jKernelOperator k) {
            return k.shiftedPieces();
        }
        if (op instanceof Nd4jSymmetricKernelOperator k) {
            return k.shiftedPieces();
        }
        return ((PortableKernelOperator) op).shiftedPieces();
    }

    /** Within 1e-5 of the reference, normwise against {@code |K| |w|} (the contract's measure). */
    private static void assertNear(double[] got, double[] want, double[] scale, String what) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < got.length; i++) {
            diff += (got[i] - want[i]) * (got[i] - want[i]);
            norm += scale[i] * scale[i];
        }
        double error = Math.sqrt(diff / norm);
        assertTrue(error <= 1e-5, what + ": normwise error " + error);
    }

    private static double[] weights(int n, long seed) {
        Random random = new Random(seed);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = 0.1 + random.nextDouble();
        }
        return w;
    }

    private static double[] abs(double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.abs(v[i]);
        }
        return out;
    }
}
