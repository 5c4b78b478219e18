package io.synalign.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.RowPieces;
import io.synalign.kernels.RowPiecesTest;
import org.junit.jupiter.api.Test;

/**
 * The reference backend's random features are float64 on the Java heap (8 bytes a feature),
 * and since helper chunkgrid34 the engine's chunk grid no longer shrinks with the heap where
 * rows are read in pieces. So the reference sizes its own chunks and budget (helper
 * chunkgrid34b): a chunk's double {@code Phi} within 16 MiB at any D, and the budget for kept
 * chunks, which the engine counts at 4 bytes a feature, half of the default.
 */
class ReferenceFeatureChunkTest {

    /**
     * {@code featureChunkRows(D)} is {@code max(1, floor(2^24 / (8 D)))}, from independent
     * arithmetic, for D from 1 to {@code Integer.MAX_VALUE}: at most 16 MiB of double Phi
     * unless one row alone is more. The default (32 MiB of float32) gave 8,192 rows at
     * D = 1,024, 64 MiB of double Phi: this test failed there (8,192 against 2,048).
     */
    @Test
    void aChunkOfFeaturesHoldsAtMostSixteenMebibytesOfDoubles() {
        ReferenceBackend backend = new ReferenceBackend();
        int[] features = {1, 2, 3, 7, 64, 256, 1000, 1024, 1025, 4097, 1 << 20, 2_097_152,
            2_097_153, 1 << 30, Integer.MAX_VALUE};
        for (int d : features) {
            int rows = backend.featureChunkRows(d);
            long expected = Math.max(1, 16_777_216L / (8L * d));
            assertEquals(expected, rows, "D = " + d);
            assertTrue(rows == 1 || 8L * rows * d <= 16L << 20,
                    "D = " + d + ": " + rows + " rows hold " + 8L * rows * d + " bytes");
        }
        assertEquals(2_048, backend.featureChunkRows(1_024), "D = 1,024");
    }

    /**
     * The budget for kept chunks is at most a quarter of the heap's maximum: half of the
     * default (half of what the heap can still grow by), as the engine counts 4 bytes a feature
     * and the reference keeps 8. The default answered up to half of the maximum: this test
     * fails there wherever less than half of the heap is in use (as in a test JVM).
     */
    @Test
    void theBudgetForKeptFeaturesCountsEightBytesAFeature() {
        long budget = new ReferenceBackend().featureBudgetBytes();
        long max = Runtime.getRuntime().maxMemory();
        assertTrue(budget >= 0 && budget <= max / 4,
                "budget " + budget + " against a heap of " + max);
    }

    /**
     * rff features built from pieces of the rows are those of the whole block, bit for bit
     * (each row's features are its own, in double), at awkward sizes and piece sizes; checked
     * through both products. Passes on the merged code too (coverage of the pieces path).
     */
    @Test
    void featuresFromPiecesAreTheWholeBlocksBitForBit() {
        ReferenceBackend backend = new ReferenceBackend();
        int[][] shapes = {{1, 3, 5}, {257, 7, 33}, {613, 13, 64}};
        for (int[] s : shapes) {
            int n = s[0];
            int d = s[1];
            int features = s[2];
            FloatMatrix x = RowPiecesTest.rows(n, d, 31L * n + d);
            float[] centre = new float[d];
            for (int k = 0; k < d; k++) {
                centre[k] = 0.25f * k - 1f;
            }
            FourierFeatures map = FourierFeatures.sample(d, features, Math.sqrt(d), n)
                    .centredAt(centre);
            double[] w = new double[n];
            double[] z = new double[features];
            java.util.Random r = new java.util.Random(n);
            for (int i = 0; i < n; i++) {
                w[i] = r.nextDouble();
            }
            for (int f = 0; f < features; f++) {
                z[f] = r.nextGaussian();
            }
            double[] t = new double[features];
            double[] p = new double[n];
            try (FeatureOperator whole = backend.fourierFeatureOperator(x, map)) {
                whole.transposeTimes(w, t);
                whole.times(z, p);
            }
            for (int piece : new int[] {1, 7, n - 1, n, n + 3}) {
                if (piece < 1) {
                    continue;
                }
                double[] t2 = new double[features];
                double[] p2 = new double[n];
                try (FeatureOperator op = backend.fourierFeatureOperator(
                        RowPieces.of(x, piece), map)) {
                    op.transposeTimes(w, t2);
                    op.times(z, p2);
                }
                assertArrayEquals(t, t2, 0.0, n + " x " + d + " in pieces of " + piece);
                assertArrayEquals(p, p2, 0.0, n + " x " + d + " in pieces of " + piece);
            }
        }
    }

    /**
     * A piece of other columns than the block says: the merged code computed its features with
     * the piece's own stride (d - 1 columns against a map of d) and returned an operator, no
     * error; this test failed there. Now refused, naming the sizes.
     */
    @Test
    void aPieceOfOtherColumnsIsRefused() {
        ReferenceBackend backend = new ReferenceBackend();
        FourierFeatures map = FourierFeatures.sample(4, 8, 2.0, 3);
        RowPieces bad = RowPiecesTest.scripted(4, 4, 2, RowPiecesTest.rows(2, 4, 1),
                RowPiecesTest.rows(2, 3, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.fourierFeatureOperator(bad, map).close());
        assertTrue(e.getMessage().contains("2 x 3") && e.getMessage().contains("at row 2"),
                e.getMessage());
    }
}
