package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.nd4j.Nd4jBackend;
import io.synalign.kernels.nd4j.Nd4jPath;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link BackendContractTest} (every primitive, operator and the GP variance tracker against
 * the double-precision reference, on awkward shapes) on the ND4J CPU (OpenBLAS) path, plus the
 * nd4j-specific tiling checks; {@link Nd4jPortableBackendTest} runs all of them on the portable
 * path.
 */
class Nd4jBackendTest extends BackendContractTest {

    private KernelBackend nd4j;

    /** The execution path under test; {@link Nd4jPortableBackendTest} runs the portable one. */
    Nd4jPath path() {
        return Nd4jPath.CPU_BLAS;
    }

    @BeforeAll
    void open() {
        nd4j = new Nd4jBackend(path());
        assertEquals(path(), ((Nd4jBackend) nd4j).path());
    }

    @AfterAll
    void close() {
        nd4j.close();
    }

    @Override
    protected KernelBackend backend() {
        return nd4j;
    }

    /** The CPU path's kept triangle gathers submatrices; the portable path's whole K does not. */
    @Override
    protected boolean keptSelfKernelOffersSubmatrices() {
        return path() == Nd4jPath.CPU_BLAS;
    }

    /**
     * The kept self-kernel is built in 256-row blocks of 2,048-column chunks: at n = 4,397 the
     * chunks of a block start off the panel grid and the last one is ragged. Its columns (each
     * a product with a unit vector) at and around every kind of boundary equal the float64
     * reference's entry by entry, with an exact unit diagonal.
     */
    @Test
    void keptSelfKernelEntriesAcrossBuildChunks() {
        int n = 4397;
        FloatMatrix x = x(n, 6);
        double sigma = TestRows.medianBandwidth(x, x);
        int[] columns = {0, 31, 32, 255, 256, 2047, 2048, 2303, 2304, 2335, 4095, 4096, 4351,
            4352, 4396};
        int d = x.cols();
        float[] rows = x.data();
        try (KernelOperator kept = nd4j.rbfOperator(x, x, sigma, new TilePlan(true, 64))) {
            double[] unit = new double[n];
            double[] got = new double[n];
            for (int j : columns) {
                unit[j] = 1;
                kept.multiply(unit, got);
                unit[j] = 0;
                assertEquals(1.0, got[j], 0.0, "K[" + j + "][" + j + "]");
                for (int i = 0; i < n; i++) {
                    double d2 = 0;
                    for (int k = 0; k < d; k++) {
                        double diff = (double) rows[i * d + k] - rows[j * d + k];
                        d2 += diff * diff;
                    }
                    double want = Math.exp(-d2 / (2 * sigma * sigma));
                    assertEquals(want, got[i], 2e-6, "K[" + i + "][" + j + "]");
                }
            }
        }
    }

    /**
     * Successive submatrices of one parent (the optimiser's working sets: shrinking, then
     * growing past the storage the last one left behind) each multiply like a fresh gather of
     * their rows, whatever storage they reuse.
     */
    @Test
    void successiveSubmatricesReuseStorageWithoutMixingEntries() {
        org.junit.jupiter.api.Assumptions.assumeTrue(keptSelfKernelOffersSubmatrices());
        int n = 333;
        FloatMatrix x = x(n, 9);
        double sigma = TestRows.medianBandwidth(x, x);
        int[][] sets = {
            java.util.stream.IntStream.range(0, n).filter(i -> i % 4 != 1).toArray(),
            java.util.stream.IntStream.range(0, n).filter(i -> i % 4 == 0).toArray(),
            java.util.stream.IntStream.range(0, n).filter(i -> i % 5 == 2).toArray(),
            java.util.stream.IntStream.range(0, n).filter(i -> i % 9 != 4).toArray()};
        try (KernelOperator op = nd4j.rbfOperator(x, x, sigma, new TilePlan(true, 64))) {
            for (int[] rows : sets) {
                double[] w = TestRows.vector(rows.length, rows.length);
                double[] got = new double[rows.length];
                try (KernelOperator sub = op.principalSubmatrix(rows, Long.MAX_VALUE)) {
                    sub.multiply(w, got);
                }
                FloatMatrix selected = x.selectRows(rows);
                double[] want = new double[rows.length];
                double[] scale = new double[rows.length];
                try (KernelOperator ref = REFERENCE.rbfOperator(selected, selected, sigma,
                        TilePlan.tiled(1))) {
                    ref.multiply(w, want);
                    ref.multiply(Errors.abs(w), scale);
                }
                assertTrue(Errors.normwise(got, want, scale) <= TOLERANCE, rows.length
                        + " rows: error " + Errors.normwise(got, want, scale));
            }
        }
    }

    /**
     * A submatrix is only made when it fits the budget beside its parent, and a submatrix of a
     * submatrix is the submatrix of the composed rows.
     */
    @Test
    void principalSubmatricesRespectTheBudgetAndCompose() {
        org.junit.jupiter.api.Assumptions.assumeTrue(keptSelfKernelOffersSubmatrices());
        int n = 300;
        FloatMatrix x = x(n, 17);
        double sigma = TestRows.medianBandwidth(x, x);
        int[] outer = java.util.stream.IntStream.range(0, n).filter(i -> i % 7 != 3).toArray();
        int[] inner = java.util.stream.IntStream.range(0, outer.length).filter(i -> i % 5 != 0)
                .toArray();
        int[] composed = Arrays.stream(inner).map(i -> outer[i]).toArray();
        long parentBytes = 4L * (n * (long) n / 2 + 32L * n);
        try (KernelOperator op = nd4j.rbfOperator(x, x, sigma, new TilePlan(true, 64))) {
            assertEquals(null, op.principalSubmatrix(outer, parentBytes),
                    "the parent alone nearly fills this budget");
            double[] w = TestRows.vector(inner.length, 9);
            double[] viaTwo = new double[inner.length];
            double[] direct = new double[inner.length];
            try (KernelOperator first = op.principalSubmatrix(outer, Long.MAX_VALUE);
                    KernelOperator second = first.principalSubmatrix(inner, Long.MAX_VALUE);
                    KernelOperator once = op.principalSubmatrix(composed, Long.MAX_VALUE)) {
                second.multiply(w, viaTwo);
                once.multiply(w, direct);
            }
            assertTrue(Arrays.equals(viaTwo, direct), "the entries are copied, not recomputed");
        }
    }

    /** {@code m} with {@code offset} added to every value: the same distances, larger norms. */
    private static FloatMatrix shifted(FloatMatrix m, float offset) {
        float[] data = m.data().clone();
        for (int i = 0; i < data.length; i++) {
            data[i] += offset;
        }
        return new FloatMatrix(m.rows(), m.cols(), data);
    }

    /**
     * Rows that share a large offset (every coordinate + 1,000: norms of about 4,000 against
     * distances of a few units). About the origin the float32 GEMM form lost the kernel values
     * to cancellation (a product off by 4.7e-3, normwise); about the rows' common mean each
     * operator kind, the
     * stateless block and the GP tracker match the float64 reference as closely as for rows
     * near the origin.
     */
    @Test
    void rowsWithALargeSharedOffsetKeepFloatAccuracy() {
        FloatMatrix x = shifted(x(203, 16), 1000f);
        FloatMatrix y = shifted(y(97, 16), 1000f);
        double sigma = TestRows.medianBandwidth(x, y);
        double[] w = TestRows.vector(97, 3);
        double[] v = TestRows.vector(203, 4);
        for (TilePlan plan : new TilePlan[] {TilePlan.tiled(50), new TilePlan(true, 50)}) {
            assertOperatorMatchesReference(x, y, w, sigma, plan);
            assertOperatorMatchesReference(x, x, v, sigma, plan);
        }
        float[] block = new float[203 * 97];
        float[] want = new float[203 * 97];
        nd4j.rbfBlock(x, y, sigma, block);
        REFERENCE.rbfBlock(x, y, sigma, want);
        assertTrue(Errors.normwise(block, Errors.widen(want)) <= TOLERANCE,
                "rbfBlock: " + Errors.normwise(block, Errors.widen(want)));
        try (GpVarianceTracker got = nd4j.gpVarianceTracker(x, sigma, 0.01, 5);
                GpVarianceTracker ref = REFERENCE.gpVarianceTracker(x, sigma, 0.01, 5)) {
            double[] a = new double[203];
            double[] b = new double[203];
            for (int p : new int[] {0, 101, 202}) {
                got.condition(p);
                ref.condition(p);
                got.variances(a);
                ref.variances(b);
                for (int i = 0; i < 203; i++) {
                    assertEquals(b[i], a[i], 1e-4, "variance " + i + " after row " + p);
                }
            }
        }
    }

    /**
     * The CPU path's tracker computes each new factor in blocks of 512 rows, one per pinned
     * worker, each block repairing its own far rows' exponents (the contract's tracker tests
     * stay within one block). Exact copies in a cluster 1e6 from the bulk, in rows straddling
     * the first block boundary and in the last, partial block, copied across blocks; bulk rows
     * copied across blocks too. Conditioned on copies of rows already conditioned on, every
     * variance must stay at the reference's, as in the one-block contract test; at l = 1e-8
     * every row is far and every entry of every block is repaired.
     */
    @ParameterizedTest(name = "l = {0}")
    @ValueSource(doubles = {6.5, 1e-8})
    void gpVariancesAcrossFactorBlocksKeepExactCopiesAtTheReference(double lengthScale) {
        int n = 1_237;
        int d = 16;
        java.util.Random random = new java.util.Random(29);
        float[] data = new float[n * d];
        for (int i = 0; i < n; i++) {
            boolean far = (i >= 480 && i < 560) || i >= 1_180;
            for (int k = 0; k < d; k++) {
                data[i * d + k] = (float) random.nextGaussian() + (far ? 1e6f : 0f);
            }
        }
        for (int c = 0; c < 10; c++) {
            System.arraycopy(data, (500 + c) * d, data, (1_200 + c) * d, d); // far, blocks 0 to 2
            System.arraycopy(data, (540 + c) * d, data, (1_220 + c) * d, d); // far, blocks 1 to 2
            System.arraycopy(data, c * d, data, (700 + c) * d, d); // bulk, blocks 0 to 1
        }
        FloatMatrix x = new FloatMatrix(n, d, data);
        assertVariancesAlongASequence(x, lengthScale, 1e-6,
                new int[] {500, 1_200, 540, 1_220, 0, 700, 1, 530}, 8, 1e-9);
    }

    private void assertOperatorMatchesReference(FloatMatrix x, FloatMatrix y, double[] w,
            double sigma, TilePlan plan) {
        int n = x.rows();
        double[] got = new double[n];
        double[] want = new double[n];
        double[] sums = new double[n];
        double[] wantSums = new double[n];
        double[] scale = new double[n];
        try (KernelOperator op = nd4j.rbfOperator(x, y, sigma, plan);
                KernelOperator ref = REFERENCE.rbfOperator(x, y, sigma, plan)) {
            op.multiply(w, got);
            op.rowSums(sums);
            ref.multiply(w, want);
            ref.rowSums(wantSums);
            ref.multiply(Errors.abs(w), scale);
        }
        String what = (x == y ? "self, " : "") + plan;
        assertTrue(Errors.normwise(got, want, scale) <= TOLERANCE,
                what + ": product " + Errors.normwise(got, want, scale));
        assertTrue(Errors.normwise(sums, wantSums, wantSums) <= TOLERANCE,
                what + ": row sums " + Errors.normwise(sums, wantSums, wantSums));
    }

    /**
     * Rows repeated exactly, norms of about 30, a bandwidth far below their distances: float32
     * cannot resolve such kernel values (the reference's are 1 for a repeat and 0 otherwise),
     * but no value may exceed 1. The exponent of two equal rows rounded above 0 and came out as
     * 4.4 times 1 at sigma = 0.01 and as Infinity at 0.001; the stateless block's self-kernel
     * diagonal was 0 where it is exactly 1.
     */
    @Test
    void repeatedRowsAtASmallBandwidthGiveNoKernelValueAboveOne() {
        int n = 400;
        FloatMatrix base = x(n / 2, 8);
        float[] data = new float[n * 8];
        java.util.Random random = new java.util.Random(11);
        for (int i = 0; i < n / 2; i++) {
            for (int k = 0; k < 8; k++) {
                float value = base.get(i, k) * 10f + (float) random.nextGaussian();
                data[(2 * i) * 8 + k] = value;
                data[(2 * i + 1) * 8 + k] = value;
            }
        }
        FloatMatrix x = new FloatMatrix(n, 8, data);
        for (double sigma : new double[] {1e-3, 1e-2, 0.05}) {
            for (TilePlan plan : new TilePlan[] {TilePlan.tiled(64), new TilePlan(true, 64)}) {
                try (KernelOperator op = nd4j.rbfOperator(x, x, sigma, plan)) {
                    double[] sums = new double[n];
                    op.rowSums(sums);
                    for (int i = 0; i < n; i++) {
                        assertTrue(sums[i] >= 1 - 1e-6 && sums[i] <= 2 + 1e-5,
                                "sigma " + sigma + ", " + plan + ": row sum " + i + " = "
                                        + sums[i] + " (a repeat and itself: at most 2)");
                    }
                }
            }
            float[] block = new float[n * n];
            nd4j.rbfBlock(x, x, sigma, block);
            for (int i = 0; i < n; i++) {
                assertEquals(1f, block[i * n + i], 0f, "sigma " + sigma + ": diagonal " + i);
                for (int j = 0; j < n; j++) {
                    assertTrue(block[i * n + j] <= 1f, "sigma " + sigma + ": K[" + i + "][" + j
                            + "] = " + block[i * n + j]);
                }
            }
        }
    }

    @Test
    void distanceOfARowToItselfIsClampedToZeroNotNegative() {
        FloatMatrix x = x(257, 384);
        float[] got = new float[257 * 257];
        nd4j.squaredDistances(x, x, got);
        for (int i = 0; i < 257; i++) {
            double norm2 = 0;
            for (int k = 0; k < 384; k++) {
                norm2 += (double) x.get(i, k) * x.get(i, k);
            }
            float self = got[i * 257 + i];
            assertTrue(self >= 0 && self <= TOLERANCE * 2 * norm2, "self distance " + self);
        }
    }

    @Test
    void tiledAndMaterialisedOperatorsAgreeForEveryTileHeight() {
        int n = 257;
        FloatMatrix x = x(n, 384);
        FloatMatrix y = y(300, 384);
        double sigma = TestRows.medianBandwidth(x, y);
        double[] w = TestRows.vector(300, 5);
        double[] want = new double[n];
        double[] wantSums = new double[n];
        try (KernelOperator full = nd4j.rbfOperator(x, y, sigma, new TilePlan(true, 64))) {
            full.multiply(w, want);
            full.rowSums(wantSums);
        }
        double[] scale = new double[n];
        try (KernelOperator full = nd4j.rbfOperator(x, y, sigma, new TilePlan(true, 64))) {
            full.multiply(Errors.abs(w), scale);
        }
        for (int tileRows : new int[] {1, 2, 100, 256, 257, 1000}) {
            try (KernelOperator tiled = nd4j.rbfOperator(x, y, sigma, TilePlan.tiled(tileRows))) {
                assertFalse(tiled.materialised());
                double[] got = new double[n];
                double[] sums = new double[n];
                tiled.multiply(w, got);
                tiled.rowSums(sums);
                assertTrue(Errors.normwise(got, want, scale) <= 1e-6, "tileRows " + tileRows);
                assertTrue(Errors.normwise(sums, wantSums, wantSums) <= 1e-6,
                        "tileRows " + tileRows);
            }
        }
    }

    @Test
    void operatorSplitIntoColumnBlocksMatchesReference() {
        // A 2-row tile split among the workers leaves blocks narrower than m: several column
        // blocks per row, the last one partial, summed across partial results.
        int n = 7;
        int m = 8300;
        FloatMatrix x = x(n, 3);
        FloatMatrix y = y(m, 3);
        double sigma = TestRows.medianBandwidth(x, y);
        double[] w = TestRows.vector(m, 13);
        double[] want = new double[n];
        double[] scale = new double[n];
        double[] wantSums = new double[n];
        try (KernelOperator ref = REFERENCE.rbfOperator(x, y, sigma, TilePlan.tiled(1))) {
            ref.multiply(w, want);
            ref.multiply(Errors.abs(w), scale);
            ref.rowSums(wantSums);
        }
        try (KernelOperator op = nd4j.rbfOperator(x, y, sigma, TilePlan.tiled(2))) {
            double[] got = new double[n];
            double[] sums = new double[n];
            op.multiply(w, got);
            op.rowSums(sums);
            assertTrue(Errors.normwise(got, want, scale) <= TOLERANCE, "K w error "
                    + Errors.normwise(got, want, scale));
            assertTrue(Errors.normwise(sums, wantSums, wantSums) <= TOLERANCE, "row sum error "
                    + Errors.normwise(sums, wantSums, wantSums));
        }
    }

    @Test
    void operatorOnTheSameRowSetIsSymmetric() {
        FloatMatrix x = x(257, 3);
        double sigma = TestRows.medianBandwidth(x, x);
        try (KernelOperator op = nd4j.rbfOperator(x, x, sigma, TilePlan.tiled(50))) {
            // e_i^T K e_j == e_j^T K e_i, and the diagonal is exp(0) = 1.
            double[] ei = new double[257];
            double[] col = new double[257];
            ei[3] = 1;
            op.multiply(ei, col);
            assertEquals(1.0, col[3], 1e-6);
            double[] ej = new double[257];
            double[] col2 = new double[257];
            ej[200] = 1;
            op.multiply(ej, col2);
            assertEquals(col[200], col2[3], 1e-6);
        }
    }

    @Test
    void emptyRowSetsGiveEmptyOrZeroResults() {
        FloatMatrix none = new FloatMatrix(0, 3, new float[0]);
        FloatMatrix x = x(7, 3);
        nd4j.squaredDistances(none, x, new float[0]);
        try (KernelOperator op = nd4j.rbfOperator(x, none, 1.0, TilePlan.tiled(4))) {
            double[] out = new double[7];
            Arrays.fill(out, 9.0);
            op.multiply(new double[0], out);
            assertTrue(Arrays.stream(out).allMatch(v -> v == 0.0));
        }
    }

    @Test
    @Override
    void describesItself() {
        assertEquals("nd4j", nd4j.name());
        assertTrue(nd4j.description().contains("ND4J"), nd4j.description());
    }
}
