package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.nio.FloatBuffer;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link ShiftedTiles} and {@link PortableShifts}: g = expm1(e) to float32's relative precision
 * (where ND4J's own expm1 is exp - 1), the same on both paths; the decision of a flat piece
 * exactly the brute-force one, bounds or no bounds; the grid cut where blocks end.
 */
class ShiftedTilesTest {

    /** Exponents over (-1, 0]: log-uniform magnitudes from 1e-12, plus 0, -0 and the ends. */
    private static float[] exponents(int n, long seed) {
        Random random = new Random(seed);
        float[] e = new float[n];
        for (int i = 0; i < n; i++) {
            e[i] = (float) -Math.pow(10, -12 + 12 * random.nextDouble());
        }
        e[0] = 0f;
        e[1] = -0f;
        e[2] = -1f;
        e[3] = -0.5f;
        e[4] = 3e-7f; // a rounding residue above 0: clamped, g = 0
        return e;
    }

    @Test
    void expm1KeepsTheRelativePrecisionOfFloat32() {
        float[] e = exponents(200_003, 1);
        float[] g = e.clone();
        ShiftedTiles.expm1(g, 0, g.length);
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            double want = Math.expm1(Math.min(e[i], 0f));
            if (want == 0) {
                assertEquals(0.0, g[i], 0.0, "expm1(" + e[i] + ")");
                continue;
            }
            worst = Math.max(worst, Math.abs(g[i] - want) / -want);
        }
        assertTrue(worst <= 2e-7, "worst relative error " + worst);
        // What ND4J's expm1 (libnd4j: exp(x) - 1) gives instead, so this class computes g itself.
        INDArray nd4j = Transforms.expm1(Nd4j.create(e, new long[] {e.length}, DataType.FLOAT),
                false);
        float[] theirs = nd4j.toFloatVector();
        double theirWorst = 0;
        for (int i = 5; i < e.length; i++) {
            double want = Math.expm1(e[i]);
            theirWorst = Math.max(theirWorst, Math.abs(theirs[i] - want) / -want);
        }
        assertTrue(theirWorst > 0.5, "ND4J's expm1 is now accurate (" + theirWorst
                + "): ShiftedTiles could use it");
    }

    @Test
    void thePortablePathComputesTheSameG() {
        float[] e = exponents(10_007, 2);
        float[] want = e.clone();
        ShiftedTiles.expm1(want, 0, want.length);
        INDArray x = Nd4j.create(e, new long[] {e.length}, DataType.FLOAT);
        PortableShifts.expm1(x);
        assertArrayEquals(want, x.toFloatVector(), 0f);
    }

    @Test
    void expm1OnNativeMemoryInPiecesOfTheScratch() {
        float[] e = exponents(5_000, 3);
        float[] want = e.clone();
        ShiftedTiles.expm1(want, 100, 4_321);
        try (FloatPointer p = new FloatPointer(e)) {
            FloatBuffer buffer = p.asBuffer();
            ShiftedTiles.expm1(buffer, 100, 4_221, new float[333]);
            float[] got = new float[e.length];
            p.get(got);
            assertArrayEquals(want, got, 0f);
        }
    }

    @Test
    void piecesAreCutAtMultiplesOfTheUnitAndWhereTheRangeEnds() {
        assertEquals(0, ShiftedTiles.pieces(5, 0, 32));
        assertEquals(1, ShiftedTiles.pieces(5, 10, 32));
        assertEquals(2, ShiftedTiles.pieces(5, 59, 32));
        assertEquals(3, ShiftedTiles.pieces(5, 60, 32));
        assertEquals(5, ShiftedTiles.pieces(0, 129, 32));
        int start = 37;
        int count = 300;
        int covered = start;
        for (int k = 0; k < ShiftedTiles.pieces(start, count, 32); k++) {
            assertEquals(covered, ShiftedTiles.pieceStart(start, 32, k));
            int end = ShiftedTiles.pieceEnd(start, count, 32, k);
            assertTrue(end == start + count || end % 32 == 0, "piece " + k + " ends at " + end);
            covered = end;
        }
        assertEquals(start + count, covered);
    }

    /**
     * On real exponent blocks at bandwidths around where pieces turn flat (and far past it,
     * where the bounds decide), {@link ShiftedTiles#flat} answers exactly whether every exponent
     * is above the limit (-1/4): pieces of several shapes, with and without the centre bound, of clustered
     * rows (the hop bound) and spread ones (the centre bound).
     */
    @Test
    void aPieceIsFlatExactlyWhenEveryExponentIsAboveTheLimit() {
        FloatMatrix spread = GaussianRows.of(150, 9, 4);
        float[] clustered = GaussianRows.of(150, 9, 5, 0.05).data().clone();
        for (int i = 0; i < clustered.length; i++) {
            clustered[i] += 40f; // a tight cluster far from the origin
        }
        int flat = 0;
        int steep = 0;
        for (FloatMatrix x : new FloatMatrix[] {spread, new FloatMatrix(150, 9, clustered)}) {
            FloatMatrix y = x.selectRows(java.util.stream.IntStream.range(0, 150)
                    .filter(i -> i % 3 != 0).toArray());
            double median = Math.sqrt(medianSquaredDistance(x, y));
            for (double factor : new double[] {0.5, 0.9, 1.1, 1.3, 1.6, 2, 3, 10, 100}) {
                double sigma = factor * median;
                float alpha = (float) (1 / (sigma * sigma));
                int n = x.rows();
                int m = y.rows();
                try (DistanceGemm gemm = new DistanceGemm(x, y, alpha);
                        FloatPointer block = new FloatPointer((long) n * m)) {
                    gemm.block(0, n, alpha, block);
                    FloatBuffer e = DistanceGemm.floats(block, n * m);
                    for (int[] piece : new int[][] {{0, 0, 32, 64}, {17, 5, 30, 90},
                            {100, 60, 50, 40}, {0, 0, 1, 1}, {149, 99, 1, 1}, {3, 7, 1, 80}}) {
                        int r0 = piece[0];
                        int c0 = piece[1];
                        int rows = Math.min(piece[2], n - r0);
                        int cols = Math.min(piece[3], m - c0);
                        boolean want = true;
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < cols; j++) {
                                want &= e.get((r0 + i) * m + c0 + j) > ShiftedTiles.LIMIT;
                            }
                        }
                        String what = "factor " + factor + ", piece at (" + r0 + ", " + c0 + ")";
                        assertEquals(want, ShiftedTiles.flat(e, r0 * m + c0, m, rows, cols,
                                gemm.radii(), r0, c0), what);
                        assertEquals(want, ShiftedTiles.flat(e, r0 * m + c0, m, rows, cols,
                                null, r0, c0), what + " without the centre bound");
                        if (want) {
                            flat++;
                        } else {
                            steep++;
                        }
                    }
                }
            }
        }
        assertTrue(flat > 20 && steep > 20, flat + " flat and " + steep + " steep pieces");
    }

    /**
     * The first row and column all above the limit, the inside below it: the bound through the
     * first row and column ({@code s_ij <= s_i0 + s_00 + s_0j}: (sqrt 0.2 + 0 + sqrt 0.2)^2 = 0.8,
     * past the bound) must not prove the piece flat; the points are real (1-D: x = 0, a, a
     * against y = 0, -a, -a), so the triangle inequality holds. A bound that subtracted a hop,
     * or dropped a square root's sign, proved it flat (a PIT mutant survived the random cases).
     */
    @Test
    void aFlatEdgeAroundASteepInsideIsNotFlat() {
        float[] steep = {0f, -0.2f, -0.2f, -0.2f, -0.8f, -0.8f, -0.2f, -0.8f, -0.8f};
        assertEquals(false, ShiftedTiles.flat(FloatBuffer.wrap(steep), 0, 3, 3, 3, null, 0, 0));
        float[] gentle = {0f, -0.2f, -0.2f, -0.2f, -0.24f, -0.24f, -0.2f, -0.24f, -0.24f};
        assertEquals(true, ShiftedTiles.flat(FloatBuffer.wrap(gentle), 0, 3, 3, 3, null, 0, 0));
    }

    private static double medianSquaredDistance(FloatMatrix x, FloatMatrix y) {
        double[] d2 = new double[x.rows() * y.rows()];
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < y.rows(); j++) {
                double s = 0;
                for (int k = 0; k < x.cols(); k++) {
                    double v = (double) x.get(i, k) - y.get(j, k);
                    s += v * v;
                }
                d2[i * y.rows() + j] = s;
            }
        }
        java.util.Arrays.sort(d2);
        return d2[d2.length / 2];
    }
}
