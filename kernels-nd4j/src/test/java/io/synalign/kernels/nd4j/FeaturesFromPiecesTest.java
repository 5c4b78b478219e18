package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.RowPieces;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A chunk's random-feature operator built from its rows in pieces ({@link RowPieces}: how the
 * engine reads a chunk of wide rows within 1/16 of the heap, helper chunkgrid34) must be the
 * operator of the whole chunk bit for bit, whatever the piece size: otherwise the weights would
 * follow {@code -Xmx} again. On nd4j's CPU path the pieces go into staged GEMM inputs and every
 * GEMM block (256 rows from the chunk's first) is the same call on the same values; checked on
 * Phi itself, on both products, and on a reload, for row counts about the blocks and pieces of
 * 1 row up to more than the chunk; and against a double-precision reference of the features.
 *
 * <p>Also measured here, not relied on: whether OpenBLAS's SGEMM gives a row the same bits in
 * GEMMs of different row counts M ({@link #openBlasRowsAtOtherRowCounts}, printed).
 */
class FeaturesFromPiecesTest {

    private static FloatMatrix rows(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (r.nextGaussian() * 1.5 + 0.25);
        }
        return new FloatMatrix(n, d, data);
    }

    private static double[] vector(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    private static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": entry " + i + " is " + actual[i] + ", the whole chunk's "
                        + expected[i]);
            }
        }
    }

    private static void assertSameBits(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i])) {
                fail(what + ": entry " + i + " is " + actual[i] + ", the whole chunk's "
                        + expected[i]);
            }
        }
    }

    /** Phi^T w in double from the double features of the float rows and map. */
    private static double[] referenceTransposeTimes(FloatMatrix x, FourierFeatures map,
            double[] w) {
        int d = map.dim();
        int features = map.features();
        double[] out = new double[features];
        for (int i = 0; i < x.rows(); i++) {
            for (int f = 0; f < features; f++) {
                double phase = map.phase()[f];
                for (int k = 0; k < d; k++) {
                    double c = map.centre() == null ? 0 : map.centre()[k];
                    phase += (double) map.omega()[k * features + f]
                            * ((double) x.data()[i * d + k] - c);
                }
                out[f] += w[i] * map.scale() * Math.cos(phase);
            }
        }
        return out;
    }

    @Test
    void anOperatorBuiltFromPiecesIsTheWholeChunksOperatorBitForBit() {
        int[][] shapes = {{1, 3, 5}, {255, 7, 37}, {257, 13, 64}, {613, 5, 33}, {1_000, 17, 129}};
        for (int[] s : shapes) {
            int n = s[0];
            int d = s[1];
            int features = s[2];
            FloatMatrix x = rows(n, d, 31L * n + d);
            FloatMatrix other = rows(n, d, 47L * n + d);
            double[] w = vector(n, n);
            double[] z = vector(features, features);
            FourierFeatures map = FourierFeatures.sample(d, features, Math.sqrt(d), n + 7L)
                    .centredAt(centre(d));
            float[] phi;
            double[] t = new double[features];
            double[] p = new double[n];
            try (Nd4jFeatureOperator whole = new Nd4jFeatureOperator(x, map, null)) {
                phi = whole.phiValues();
                whole.transposeTimes(w, t);
                whole.times(z, p);
            }
            double[] ref = referenceTransposeTimes(x, map, w);
            double norm = 0;
            double err = 0;
            for (int f = 0; f < features; f++) {
                norm += ref[f] * ref[f];
                err += (t[f] - ref[f]) * (t[f] - ref[f]);
            }
            assertTrue(Math.sqrt(err) <= 1e-5 * Math.max(1, Math.sqrt(norm)) * Math.sqrt(n),
                    n + " x " + d + ": Phi^T w off the double reference by " + Math.sqrt(err));
            for (int piece : new int[] {1, 7, 100, 255, 256, 300, n, n + 5}) {
                String what = n + " x " + d + " rows, D = " + features + ", pieces of " + piece;
                try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(RowPieces.of(x, piece), map,
                        null)) {
                    assertSameBits(phi, op.phiValues(), what);
                    double[] t2 = new double[features];
                    double[] p2 = new double[n];
                    op.transposeTimes(w, t2);
                    op.times(z, p2);
                    assertSameBits(t, t2, what + ", Phi^T w");
                    assertSameBits(p, p2, what + ", Phi z");
                }
                try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(other, map, null)) {
                    assertTrue(op.reload(RowPieces.of(x, piece)), what);
                    assertSameBits(phi, op.phiValues(), what + ", reloaded");
                    // And again, from other pieces, into the staged inputs it keeps.
                    assertTrue(op.reload(RowPieces.of(x, Math.max(1, piece / 2))), what);
                    assertSameBits(phi, op.phiValues(), what + ", reloaded twice");
                }
            }
        }
    }

    /**
     * A last piece longer than the rows left (60 rows where 44 of a 300-row block remain): the
     * merged code took the 44 it needed and dropped the rest unseen, building an operator of
     * rows the caller never meant (this test failed there: nothing was thrown). Now refused,
     * naming the piece, from the constructor and from a reload alike (helper review34c).
     */
    @Test
    void aPieceLongerThanTheRowsLeftIsRefused() {
        int n = 300;
        int d = 5;
        FourierFeatures map = FourierFeatures.sample(d, 16, 2.0, 11);
        FloatMatrix first = rows(256, d, 1);
        FloatMatrix tooLong = rows(60, d, 2);
        java.util.function.Supplier<RowPieces> pieces = () -> new RowPieces() {
            private int taken;

            @Override
            public int rows() {
                return n;
            }

            @Override
            public int cols() {
                return d;
            }

            @Override
            public int pieceRows() {
                return 256;
            }

            @Override
            public FloatMatrix next() {
                return taken++ == 0 ? first : tooLong;
            }
        };
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> new Nd4jFeatureOperator(pieces.get(), map, null).close());
        assertTrue(e.getMessage().contains("60 x 5") && e.getMessage().contains("at row 256"),
                e.getMessage());
        try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(rows(n, d, 3), map, null)) {
            e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> op.reload(pieces.get()));
            assertTrue(e.getMessage().contains("expected 44 x 5"), e.getMessage());
        }
    }

    /** Through the backend: the CPU path builds from pieces and says so. */
    @Test
    void theBackendBuildsFromPiecesWithTheWholeChunksBits() {
        try (KernelBackend backend = KernelBackends.create("nd4j")) {
            int n = 777;
            int d = 11;
            int features = 50;
            FloatMatrix x = rows(n, d, 5);
            FourierFeatures map = FourierFeatures.sample(d, features, 3.0, 9);
            double[] w = vector(n, 1);
            double[] t = new double[features];
            try (FeatureOperator whole = backend.fourierFeatureOperator(x, map)) {
                whole.transposeTimes(w, t);
            }
            assertTrue(backend.featureRowsInPieces(), "the CPU path takes pieces");
            for (int piece : new int[] {1, 33, 512}) {
                double[] t2 = new double[features];
                try (FeatureOperator op = backend.fourierFeatureOperator(RowPieces.of(x, piece),
                        map)) {
                    op.transposeTimes(w, t2);
                }
                assertSameBits(t, t2, "pieces of " + piece);
            }
        }
    }

    /**
     * The measurement the design does not rely on: rows [a, b) of one GEMM's features against
     * the same rows computed as a GEMM of their own (M = b - a), single-threaded as every call
     * here is. Prints how many rows differ; asserts only that the values agree to float
     * rounding.
     */
    @Test
    void openBlasRowsAtOtherRowCounts() {
        int[][] shapes = {{256, 384, 1024}, {256, 37, 33}, {256, 130, 129}};
        for (int[] s : shapes) {
            int n = s[0];
            int d = s[1];
            int features = s[2];
            FloatMatrix x = rows(n, d, 3);
            FourierFeatures map = FourierFeatures.sample(d, features, Math.sqrt(d), 4);
            float[] whole;
            try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(x, map, null)) {
                whole = op.phiValues();
            }
            StringBuilder report = new StringBuilder("d = " + d + ", D = " + features + ":");
            for (int[] range : new int[][] {{0, 1}, {0, 7}, {5, 12}, {0, 100}, {17, 250},
                    {0, 255}}) {
                int a = range[0];
                int m = range[1] - a;
                float[] sub = new float[m * d];
                System.arraycopy(x.data(), a * d, sub, 0, sub.length);
                float[] part;
                try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(new FloatMatrix(m, d, sub),
                        map, null)) {
                    part = op.phiValues();
                }
                int differ = 0;
                for (int i = 0; i < m; i++) {
                    for (int f = 0; f < features; f++) {
                        float u = whole[(a + i) * features + f];
                        float v = part[i * features + f];
                        assertTrue(Math.abs(u - v) <= 1e-5 * map.scale(), "rows " + a + "+" + i);
                        if (Float.floatToRawIntBits(u) != Float.floatToRawIntBits(v)) {
                            differ++;
                            break;
                        }
                    }
                }
                report.append(" M = ").append(m).append(" at ").append(a).append(": ")
                        .append(differ).append(" rows differ;");
            }
            System.out.println("OpenBLAS rows by M, " + report);
        }
    }

    private static float[] centre(int d) {
        float[] c = new float[d];
        for (int k = 0; k < d; k++) {
            c[k] = 0.5f - 0.125f * k;
        }
        return c;
    }
}
