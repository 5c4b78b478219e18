package io.synalign.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
