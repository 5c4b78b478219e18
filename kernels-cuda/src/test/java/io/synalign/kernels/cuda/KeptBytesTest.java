package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.KernelStorage;
import org.junit.jupiter.api.Test;

/**
 * The kept self-kernel's device bytes, which {@code KernelBackend#keptKernelBytes} answers for
 * the planner ({@code BackendContractTest.keptKernelBytesCountAtLeastTheEntriesKept} checks the
 * answer on a device; this checks the arithmetic without one): tiles of 32 x 32 entries covering
 * the upper triangle plus two buffers of 32 column partials a tile (of fl(w), and of w - fl(w)
 * for flat tiles), and {@code Long.MAX_VALUE} where that passes a long, which fp32 does from
 * n = 2,083,365,121 (with one buffer of partials it did from n = 2,114,695,681, as a negative
 * count, read by the planner as fitting).
 */
class KeptBytesTest {

    @Test
    void theTriangleInTilesPlusItsPartials() {
        // 70 rows: 3 tile rows, 6 tiles of 1,024 entries, 2 x 128 bytes of partials each.
        assertEquals(6 * 1024 * 4 + 6 * 256,
                CudaSymmetricKernelOperator.keptBytes(70, KernelStorage.FLOAT32));
        assertEquals(6 * 1024 * 2 + 6 * 256,
                CudaSymmetricKernelOperator.keptBytes(70, KernelStorage.FLOAT16));
        assertEquals(0, CudaSymmetricKernelOperator.keptBytes(0, KernelStorage.FLOAT32));
    }

    @Test
    void bytesPastALongAreNoSize() {
        assertEquals(Long.MAX_VALUE,
                CudaSymmetricKernelOperator.keptBytes(2_083_365_121L, KernelStorage.FLOAT32));
        assertEquals(Long.MAX_VALUE,
                CudaSymmetricKernelOperator.keptBytes(Integer.MAX_VALUE - 8, KernelStorage.FLOAT32));
        long below = CudaSymmetricKernelOperator.keptBytes(2_083_365_120L, KernelStorage.FLOAT32);
        assertTrue(below > 0 && below < Long.MAX_VALUE, "n = 2,083,365,120: " + below);
        long half = CudaSymmetricKernelOperator.keptBytes(Integer.MAX_VALUE - 8,
                KernelStorage.FLOAT16);
        assertTrue(half > 0 && half < Long.MAX_VALUE, "fp16 at the largest n: " + half);
    }
}
