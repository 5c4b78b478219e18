package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.MethodSelectorTest.PlanningBackend;
import io.synalign.kernels.KernelStorage;
import org.junit.jupiter.api.Test;

/**
 * The planner's rule written out at its boundaries (the class comment of {@link MethodSelector}):
 * K_SS is kept when the bytes the backend needs for it are at most its resident budget, not one
 * byte over; the half-precision fallback only when no storage was asked for, the backend keeps
 * fp16, and auto or exact was configured; a count of {@code Long.MAX_VALUE} ("beyond what it can
 * address") never fits, whatever the budget. Sizes are awkward (1, 3, 4,097, 46,341: where
 * {@code n^2} passes {@code 2^31}, 200,003), the bytes those of the stub backend's triangle,
 * {@code n (n + 1) / 2} entries.
 */
class MethodSelectorBoundaryTest {

    private static final long HOST = 2L << 30;
    private static final int[] SIZES = {1, 3, 4_097, 46_341, 200_003};

    private static long triangle(long n, KernelStorage storage) {
        return n * (n + 1) / 2 * storage.bytes();
    }

    /** The stub backend with a budget and no fp16, or with fp16 and a default storage. */
    private static PlanningBackend backend(long budget, boolean half) {
        return new PlanningBackend(budget, half);
    }

    @Test
    void autoKeepsKAtExactlyTheBudgetAndNotOneByteBelowIt() {
        for (int n : SIZES) {
            long bytes = triangle(n, KernelStorage.FLOAT32);
            MethodSelector.Choice at = MethodSelector.choose(AlignmentMethod.AUTO, n,
                    backend(bytes, false), HOST, null);
            assertEquals(AlignmentMethod.EXACT, at.method(), "n = " + n + " at its budget");
            assertEquals(KernelStorage.FLOAT32, at.storage());
            // The plan's budget is the backend's resident budget, not the host's.
            assertEquals(bytes, at.residentBudgetBytes());
            MethodSelector.Choice below = MethodSelector.choose(AlignmentMethod.AUTO, n,
                    backend(bytes - 1, false), HOST, null);
            assertEquals(AlignmentMethod.RFF, below.method(), "n = " + n + " a byte short");
            assertEquals(bytes - 1, below.residentBudgetBytes());
            assertTrue(below.reason().contains("needs " + MethodSelector.human(bytes) + ", over "),
                    below.reason());

            // Explicit exact: kept at the budget, refused a byte below it, naming both.
            MethodSelector.Choice exact = MethodSelector.choose(AlignmentMethod.EXACT, n,
                    backend(bytes, false), HOST, null);
            assertEquals(AlignmentMethod.EXACT, exact.method());
            assertTrue(exact.reason().startsWith("requested; K_SS (fp32, as planning keeps it)"
                    + " needs " + MethodSelector.human(bytes) + ", within "), exact.reason());
            MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                    () -> MethodSelector.choose(AlignmentMethod.EXACT, n,
                            backend(bytes - 1, false), HOST, null));
            assertEquals("method exact keeps the " + n + " x " + n + " synthetic kernel matrix: "
                    + bytes + " bytes (" + MethodSelector.human(bytes) + "), over "
                    + MethodSelector.human(bytes - 1) + " of free planning device memory ("
                    + (bytes - 1) + " bytes)", e.problem());
        }
    }

    @Test
    void theHalfPrecisionFallbackFitsAtExactlyTheBudget() {
        for (int n : SIZES) {
            long full = triangle(n, KernelStorage.FLOAT32);
            long half = triangle(n, KernelStorage.FLOAT16);
            // fp32 a byte over, fp16 exactly at the budget: fp16.
            MethodSelector.Choice at = MethodSelector.choose(AlignmentMethod.AUTO, n,
                    backend(half, true), HOST, null);
            assertEquals(AlignmentMethod.EXACT, at.method(), "n = " + n);
            assertEquals(KernelStorage.FLOAT16, at.storage(), "n = " + n);
            assertEquals(half, at.residentBudgetBytes());
            assertEquals("K_SS in fp32 needs " + MethodSelector.human(full) + ", in fp16 "
                    + MethodSelector.human(half) + ", within " + MethodSelector.human(half)
                    + " of free planning device memory", at.reason());
            // A byte below what fp16 needs: rff, with fp32 (the default) named.
            MethodSelector.Choice below = MethodSelector.choose(AlignmentMethod.AUTO, n,
                    backend(half - 1, true), HOST, null);
            assertEquals(AlignmentMethod.RFF, below.method(), "n = " + n);
            assertEquals(KernelStorage.FLOAT32, below.storage());
            // Exact configured: the same fallback, said to be requested.
            MethodSelector.Choice exact = MethodSelector.choose(AlignmentMethod.EXACT, n,
                    backend(half, true), HOST, null);
            assertEquals(AlignmentMethod.EXACT, exact.method());
            assertEquals(KernelStorage.FLOAT16, exact.storage());
            assertEquals("requested; " + at.reason(), exact.reason());
            // fp32 fits exactly: no fallback (fp32 is kept).
            MethodSelector.Choice full32 = MethodSelector.choose(AlignmentMethod.AUTO, n,
                    backend(full, true), HOST, null);
            assertEquals(KernelStorage.FLOAT32, full32.storage(), "n = " + n);
        }
    }

    @Test
    void methodsThatKeepNoKAreTakenAsRequestedWhateverTheBudget() {
        // A budget too small for fp32 but large enough for fp16: tiled, rff and nystrom are not
        // turned into exact, and keep the storage asked for (or the default).
        int n = 4_097;
        long half = triangle(n, KernelStorage.FLOAT16);
        for (AlignmentMethod m : new AlignmentMethod[] {AlignmentMethod.TILED,
                AlignmentMethod.RFF, AlignmentMethod.NYSTROM}) {
            MethodSelector.Choice c = MethodSelector.choose(m, n, backend(half, true), HOST,
                    null);
            assertEquals(m, c.method());
            assertEquals(KernelStorage.FLOAT32, c.storage(), m.cliName());
            assertEquals("requested", c.reason());
            assertEquals(half, c.residentBudgetBytes());
            assertEquals(KernelStorage.FLOAT16, MethodSelector.choose(m, n, backend(half, true),
                    HOST, KernelStorage.FLOAT16).storage());
        }
    }

    @Test
    void aStorageAskedForIsNeverSwappedForHalfPrecision() {
        int n = 46_341;
        long half = triangle(n, KernelStorage.FLOAT16);
        MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                () -> MethodSelector.choose(AlignmentMethod.EXACT, n, backend(half, true), HOST,
                        KernelStorage.FLOAT32));
        assertTrue(e.problem().contains(triangle(n, KernelStorage.FLOAT32) + " bytes"),
                e.problem());
    }

    @Test
    void aKThatCannotBeAddressedNeverFitsEvenAnUnboundedBudget() {
        PlanningBackend unaddressable = new PlanningBackend(Long.MAX_VALUE, true) {
            @Override
            public long keptKernelBytes(long rows, long cols, boolean symmetric,
                    KernelStorage storage) {
                return Long.MAX_VALUE;
            }
        };
        MethodSelector.Choice c = MethodSelector.choose(AlignmentMethod.AUTO, 200_003,
                unaddressable, HOST, null);
        assertEquals(AlignmentMethod.RFF, c.method());
        assertEquals("K_SS (fp32, as planning keeps it) is beyond what planning can address",
                c.reason());
        MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                () -> MethodSelector.choose(AlignmentMethod.EXACT, 200_003, unaddressable, HOST,
                        null));
        assertEquals("method exact keeps the 200003 x 200003 synthetic kernel matrix: beyond"
                + " what the planning backend can address (n = 200003)", e.problem());
    }

    @Test
    void aBudgetEqualToTheHostsIsNamedAsTheMemoryBudget() {
        // A host backend that did not lower the budget: "the memory budget of", not a device.
        MethodSelector.Choice c = MethodSelector.choose(AlignmentMethod.AUTO, 3,
                backend(HOST, false), HOST, null);
        assertEquals("K_SS (fp32, as planning keeps it) needs 24 B, within the memory budget of"
                + " 2.0 GiB", c.reason());
        assertFalse(c.reason().contains("device"), c.reason());
    }

    @Test
    void humanSizesSwitchUnitAtEach1024() {
        assertEquals("0 B", MethodSelector.human(0));
        assertEquals("1023 B", MethodSelector.human(1023));
        assertEquals("1.0 KiB", MethodSelector.human(1024));
        assertEquals("1.5 KiB", MethodSelector.human(1536));
        assertEquals("1023.0 KiB", MethodSelector.human(1023L << 10));
        assertEquals("1.0 MiB", MethodSelector.human(1L << 20));
        assertEquals("3.0 GiB", MethodSelector.human(3L << 30));
        assertEquals("1.0 TiB", MethodSelector.human(1L << 40));
        assertEquals("1.0 PiB", MethodSelector.human(1L << 50));
        assertEquals("1.0 EiB", MethodSelector.human(1L << 60));
        assertEquals("8.0 EiB", MethodSelector.human(Long.MAX_VALUE));
    }
}
