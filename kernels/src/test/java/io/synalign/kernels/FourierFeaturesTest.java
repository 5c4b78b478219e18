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
}
