package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A centred map ({@link FourierFeatures#centredAt}) against an exact reference of its phases:
 * {@code b + Omega^T c} summed in {@link BigDecimal}, reduced by 2 pi to 40 digits; the
 * centre's checks; and the row operand ({@link FourierFeatures#centreRow}).
 */
class FourierFeaturesTest {

    private static final BigDecimal TWO_PI = new BigDecimal(
            "6.283185307179586476925286766559005768394338798750211641949889");
    private static final MathContext DIGITS = new MathContext(40);

    @Test
    void centredPhasesAreTheShiftedPhasesReducedByTwoPiAndRoundedOnce() {
        Random random = new Random(3);
        int[][] shapes = {{1, 1}, {3, 257}, {53, 31}, {384, 97}};
        double[] offsets = {0, 1, -250, 1e4, -3e5};
        for (int[] shape : shapes) {
            for (double offset : offsets) {
                int d = shape[0];
                int features = shape[1];
                FourierFeatures map = FourierFeatures.sample(d, features, 0.5 + d * 0.1,
                        random.nextLong());
                float[] c = new float[d];
                for (int k = 0; k < d; k++) {
                    c[k] = (float) (offset + random.nextGaussian());
                }
                FourierFeatures centred = map.centredAt(c);
                String where = "d = " + d + ", D = " + features + ", offset " + offset;
                assertSame(map.omega(), centred.omega(), where);
                assertArrayEquals(c, centred.centre(), where);
                assertNotSame(c, centred.centre(), "the centre is copied");
                assertTrue(centred.centred() && !map.centred(), where);
                for (int f = 0; f < features; f++) {
                    BigDecimal t = new BigDecimal(map.phase()[f]);
                    for (int k = 0; k < d; k++) {
                        t = t.add(new BigDecimal(map.omega()[k * features + f])
                                .multiply(new BigDecimal(c[k])));
                    }
                    BigDecimal turns = t.divide(TWO_PI, DIGITS).setScale(0,
                            java.math.RoundingMode.FLOOR);
                    double exact = t.subtract(turns.multiply(TWO_PI)).doubleValue();
                    float got = centred.phase()[f];
                    assertTrue(got >= 0 && got <= (float) (2 * Math.PI), where + ", feature "
                            + f + ": phase " + got + " outside [0, 2 pi]");
                    // Within one float32 rounding of the exact reduced phase (or across 2 pi).
                    double diff = Math.abs(got - exact);
                    diff = Math.min(diff, Math.abs(diff - 2 * Math.PI));
                    assertTrue(diff <= Math.ulp((float) (2 * Math.PI)), where + ", feature " + f
                            + ": phase " + got + ", exact " + exact);
                }
            }
        }
    }

    @Test
    void theRowOperandIsTheRowLessTheCentreInFloat32() {
        FourierFeatures plain = FourierFeatures.sample(3, 2, 1, 1);
        float[] rows = {1, 2, 3, 1e4f + 0.5f, -7, 0.25f};
        float[] out = new float[8];
        plain.centreRow(rows, 1, out, 2);
        assertArrayEquals(new float[] {0, 0, 1e4f + 0.5f, -7, 0.25f, 0, 0, 0}, out);
        FourierFeatures centred = plain.centredAt(new float[] {1e4f, -6, 1});
        centred.centreRow(rows, 1, out, 5);
        assertEquals(0.5f, out[5]);
        assertEquals(-1f, out[6]);
        assertEquals(-0.75f, out[7]);
        assertNull(plain.centre());
    }

    @Test
    void aCentreIsCheckedAndNamesTheBadValue() {
        FourierFeatures map = FourierFeatures.sample(3, 4, 1, 1);
        IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                () -> map.centredAt(new float[2]));
        assertEquals("centre has 2 values, expected 3", length.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> map.centredAt(new float[] {0, Float.NaN, 0}));
        assertEquals("centre value 1 is NaN; a centre must be finite", nan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FourierFeatures(3, 4,
                map.omega(), map.phase(), new float[] {0, 0, Float.POSITIVE_INFINITY}));
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> map.centredAt(new float[3]).centredAt(new float[3]));
        assertEquals("this feature map is centred already", twice.getMessage());
        assertFalse(new FourierFeatures(3, 4, map.omega(), map.phase()).centred());
    }

    /** Every constructor check names its value (the canonical one, not only centredAt's). */
    @Test
    void theConstructorRefusesBadShapesByName() {
        float[] omega = new float[12];
        float[] phase = new float[4];
        assertEquals("dim must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> new FourierFeatures(0, 4, omega, phase)).getMessage());
        assertEquals("features must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> new FourierFeatures(3, 0, omega, phase)).getMessage());
        assertEquals("omega has 12 values, expected 15", assertThrows(
                IllegalArgumentException.class,
                () -> new FourierFeatures(3, 5, omega, new float[5])).getMessage());
        assertEquals("phase has 4 values, expected 5", assertThrows(
                IllegalArgumentException.class,
                () -> new FourierFeatures(3, 5, new float[15], phase)).getMessage());
        assertEquals("centre has 2 values, expected 3", assertThrows(
                IllegalArgumentException.class,
                () -> new FourierFeatures(3, 4, omega, phase, new float[2])).getMessage());
        assertEquals(3, new FourierFeatures(3, 4, omega, phase, new float[3]).dim());
    }

    @Test
    void sampleRefusesABadBandwidthOrTooManyFrequencies() {
        for (double sigma : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FourierFeatures.sample(3, 4, sigma, 1));
            assertEquals("bandwidth must be a positive finite number, got " + sigma,
                    e.getMessage());
        }
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> FourierFeatures.sample(65_536, 65_536, 1, 1));
        assertTrue(big.getMessage().startsWith("65536 random features at dimension 65536 need"
                + " 4294967296 frequencies"), big.getMessage());
    }

    /**
     * The draw itself: frequencies with mean 0 and variance 1 / sigma^2, phases on [0, 2 pi)
     * with mean pi (200,000 and 20,000 draws: bounds of about five standard errors), and the
     * features' inner products approximating the RBF kernel (D = 20,000: error about
     * 1/sqrt(D)), by the float64 reference backend.
     */
    @Test
    void theDrawApproximatesTheRbfKernel() {
        double sigma = 2.5;
        int d = 10;
        int features = 20_000;
        FourierFeatures map = FourierFeatures.sample(d, features, sigma, 17);
        double sum = 0;
        double sum2 = 0;
        for (float w : map.omega()) {
            sum += w;
            sum2 += (double) w * w;
        }
        int n = map.omega().length;
        double mean = sum / n;
        double variance = sum2 / n - mean * mean;
        assertEquals(0, mean, 5 / sigma / Math.sqrt(n), "frequencies' mean");
        assertEquals(1 / (sigma * sigma), variance, 5 * Math.sqrt(2.0 / n) / (sigma * sigma),
                "frequencies' variance");
        double phaseSum = 0;
        for (float b : map.phase()) {
            assertTrue(b >= 0 && b < (float) (2 * Math.PI), "phase " + b);
            phaseSum += b;
        }
        assertEquals(Math.PI, phaseSum / features, 5 * 2 * Math.PI / Math.sqrt(12.0 * features),
                "phases' mean");
        assertEquals(Math.sqrt(2.0 / features), map.scale(), 0);

        Random random = new Random(5);
        float[] rows = new float[4 * d];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (float) (random.nextGaussian() * 1.5);
        }
        FloatMatrix x = new FloatMatrix(4, d, rows);
        float[] phi = new float[4 * features];
        new io.synalign.kernels.reference.ReferenceBackend().randomFourierFeatures(x, map, phi);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                double dot = 0;
                double d2 = 0;
                for (int f = 0; f < features; f++) {
                    dot += (double) phi[i * features + f] * phi[j * features + f];
                }
                for (int k = 0; k < d; k++) {
                    double diff = (double) rows[i * d + k] - rows[j * d + k];
                    d2 += diff * diff;
                }
                double kernel = Math.exp(-d2 / (2 * sigma * sigma));
                assertEquals(kernel, dot, 6 / Math.sqrt(features), "rows " + i + ", " + j);
            }
        }
    }
}
