package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.NativeMemoryException;
import io.synalign.kernels.TilePlan;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The working sets of a tiled K_XX on nd4j's CPU path ({@link Nd4jKernelOperator#principalSubmatrix},
 * helper tws30): kept where {@link Nd4jSymmetricKernelOperator#keptBytes} of the set fits the
 * budget, tiled on the gathered rows otherwise, each multiplying like {@code K[I][I]} computed
 * here in double from the rows (an oracle independent of every backend), within the operator
 * contract's {@code 1e-5 || |K| |w| ||}, at awkward sizes (293 x 7 under tiles of 37 rows, 1,111 x
 * 29 under tiles of 101), for ragged, strided, one-row and all-row sets, at an ordinary and at a
 * flat bandwidth (where both kinds store shifted pieces), after the parent is closed. Before
 * tws30 a tiled K_XX gave no submatrix (null): every test here failed on that code.
 */
class TiledWorkingSetTest {

    @AfterEach
    void restore() {
        Thread.interrupted();
        Nd4jSymmetricKernelOperator.allocator = org.bytedeco.javacpp.FloatPointer::new;
    }

    /** The contract's bound on a product's error, relative to {@code || |K| |w| ||}. */
    private static final double TOLERANCE = 1e-5;

    /** {@code K[I][I] w} (or, with {@code abs}, {@code |K[I][I]| |w|}) in double from the rows. */
    private static double[] oracle(FloatMatrix x, int[] rows, double sigma, double[] w,
            boolean abs) {
        int k = rows.length;
        int d = x.cols();
        double[] out = new double[k];
        for (int a = 0; a < k; a++) {
            double s = 0;
            for (int b = 0; b < k; b++) {
                double d2 = 0;
                for (int c = 0; c < d; c++) {
                    double diff = (double) x.get(rows[a], c) - x.get(rows[b], c);
                    d2 += diff * diff;
                }
                double kab = Math.exp(-d2 / (2 * sigma * sigma));
                s += abs ? kab * Math.abs(w[b]) : kab * w[b];
            }
            out[a] = s;
        }
        return out;
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double e : v) {
            s += e * e;
        }
        return Math.sqrt(s);
    }

    /** {@code ||got - want|| / ||scale||}. */
    private static double error(double[] got, double[] want, double[] scale) {
        double[] diff = new double[got.length];
        for (int i = 0; i < got.length; i++) {
            diff[i] = got[i] - want[i];
        }
        return norm(diff) / norm(scale);
    }

    private static double[] vector(int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] w = new double[k];
        for (int i = 0; i < k; i++) {
            w[i] = r.nextDouble(-1, 1) / k;
        }
        return w;
    }

    /** One row, the ends, every third row, a ragged 61 % draw, all rows. */
    private static List<int[]> sets(int n, long seed) {
        List<int[]> sets = new ArrayList<>();
        sets.add(new int[] {n / 2});
        sets.add(new int[] {0, n - 1});
        sets.add(IntStream.range(0, n).filter(i -> i % 3 == 1).toArray());
        SplittableRandom random = new SplittableRandom(seed);
        sets.add(IntStream.range(0, n).filter(i -> random.nextDouble() < 0.61).toArray());
        sets.add(IntStream.range(0, n).toArray());
        return sets;
    }

    /** The budgets of each edge, and whether the set is then kept. */
    private static long[] budgets(int k) {
        long kept = Nd4jSymmetricKernelOperator.keptBytes(k);
        return new long[] {Long.MAX_VALUE, kept, kept - 1, 0};
    }

    @ParameterizedTest(name = "{0} x {1}, tiles of {2}, {3} x typical distance")
    @CsvSource({"293, 7, 37, 1", "293, 7, 37, 10", "1111, 29, 101, 1"})
    void aTiledSelfKernelsWorkingSetsMultiplyLikeTheDoubleKernelOfTheirRows(int n, int d,
            int tileRows, double factor) {
        FloatMatrix x = GaussianRows.of(n, d, 31L * n + d);
        double sigma = factor * Math.sqrt(2.0 * d);
        try (Nd4jBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS)) {
            for (int[] rows : sets(n, n + 5L)) {
                int k = rows.length;
                double[] w = vector(k, k);
                double[] want = oracle(x, rows, sigma, w, false);
                double[] scale = oracle(x, rows, sigma, w, true);
                double[] ones = new double[k];
                java.util.Arrays.fill(ones, 1.0);
                double[] wantSums = oracle(x, rows, sigma, ones, false);
                long[] budgets = budgets(k);
                for (int e = 0; e < budgets.length; e++) {
                    boolean kept = e < 2;
                    String what = n + " x " + d + ", " + k + " rows, budget " + budgets[e]
                            + " (kept " + Nd4jSymmetricKernelOperator.keptBytes(k) + ")";
                    KernelOperator parent = backend.rbfOperator(x, x, sigma,
                            TilePlan.tiled(tileRows));
                    KernelOperator sub;
                    try {
                        assertFalse(parent.materialised());
                        assertTrue(parent.offersPrincipalSubmatrix(), what);
                        sub = parent.principalSubmatrix(rows, budgets[e]);
                    } finally {
                        parent.close(); // the working set must not depend on its parent
                    }
                    assertNotNull(sub, what + ": no working set");
                    try (KernelOperator owned = sub) {
                        assertEquals(k, owned.rows());
                        assertEquals(k, owned.cols());
                        assertEquals(kept, owned.materialised(), what + ": "
                                + owned.storageDescription());
                        assertTrue(owned.offersPrincipalSubmatrix(), what);
                        double[] got = new double[k];
                        java.util.Arrays.fill(got, Double.NaN);
                        owned.multiply(w, got);
                        assertTrue(error(got, want, scale) <= TOLERANCE,
                                what + ": error " + error(got, want, scale));
                        double[] sums = new double[k];
                        owned.rowSums(sums);
                        assertTrue(error(sums, wantSums, wantSums) <= TOLERANCE,
                                what + ": row sums, error " + error(sums, wantSums, wantSums));
                    }
                }
            }
        }
    }

    /** A working set's own working set (kept of kept, tiled of tiled) is K of the composed rows. */
    @Test
    void aWorkingSetsWorkingSetIsTheKernelOfTheComposedRows() {
        int n = 517;
        FloatMatrix x = GaussianRows.of(n, 9, 3);
        double sigma = Math.sqrt(18.0);
        int[] outer = IntStream.range(0, n).filter(i -> i % 4 != 2).toArray();
        int[] inner = IntStream.range(0, outer.length).filter(a -> a % 5 < 3).toArray();
        int[] composed = IntStream.of(inner).map(a -> outer[a]).toArray();
        double[] w = vector(inner.length, 9);
        double[] want = oracle(x, composed, sigma, w, false);
        double[] scale = oracle(x, composed, sigma, w, true);
        try (Nd4jBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS);
                KernelOperator parent = backend.rbfOperator(x, x, sigma, TilePlan.tiled(61))) {
            for (long budget : new long[] {Long.MAX_VALUE, 0}) {
                try (KernelOperator first = parent.principalSubmatrix(outer, budget);
                        KernelOperator second = first.principalSubmatrix(inner, budget)) {
                    assertEquals(budget != 0, second.materialised());
                    double[] got = new double[inner.length];
                    second.multiply(w, got);
                    assertTrue(error(got, want, scale) <= TOLERANCE, "budget " + budget
                            + ": error " + error(got, want, scale));
                }
            }
        }
    }

    /**
     * {@link io.synalign.kernels.KernelOperator#offersPrincipalSubmatrix} says what
     * principalSubmatrix gives, on every nd4j operator: a tiled or kept K_XX offers and gives
     * one; a kernel of two row sets, tiled or kept, and the portable path's operators neither.
     */
    @Test
    void whatAnOperatorOffersIsWhatItGives() {
        FloatMatrix x = GaussianRows.of(90, 5, 1);
        FloatMatrix y = GaussianRows.of(90, 5, 2);
        int[] rows = {3, 40, 89};
        for (Nd4jPath path : Nd4jPath.values()) {
            try (Nd4jBackend backend = new Nd4jBackend(path)) {
                for (TilePlan plan : new TilePlan[] {TilePlan.tiled(17), new TilePlan(true, 17)}) {
                    for (FloatMatrix other : new FloatMatrix[] {x, y}) {
                        try (KernelOperator op = backend.rbfOperator(x, other, 2.0, plan)) {
                            boolean expected = path == Nd4jPath.CPU_BLAS && other == x;
                            String what = path + " " + plan + (other == x ? " K_XX" : " K_XY");
                            assertEquals(expected, op.offersPrincipalSubmatrix(), what);
                            try (KernelOperator sub = op.principalSubmatrix(rows,
                                    Long.MAX_VALUE)) {
                                assertEquals(expected, sub != null, what);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * An interrupt before a kept working set's build: a {@link CancellationException} from
     * principalSubmatrix with the status kept and the triangle freed, the parent untouched and
     * the next working set of the same bits; a tiled working set's product is cancelled as any
     * tiled product. Closing the backend closes the working set's use as a kept one's.
     */
    @Test
    void workingSetsAreCancelledAndClosedAsKeptOnesAre() {
        int n = 1_100;
        FloatMatrix x = GaussianRows.of(n, 11, 4);
        int[] set = IntStream.range(0, n).filter(i -> i % 10 != 3).toArray();
        double[] w = vector(set.length, 2);
        Nd4jBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS);
        KernelOperator sub;
        try (KernelOperator op = backend.rbfOperator(x, x, 3.0, TilePlan.tiled(128))) {
            double[] expected = new double[set.length];
            try (KernelOperator first = op.principalSubmatrix(set, Long.MAX_VALUE)) {
                first.multiply(w, expected);
            }
            long before = Pointer.totalBytes();
            Thread.currentThread().interrupt();
            CancellationException e = assertThrows(CancellationException.class,
                    () -> op.principalSubmatrix(set, Long.MAX_VALUE));
            assertTrue(e.getMessage().contains("K_SS"), e.getMessage());
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
            long kept = Pointer.totalBytes() - before;
            assertTrue(kept < Nd4jSymmetricKernelOperator.keptBytes(set.length) / 4,
                    "bytes still allocated after the cancelled build: " + kept);

            try (KernelOperator tiled = op.principalSubmatrix(set, 0)) {
                Thread.currentThread().interrupt();
                assertThrows(CancellationException.class,
                        () -> tiled.multiply(w, new double[set.length]));
                assertTrue(Thread.interrupted(), "the interrupt status is kept");
            }

            sub = op.principalSubmatrix(set, Long.MAX_VALUE);
            double[] again = new double[set.length];
            sub.multiply(w, again);
            assertArrayEquals(expected, again, "built after a cancelled build: the same bits");
        }
        backend.close();
        assertThrows(IllegalStateException.class, () -> sub.multiply(w, new double[set.length]),
                "a working set runs after its backend closed");
        sub.close();
        sub.close();
    }

    /**
     * Within the budget a kept working set whose memory is refused is an error naming the
     * tiled K_SS and JavaCPP's cap, not a silent null or a tiled set (the iterates, and so the
     * weights, would then depend on the JVM's limits); over the budget it is tiled, and no
     * allocation is tried.
     */
    @Test
    void refusedMemoryWithinTheBudgetIsAnError() {
        AtomicInteger asked = new AtomicInteger();
        Nd4jSymmetricKernelOperator.allocator = floats -> {
            asked.incrementAndGet();
            throw new OutOfMemoryError("Failed to allocate memory within limits: totalBytes"
                    + " (190M) + size (60M) > maxBytes (200M)");
        };
        FloatMatrix x = GaussianRows.of(300, 6, 8);
        int[] rows = IntStream.range(0, 300).filter(i -> i % 2 == 0).toArray();
        try (Nd4jBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS);
                KernelOperator op = backend.rbfOperator(x, x, 2.0, TilePlan.tiled(64))) {
            try (KernelOperator tiled = op.principalSubmatrix(rows,
                    Nd4jSymmetricKernelOperator.keptBytes(rows.length) - 1)) {
                assertFalse(tiled.materialised());
            }
            assertEquals(0, asked.get());
            NativeMemoryException e = assertThrows(NativeMemoryException.class,
                    () -> op.principalSubmatrix(rows, Long.MAX_VALUE));
            assertEquals(1, asked.get());
            assertTrue(e.getMessage().contains("tiled K_SS")
                    && e.getMessage().contains("150 of 300 rows")
                    && e.getMessage().contains("maxbytes"), e.getMessage());
        }
    }
}
