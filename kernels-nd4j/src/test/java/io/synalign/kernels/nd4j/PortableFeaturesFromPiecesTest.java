package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowPieces;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * nd4j's portable path builds a chunk's random features from pieces of its rows to the bits of
 * the whole chunk (helper grid35), as the CPU path does ({@link FeaturesFromPiecesTest}): its
 * GEMMs are blocks of 256 rows counted from the chunk's first row, whatever the pieces, so the
 * engine can read the chunk within 1/16 of the heap while its grid stays the backend's, D's and
 * d's. Checked on Phi, on both products, against a double-precision reference, and on what the
 * design rests on: a row's features do not depend on how many rows the chunk has around it
 * beyond its own 256-row block (the old single GEMM over all rows let threaded OpenBLAS split
 * by the row count).
 */
class PortableFeaturesFromPiecesTest {

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
                fail(what + ": entry " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    private static void assertSameBits(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i])) {
                fail(what + ": entry " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    /** Phi in double from the float rows and map: the independent reference. */
    private static double[] referencePhi(FloatMatrix x, FourierFeatures map) {
        int d = map.dim();
        int features = map.features();
        double[] out = new double[x.rows() * features];
        for (int i = 0; i < x.rows(); i++) {
            for (int f = 0; f < features; f++) {
                double phase = map.phase()[f];
                for (int k = 0; k < d; k++) {
                    double c = map.centre() == null ? 0 : map.centre()[k];
                    phase += (double) map.omega()[k * features + f]
                            * ((double) x.data()[i * d + k] - c);
                }
                out[i * features + f] = map.scale() * Math.cos(phase);
            }
        }
        return out;
    }

    private static float[] centre(int d) {
        float[] c = new float[d];
        for (int k = 0; k < d; k++) {
            c[k] = 0.5f - 0.125f * k;
        }
        return c;
    }

    @Test
    void anOperatorBuiltFromPiecesIsTheWholeChunksOperatorBitForBit() {
        int[][] shapes = {{1, 3, 5}, {255, 7, 37}, {257, 13, 64}, {613, 5, 33}, {1_000, 17, 129}};
        for (int[] s : shapes) {
            int n = s[0];
            int d = s[1];
            int features = s[2];
            FloatMatrix x = rows(n, d, 31L * n + d);
            double[] w = vector(n, n);
            double[] z = vector(features, features);
            FourierFeatures map = FourierFeatures.sample(d, features, Math.sqrt(d), n + 7L)
                    .centredAt(centre(d));
            float[] phi;
            double[] t = new double[features];
            double[] p = new double[n];
            try (PortableFeatureOperator whole = new PortableFeatureOperator(x, map, null)) {
                phi = whole.phiValues();
                whole.transposeTimes(w, t);
                whole.times(z, p);
            }
            double[] ref = referencePhi(x, map);
            for (int i = 0; i < ref.length; i++) {
                assertTrue(Math.abs(phi[i] - ref[i]) <= 2e-5 * Math.max(1, d / 4.0) * map.scale(),
                        n + " x " + d + ": Phi entry " + i + " is " + phi[i] + ", the double "
                                + "reference " + ref[i]);
            }
            for (int piece : new int[] {1, 7, 100, 255, 256, 300, n, n + 5}) {
                String what = n + " x " + d + " rows, D = " + features + ", pieces of " + piece;
                try (PortableFeatureOperator op = new PortableFeatureOperator(
                        RowPieces.of(x, piece), map, null)) {
                    assertSameBits(phi, op.phiValues(), what);
                    double[] t2 = new double[features];
                    double[] p2 = new double[n];
                    op.transposeTimes(w, t2);
                    op.times(z, p2);
                    assertSameBits(t, t2, what + ", Phi^T w");
                    assertSameBits(p, p2, what + ", Phi z");
                }
            }
        }
    }

    /**
     * Rows of one 256-row block have the same features built alone as inside a chunk of 1,000
     * rows (d = 384, D = 1,024 and d = 130, D = 129: shapes where OpenBLAS gave other bits at
     * another M in {@link FeaturesFromPiecesTest#openBlasRowsAtOtherRowCounts}). The old
     * portable build, one threaded GEMM of M = n, had no such property.
     */
    @Test
    void aBlocksFeaturesDoNotDependOnTheRowsAroundIt() {
        for (int[] s : new int[][] {{384, 1024}, {130, 129}}) {
            int d = s[0];
            int features = s[1];
            int n = 1_000;
            FloatMatrix x = rows(n, d, 3);
            FourierFeatures map = FourierFeatures.sample(d, features, Math.sqrt(d), 4);
            float[] all;
            try (PortableFeatureOperator op = new PortableFeatureOperator(x, map, null)) {
                all = op.phiValues();
            }
            for (int start : new int[] {256, 768}) {
                int count = Math.min(256, n - start);
                float[] sub = new float[count * d];
                System.arraycopy(x.data(), start * d, sub, 0, sub.length);
                float[] part;
                try (PortableFeatureOperator op = new PortableFeatureOperator(
                        new FloatMatrix(count, d, sub), map, null)) {
                    part = op.phiValues();
                }
                float[] expected = new float[count * features];
                System.arraycopy(all, start * features, expected, 0, expected.length);
                assertSameBits(expected, part, "d = " + d + ", D = " + features + ", rows "
                        + start + " to " + (start + count) + " alone");
            }
        }
    }

    /**
     * A piece that is not the block's piece at its row is refused by name, and every native
     * allocation made before it (Phi first) is freed (review35a: the freeing was not checked).
     */
    @Test
    void aPieceLongerThanTheRowsLeftIsRefused() {
        int n = 300;
        int d = 5;
        FourierFeatures map = FourierFeatures.sample(d, 16, 2.0, 11);
        FloatMatrix first = rows(256, d, 1);
        FloatMatrix tooLong = rows(60, d, 2);
        RowPieces pieces = new RowPieces() {
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
        // Every native allocation of the construction is recorded (Buffers.AllocationWatch):
        // Phi, the map, the tiles, the first stage; none may be left open by the refusal.
        java.util.List<Object> made = new java.util.ArrayList<>();
        Buffers.WATCH.set(new Buffers.AllocationWatch() {
            @Override
            public void before() {
            }

            @Override
            public void made(Object allocation) {
                made.add(allocation);
            }
        });
        IllegalArgumentException e;
        try {
            e = assertThrows(IllegalArgumentException.class,
                    () -> new PortableFeatureOperator(pieces, map, null).close());
        } finally {
            Buffers.WATCH.remove();
        }
        assertTrue(e.getMessage().contains("60 x 5") && e.getMessage().contains("at row 256"),
                e.getMessage());
        assertTrue(made.size() >= 2, made.size() + " allocations recorded");
        for (int i = 0; i < made.size(); i++) {
            assertTrue(((org.nd4j.linalg.api.ndarray.INDArray) made.get(i)).wasClosed(),
                    "allocation " + (i + 1) + " of " + made.size() + " left open");
        }
    }

    /** Through the backend: the portable path now takes pieces and says so. */
    @Test
    void thePortableBackendBuildsFromPiecesWithTheWholeChunksBits() {
        try (KernelBackend backend = new Nd4jBackend(Nd4jPath.PORTABLE)) {
            assertTrue(backend.featureRowsInPieces(), "the portable path takes pieces");
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
            for (int piece : new int[] {1, 33, 512}) {
                double[] t2 = new double[features];
                try (FeatureOperator op = backend.fourierFeatureOperator(RowPieces.of(x, piece),
                        map)) {
                    op.transposeTimes(w, t2);
                }
                assertSameBits(t, t2, "pieces of " + piece);
            }
            assertThrows(IllegalArgumentException.class,
                    () -> backend.fourierFeatureOperator(RowPieces.of(rows(3, 4, 1), 2), map));
        }
    }
}
