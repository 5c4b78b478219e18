package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The operator checks of {@link BackendContractTest} on the {@link
 * io.synalign.kernels.reference.ReferenceBackend} itself, which the contract holds every other
 * backend to and so does not run as a backend under test: closed operators refuse work, bad
 * lengths get the shared messages, bad bandwidths and outputs are refused, empty operators answer
 * with zeros.
 */
class ReferenceBackendTest {

    private final KernelBackend reference = BackendContractTest.REFERENCE;

    @Test
    void closedOperatorsRefuseWork() {
        BackendContractTest.assertClosedOperatorsRefuseWork(reference);
    }

    @Test
    void operatorsRejectBadLengthsWithTheSharedMessages() {
        BackendContractTest.assertOperatorsRejectBadLengths(reference);
    }

    @Test
    void badInputsAreRejectedWithTheBadValue() {
        BackendContractTest.assertBadInputsRejected(reference);
    }

    @Test
    void emptyOperatorsGiveZeros() {
        BackendContractTest.assertEmptyOperatorsGiveZeros(reference);
    }

    /**
     * The oracle's tracker refuses what the others refuse: a row out of range, and a row whose
     * posterior variance plus noise is not positive (a repeat of a conditioned row with no
     * noise), which used to turn every variance into NaN.
     */
    @Test
    void theTrackerRefusesARowOutOfRangeAndAZeroPivot() {
        FloatMatrix x = new FloatMatrix(3, 1, new float[] {0, 0, 1});
        try (GpVarianceTracker t = reference.gpVarianceTracker(x, 1.0, 0.0, 3)) {
            IllegalArgumentException row = assertThrows(IllegalArgumentException.class,
                    () -> t.condition(3));
            assertEquals("row 3 is out of range [0, 3)",
                    row.getMessage());
            t.condition(0);
            IllegalArgumentException pivot = assertThrows(IllegalArgumentException.class,
                    () -> t.condition(1));
            assertTrue(pivot.getMessage().startsWith(
                    "cannot condition on row 1: posterior variance "), pivot.getMessage());
            assertEquals(1, t.rank());
            double[] v = new double[3];
            t.variances(v);
            for (double value : v) {
                assertFalse(Double.isNaN(value), "no NaN");
            }
        }
    }
}
