package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.host.HostVectorOps;
import org.junit.jupiter.api.Test;

/** The {@link VectorOpsContractTest} on the host vectors of {@code reference} and {@code nd4j}. */
class HostVectorOpsTest extends VectorOpsContractTest {

    @Override
    protected VectorOps ops() {
        return HostVectorOps.INSTANCE;
    }

    @Test
    void theHostBackendsShareTheHostOperations() {
        assertTrue(new io.synalign.kernels.reference.ReferenceBackend().vectors()
                == HostVectorOps.INSTANCE);
    }

    @Test
    void mismatchedLengthsAndForeignVectorsAreRefused() {
        VectorOps ops = ops();
        try (DeviceVector a = ops.zeros(3); DeviceVector b = ops.zeros(4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ops.copy(a, b));
            assertTrue(e.getMessage().contains("3") && e.getMessage().contains("4"));
        }
        DeviceVector foreign = new DeviceVector() {
            @Override
            public long length() {
                return 3;
            }

            @Override
            public void close() {
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.sum(foreign));
        assertTrue(e.getMessage().contains("host vector"), e.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> io.synalign.kernels.host.HostVector.array(null));
        assertTrue(none.getMessage().contains("null"), none.getMessage());
    }

    /**
     * Every pass over two or more vectors refuses vectors of different lengths, whichever is
     * the shorter: a loop over the first alone read past a shorter second (an index error, not
     * the contract's message) or silently ignored the tail of a longer one. Found by mutation
     * testing: only {@code copy}'s check was tested.
     */
    @Test
    void everyPassOverSeveralVectorsRefusesMismatchedLengths() {
        VectorOps ops = ops();
        for (int[] lengths : new int[][] {{3, 4}, {4, 3}}) {
            try (DeviceVector a = ops.zeros(lengths[0]); DeviceVector b = ops.zeros(lengths[1])) {
                java.util.List<org.junit.jupiter.api.function.Executable> passes = java.util.List.of(
                        () -> ops.write(new double[lengths[0]], b),
                        () -> ops.read(b, new double[lengths[0]]),
                        () -> ops.extrapolate(a, a, 0.5, b),
                        () -> ops.extrapolate(a, b, 0.5, a),
                        () -> ops.gradientStep(a, a, a, 1.0, b),
                        () -> ops.gradientStep(a, b, a, 1.0, a),
                        () -> ops.stepStatistics(a, a, a, a, b),
                        () -> ops.stepStatistics(a, b, a, a, a),
                        () -> ops.dot(a, b),
                        () -> ops.distanceSquared(a, b),
                        () -> ops.linearCombination(1, a, 2, b, a),
                        () -> ops.linearCombination(1, a, 2, a, b));
                for (int k = 0; k < passes.size(); k++) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            passes.get(k), "pass " + k + ", lengths " + lengths[0] + " and "
                                    + lengths[1]);
                    assertTrue(e.getMessage().contains("lengths"), e.getMessage());
                }
            }
        }
    }

    /**
     * Offsets and lengths are compared without adding, so none near the top of {@code long}
     * wraps into range, and a length beyond an {@code int} is refused before the cast: an offset
     * of 2^32 cast to int is 0, a copy from the start.
     */
    @Test
    void copyRangesBeyondTheVectorsAreRefusedWhateverTheirSize() {
        VectorOps ops = ops();
        try (DeviceVector a = ops.of(new double[] {1, 2, 3, 4}); DeviceVector b = ops.zeros(4)) {
            long[][] bad = {{1L << 32, 0, 2}, {0, 1L << 32, 2}, {3, 0, 2}, {0, 3, 2},
                {Long.MAX_VALUE, 0, 1}, {0, 0, (1L << 32) + 2}, {-1, 0, 1}, {0, 0, -1}};
            for (long[] r : bad) {
                assertThrows(IndexOutOfBoundsException.class,
                        () -> ops.copyRange(a, r[0], b, r[1], r[2]),
                        "from " + r[0] + " to " + r[1] + ", " + r[2] + " values");
                org.junit.jupiter.api.Assertions.assertArrayEquals(new double[4], ops.toArray(b),
                        "nothing copied");
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.zeros(Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains(String.valueOf(Integer.MAX_VALUE - 8)), e.getMessage());
    }
}
