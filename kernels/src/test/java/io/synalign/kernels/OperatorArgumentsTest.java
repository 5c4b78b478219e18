package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.kernels.host.HostVectorOps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The shared argument checks: silent on good input, and the exact messages the backends gave. */
class OperatorArgumentsTest {

    private static void rejects(String message, Executable check) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, check).getMessage());
    }

    @Test
    void badArgumentsGetTheBackendsMessages() {
        FloatMatrix x = new FloatMatrix(2, 3, new float[6]);
        rejects("dimension mismatch: 3 vs 4",
                () -> OperatorArguments.checkDims(x, new FloatMatrix(1, 4, new float[4])));
        rejects("dimension mismatch: rows have 3 columns, the feature map expects 2",
                () -> OperatorArguments.checkFeatureDims(x, FourierFeatures.sample(2, 5, 1, 1)));
        rejects("bandwidth must be a positive finite number, got NaN",
                () -> OperatorArguments.checkBandwidth(Double.NaN));
        rejects("bandwidth must be a positive finite number, got Infinity",
                () -> OperatorArguments.checkBandwidth(Double.POSITIVE_INFINITY));
        rejects("plan must not be null", () -> OperatorArguments.checkPlan(null));
        rejects("the nd4j backend keeps kernel matrices in fp32, not fp16",
                () -> OperatorArguments.checkStorage(new TilePlan(true, 4, KernelStorage.FLOAT16),
                        java.util.EnumSet.of(KernelStorage.FLOAT32), "nd4j"));
        // A tiled plan keeps nothing, so its storage is not checked.
        assertDoesNotThrow(() -> OperatorArguments.checkStorage(
                new TilePlan(false, 4, KernelStorage.FLOAT16),
                java.util.EnumSet.of(KernelStorage.FLOAT32), "nd4j"));
        assertDoesNotThrow(() -> OperatorArguments.checkStorage(
                new TilePlan(true, 4, KernelStorage.FLOAT16),
                java.util.EnumSet.allOf(KernelStorage.class), "cuda"));
        rejects("1000000000 random features at dimension 3 need 3000000000 frequencies, more than one"
                + " array holds (2147483639); give fewer features", () -> FourierFeatures.sample(3, 1_000_000_000, 1, 1));
        rejects("output has 5 values, expected 6",
                () -> OperatorArguments.checkOut(new float[5], 6));
        rejects("multiply: w has 6 values (expected 5), out has 7 (expected 7)",
                () -> OperatorArguments.checkMultiply(new double[6], new double[7], 7, 5));
        rejects("rowSums: out has 6 values, expected 7",
                () -> OperatorArguments.checkRowSums(new double[6], 7));
        rejects("transposeTimes: w has 7 values (expected 7), out has 4 (expected 5)",
                () -> OperatorArguments.checkTransposeTimes(new double[7], new double[4], 7, 5));
        rejects("times: z has 5 values (expected 5), out has 6 (expected 7)",
                () -> OperatorArguments.checkTimes(new double[5], new double[6], 7, 5));
        rejects("row -1 is out of range [0, 7)", () -> OperatorArguments.checkRow(-1, 7));
        rejects("row 7 is out of range [0, 7)", () -> OperatorArguments.checkRow(7, 7));
        rejects("out has 6 values, expected 7",
                () -> OperatorArguments.checkVariancesOut(new double[6], 7));
        assertEquals("tracker is full: rank 2 of 2", assertThrows(IllegalStateException.class,
                () -> OperatorArguments.checkCapacity(2, 2)).getMessage());
        assertEquals("kernel operator is closed", assertThrows(IllegalStateException.class,
                () -> OperatorArguments.checkOpen(true, "kernel operator")).getMessage());
    }

    /** The checks on backend vectors give the arrays' messages word for word. */
    @Test
    void vectorChecksGiveTheArrayMessages() {
        VectorOps vectors = HostVectorOps.INSTANCE;
        DeviceVector v5 = vectors.zeros(5);
        DeviceVector v6 = vectors.zeros(6);
        DeviceVector v7 = vectors.zeros(7);
        rejects("multiply: w has 6 values (expected 5), out has 7 (expected 7)",
                () -> OperatorArguments.checkMultiply(v6, v7, 7, 5));
        rejects("transposeTimes: w has 7 values (expected 7), out has 6 (expected 5)",
                () -> OperatorArguments.checkTransposeTimes(v7, v6, 7, 5));
        rejects("times: z has 5 values (expected 5), out has 6 (expected 7)",
                () -> OperatorArguments.checkTimes(v5, v6, 7, 5));
        assertDoesNotThrow(() -> {
            OperatorArguments.checkMultiply(v5, v7, 7, 5);
            OperatorArguments.checkTransposeTimes(v7, v5, 7, 5);
            OperatorArguments.checkTimes(v5, v7, 7, 5);
        });
    }

    @Test
    void goodArgumentsPass() {
        FloatMatrix x = new FloatMatrix(2, 3, new float[6]);
        assertDoesNotThrow(() -> {
            OperatorArguments.checkDims(x, x);
            OperatorArguments.checkFeatureDims(x, FourierFeatures.sample(3, 5, 1, 1));
            OperatorArguments.checkBandwidth(0.5);
            OperatorArguments.checkPlan(TilePlan.tiled(1));
            OperatorArguments.checkOut(new float[6], 6);
            OperatorArguments.checkMultiply(new double[5], new double[7], 7, 5);
            OperatorArguments.checkRowSums(new double[7], 7);
            OperatorArguments.checkTransposeTimes(new double[7], new double[5], 7, 5);
            OperatorArguments.checkTimes(new double[5], new double[7], 7, 5);
            OperatorArguments.checkRow(0, 7);
            OperatorArguments.checkRow(6, 7);
            OperatorArguments.checkCapacity(1, 2);
            OperatorArguments.checkVariancesOut(new double[7], 7);
            OperatorArguments.checkOpen(false, "kernel operator");
        });
    }
}
