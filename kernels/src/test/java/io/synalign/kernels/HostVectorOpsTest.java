package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.host.HostVectorOps;
import org.junit.jupiter.api.Test;

/** The {@link VectorOpsContractTest} on the host vectors of {@code reference} and {@code nd4j}. */
class HostVectorOpsTest extends VectorOpsContractTest {

    @Override
    VectorOps ops() {
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
    }
    /**
     * Values that share a large offset: the host projection searches about the largest value,
     * so it gives the projection of the exact differences (the oracle on {@code v - offset},
     * exact here, as every value is the offset plus a few of its ulps). About 0 it lost the
     * bracket's 1/n and every difference: {1e16, 1e16, 1e16} projected to 0, and 1e16 plus 0, 2
     * or 4 to weights summing to 682. (The cuda projector still searches about 0.)
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "offset {0}, n = {1}, B = {2}")
    @org.junit.jupiter.params.provider.CsvSource({"1e16, 3, 1", "1e13, 17, 1", "1e16, 1025, 1",
        "-2.9e47, 1025, 1", "1e16, 1025, 3", "1e8, 1025, 10", "-1e300, 64, 64", "1e6, 1025, 1"})
    void projectionOfValuesSharingALargeOffset(double offset, int n, double ratio) {
        double cap = Math.min(1.0, ratio / n);
        double ulp = Math.ulp(offset);
        java.util.Random random = new java.util.Random(n);
        double[] v = new double[n];
        int[] k = new int[n];
        int top = 0;
        for (int i = 0; i < n; i++) {
            k[i] = n == 1025 && offset != 1e6 ? i % 3 : random.nextInt(7);
            v[i] = offset + k[i] * ulp;
            top = Math.max(top, k[i]);
        }
        // The oracle on the differences from the largest value, exact: a few ulps of the offset
        // (the oracle, too, sums about 0, and differences of 1e285 would drown its 1/n).
        double[] shifted = new double[n];
        for (int i = 0; i < n; i++) {
            shifted[i] = (k[i] - top) * ulp;
            org.junit.jupiter.api.Assertions.assertEquals(shifted[i], v[i] - (offset + top * ulp),
                    0.0, "exact");
        }
        double[] want = SortedSimplexOracle.project(shifted, cap);
        try (CappedSimplexProjector projector = ops().cappedSimplex(n, cap);
                DeviceVector in = ops().of(v); DeviceVector out = ops().zeros(n)) {
            projector.project(in, out);
            double[] got = ops().toArray(out);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                org.junit.jupiter.api.Assertions.assertEquals(want[i], got[i], 1e-15,
                        "coordinate " + i);
                assertTrue(got[i] >= 0 && got[i] <= cap * (1 + 1e-15), "within the cap");
                sum += got[i];
            }
            org.junit.jupiter.api.Assertions.assertEquals(1.0, sum, 1e-13);
            // A second projection warm-started from the first threshold agrees.
            projector.project(in, out);
            org.junit.jupiter.api.Assertions.assertArrayEquals(got, ops().toArray(out), 1e-15);
        }
    }
}
