package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

/**
 * Phi's memory is not zero-filled before the build ({@link Nd4jFeatureOperator}), so the build
 * must write every entry. Built into memory poisoned with NaN, Phi must have the same bits as
 * the ordinary build, entry by entry (an entry the walk missed would stay NaN, or keep whatever
 * the allocator handed out), and both must match a double-precision reference of
 * {@code sqrt(2/D) cos(omega . (x - c) + b)}. Row counts about the 256-row blocks (1, 255, 256,
 * 257, 1,000) and odd feature counts; a reload into poisoned memory as well.
 */
class FeatureBuildCoverageTest {

    /** A quiet NaN with a payload, so a poisoned entry is told from a NaN the build made. */
    private static final float POISON = Float.intBitsToFloat(0x7fc0beef);

    private static FloatPointer poisoned(long length) {
        FloatPointer p = new FloatPointer(length);
        for (long i = 0; i < length; i++) {
            p.put(i, POISON);
        }
        return p;
    }

    private static FloatMatrix rows(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (r.nextGaussian() * 1.5 + 0.25);
        }
        return new FloatMatrix(n, d, data);
    }

    /** The double-precision features, from the map's float parameters and the float rows. */
    private static double[] reference(FloatMatrix x, FourierFeatures map) {
        int n = x.rows();
        int d = map.dim();
        int features = map.features();
        double[] out = new double[n * features];
        for (int i = 0; i < n; i++) {
            for (int f = 0; f < features; f++) {
                double phase = map.phase()[f];
                for (int k = 0; k < d; k++) {
                    double c = map.centre() == null ? 0 : map.centre()[k];
                    phase += (double) map.omega()[k * features + f] * ((double) x.data()[i * d + k] - c);
                }
                out[i * features + f] = map.scale() * Math.cos(phase);
            }
        }
        return out;
    }

    private static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": entry " + i + " is " + actual[i] + " (bits "
                        + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + "), the ordinary build's "
                        + expected[i]);
            }
        }
    }

    private static void assertNearReference(FloatMatrix x, FourierFeatures map, float[] phi, String what) {
        double[] ref = reference(x, map);
        double tolerance = 1e-5 * map.scale();
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Math.abs(phi[i] - ref[i]) <= tolerance, what + ": entry " + i + " (row "
                    + i / map.features() + ") is " + phi[i] + ", reference " + ref[i]);
        }
    }

    @Test
    void aBuildIntoPoisonedMemoryHasTheOrdinaryBuildsBitsInEveryEntry() {
        int[][] shapes = {{1, 3, 5}, {255, 7, 37}, {256, 13, 64}, {257, 5, 33}, {1_000, 17, 129}};
        for (int[] s : shapes) {
            int n = s[0];
            int d = s[1];
            int features = s[2];
            FloatMatrix x = rows(n, d, 31L * n + d);
            for (FourierFeatures map : new FourierFeatures[] {
                    FourierFeatures.sample(d, features, Math.sqrt(d), n + 7L),
                    FourierFeatures.sample(d, features, Math.sqrt(d), n + 8L).centredAt(centre(d))}) {
                String what = n + " x " + d + " rows, D = " + features + (map.centred() ? ", centred" : "");
                float[] ordinary;
                try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(x, map, null)) {
                    ordinary = op.phiValues();
                }
                try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(x, map, null,
                        FeatureBuildCoverageTest::poisoned)) {
                    assertSameBits(ordinary, op.phiValues(), what);
                }
                assertNearReference(x, map, ordinary, what);
            }
        }
    }

    private static float[] centre(int d) {
        float[] c = new float[d];
        for (int k = 0; k < d; k++) {
            c[k] = 0.5f - 0.125f * k;
        }
        return c;
    }

    /** A reload writes every entry too: Phi poisoned between a build and a reload. */
    @Test
    void aReloadIntoPoisonedMemoryHasTheBitsOfAFreshBuild() {
        int n = 513;
        int d = 6;
        int features = 45;
        FourierFeatures map = FourierFeatures.sample(d, features, 2.0, 3);
        FloatMatrix first = rows(n, d, 1);
        FloatMatrix second = rows(n, d, 2);
        float[] fresh;
        try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(second, map, null)) {
            fresh = op.phiValues();
        }
        try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(first, map, null)) {
            FloatPointer memory = op.phiMemory();
            for (long i = 0; i < (long) n * features; i++) {
                memory.put(i, POISON);
            }
            assertTrue(op.reload(second));
            assertSameBits(fresh, op.phiValues(), "reloaded");
            assertNearReference(second, map, op.phiValues(), "reloaded");
        }
    }

    /** No rows: nothing is built, and the products are empty sums. */
    @Test
    void noRowsBuildNothing() {
        FourierFeatures map = FourierFeatures.sample(4, 9, 2.0, 5);
        try (Nd4jFeatureOperator op = new Nd4jFeatureOperator(new FloatMatrix(0, 4, new float[0]), map, null,
                FeatureBuildCoverageTest::poisoned)) {
            double[] out = new double[9];
            op.transposeTimes(new double[0], out);
            for (double v : out) {
                assertEquals(0.0, v);
            }
            assertEquals(0, op.phiValues().length);
        }
    }
}
