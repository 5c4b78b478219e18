package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.NativeMemoryException;
import io.synalign.kernels.TilePlan;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whether the optimiser gets a working set is decided by the memory budget alone: the
 * iterates (and the weights) differ without one, so memory refused past the budget check is
 * an error naming JavaCPP's cap, not a silent null. Review 23 found {@code -Xmx200m} against
 * {@code -Xmx8g} moving 4,355 of 8,000 weights that way. The refusal is forced through the
 * storage allocator seam; the real cap is {@link Nd4jOffHeapCapTest}'s.
 */
class Nd4jSubmatrixRefusedTest {

    private static final int N = 200;

    @AfterEach
    void restoreAllocator() {
        Nd4jSymmetricKernelOperator.allocator = org.bytedeco.javacpp.FloatPointer::new;
    }

    @Test
    void refusedMemoryWithinTheBudgetIsAnErrorAndTheBudgetAloneDecides() {
        AtomicInteger asked = new AtomicInteger();
        Nd4jSymmetricKernelOperator.allocator = floats -> {
            asked.incrementAndGet();
            // Like JavaCPP's: a summary line with the reason in its cause.
            OutOfMemoryError e = new OutOfMemoryError("Cannot allocate new FloatPointer("
                    + floats + "): totalBytes = 190M, physicalBytes = 1G");
            e.initCause(new OutOfMemoryError("Failed to allocate memory within limits:"
                    + " totalBytes (190M) + size (60M) > maxBytes (200M)"));
            throw e;
        };
        int[] rows = new int[N / 2];
        for (int a = 0; a < rows.length; a++) {
            rows[a] = 2 * a;
        }
        FloatMatrix x = points(); // the same object twice: the kept self-kernel
        try (Nd4jBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS);
                KernelOperator op = backend.rbfOperator(x, x, 2.0,
                        new TilePlan(true, 64))) {
            // Over the budget: null, and no allocation is tried.
            assertNull(op.principalSubmatrix(rows, Nd4jSymmetricKernelOperator.keptBytes(N)));
            assertEquals(0, asked.get());

            NativeMemoryException e = assertThrows(NativeMemoryException.class,
                    () -> op.principalSubmatrix(rows, Long.MAX_VALUE));
            assertEquals(1, asked.get());
            String message = e.getMessage();
            assertFalse(message.contains("\n"), message);
            assertTrue(message.contains("working set (100 of 200 rows"), message);
            assertTrue(message.contains("totalBytes (190M) + size (60M) > maxBytes (200M)"),
                    message);
            assertTrue(message.contains("-Dorg.bytedeco.javacpp.maxbytes=SIZE"), message);

            // The operator is still usable, and a submatrix comes once memory is there.
            Nd4jSymmetricKernelOperator.allocator = org.bytedeco.javacpp.FloatPointer::new;
            try (KernelOperator sub = op.principalSubmatrix(rows, Long.MAX_VALUE)) {
                assertEquals(rows.length, sub.rows());
            }
        }
    }

    private static FloatMatrix points() {
        Random random = new Random(5);
        double[][] values = new double[N][6];
        for (double[] row : values) {
            for (int k = 0; k < row.length; k++) {
                row[k] = random.nextGaussian();
            }
        }
        return FloatMatrix.of(values);
    }
}
