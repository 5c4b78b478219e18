package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.TilePlan;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The planner asks the backend, not the host budget alone, how K_SS would be kept. */
class MethodSelectorTest {

    /** A backend that only answers the planner's questions: n^2 / 2 entries, a device budget. */
    static class PlanningBackend implements KernelBackend {
        final long budget;
        final boolean half;
        /** A host backend's reason for a budget below the host's, or null (a device's). */
        String reason;

        PlanningBackend(long budget, boolean half) {
            this.budget = budget;
            this.half = half;
        }

        @Override
        public String residentBudgetReason() {
            return reason;
        }

        @Override
        public long keptKernelBytes(long rows, long cols, boolean symmetric,
                KernelStorage storage) {
            return rows * (cols + 1) / 2 * storage.bytes();
        }

        @Override
        public Set<KernelStorage> keptStorages() {
            return half ? EnumSet.allOf(KernelStorage.class) : EnumSet.of(KernelStorage.FLOAT32);
        }

        @Override
        public long residentBudgetBytes(long hostBudgetBytes) {
            return budget;
        }

        @Override
        public String name() {
            return "planning";
        }

        @Override
        public String description() {
            return "planning stub";
        }

        @Override
        public void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void randomFourierFeatures(FloatMatrix x, FourierFeatures map, float[] out) {
            throw new UnsupportedOperationException();
        }

        @Override
        public KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma,
                TilePlan plan) {
            throw new UnsupportedOperationException();
        }

        @Override
        public FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map) {
            throw new UnsupportedOperationException();
        }

        @Override
        public GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale,
                double noise, int maxRank) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }

    private static final long HOST = 2L << 30;

    @Test
    void autoKeepsKWhenTheBackendsBytesFitItsOwnBudget() {
        // 200,000 rows: 80 GB as an fp32 triangle, far over the 2 GiB host budget, within 100 GB
        // of device memory: exact, not rff (the plan used to look at the host budget only).
        MethodSelector.Choice c = MethodSelector.choose(AlignmentMethod.AUTO, 200_000,
                new PlanningBackend(100_000_000_000L, true), HOST, null);
        assertEquals(AlignmentMethod.EXACT, c.method());
        assertEquals(KernelStorage.FLOAT32, c.storage());
        assertTrue(c.reason().contains("device memory"), c.reason());
    }

    /**
     * A host backend that lowered its budget (a container's limit: nd4j's
     * {@code HostMemoryHeadroom}) is named with its reason, not as device memory, in both the
     * auto plan's reason and an explicit exact's refusal.
     */
    @Test
    void aHostBudgetLoweredByTheMemoryTheProcessRunsInSaysWhy() {
        PlanningBackend backend = new PlanningBackend(300L << 20, false);
        backend.reason = "half of the 600.0 MiB this process may still take: it runs in 768.0 MiB"
                + " and holds 168.0 MiB";
        MethodSelector.Choice c = MethodSelector.choose(AlignmentMethod.AUTO, 16_000, backend,
                HOST, null);
        assertEquals(AlignmentMethod.RFF, c.method());
        assertEquals("K_SS (fp32, as planning keeps it) needs 488.3 MiB, over 300.0 MiB (half of"
                + " the 600.0 MiB this process may still take: it runs in 768.0 MiB and holds"
                + " 168.0 MiB)", c.reason());
        MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                () -> MethodSelector.choose(AlignmentMethod.EXACT, 16_000, backend, HOST, null));
        assertTrue(e.getMessage().contains("over 300.0 MiB (half of the 600.0 MiB this process"),
                e.getMessage());
        assertTrue(MethodSelector.choose(AlignmentMethod.AUTO, 1_000, backend, HOST, null)
                .reason().endsWith("within 300.0 MiB (half of the 600.0 MiB this process may"
                        + " still take: it runs in 768.0 MiB and holds 168.0 MiB)"));
    }

    @Test
    void autoFallsBackToHalfPrecisionBeforeRffWhenThatFits() {
        PlanningBackend backend = new PlanningBackend(50_000_000_000L, true);
        MethodSelector.Choice c = MethodSelector.choose(AlignmentMethod.AUTO, 200_000, backend,
                HOST, null);
        assertEquals(AlignmentMethod.EXACT, c.method());
        assertEquals(KernelStorage.FLOAT16, c.storage());
        assertTrue(c.reason().contains("fp16"), c.reason());
        // Asked for fp32 explicitly: no silent switch to fp16.
        assertEquals(AlignmentMethod.RFF, MethodSelector.choose(AlignmentMethod.AUTO, 200_000,
                backend, HOST, KernelStorage.FLOAT32).method());
        // A backend without fp16 goes to rff.
        assertEquals(AlignmentMethod.RFF, MethodSelector.choose(AlignmentMethod.AUTO, 200_000,
                new PlanningBackend(50_000_000_000L, false), HOST, null).method());
    }

    /**
     * Where many kernel values lie near 1 K_SS is not kept in fp16 (helper cudaplan31): 200,000
     * rows on a device with 50 GB free, where fp32's 80 GB do not fit and fp16's 40 GB do. With
     * the closest tenth of sampled pairs at kernel values of 0.85 or more, auto runs tiled and
     * says why; explicit exact is refused naming the value, unless fp16 was asked for; below
     * it, and where the value is unknown, fp16 as before. The value is asked for only when the
     * fallback would be taken.
     */
    @Test
    void kernelValuesNearOneAreNotKeptInHalfPrecision() {
        PlanningBackend backend = new PlanningBackend(50_000_000_000L, true);
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        double[] values = {0.85, 0.95, 0.99999};
        // Six digits: 0.99999 must not read as 1 (four decimals did).
        String[] printed = {"0.850000", "0.950000", "0.999990"};
        for (int v = 0; v < values.length; v++) {
            double close = values[v];
            MethodSelector.Choice c = MethodSelector.choose(AlignmentMethod.AUTO, 200_000,
                    backend, HOST, null, () -> {
                        asked.incrementAndGet();
                        return close;
                    });
            assertEquals(AlignmentMethod.TILED, c.method(), "close pairs at " + close);
            assertEquals("K_SS in fp32 needs 74.5 GiB, over 46.6 GiB of free planning device"
                    + " memory; in fp16 (37.3 GiB) it would fit, but the closest tenth of sampled"
                    + " pairs of rows have kernel values of " + printed[v]
                    + " or more (from 0.85 on fp16 is not taken), where"
                    + " fp16's rounding of the values near 1 swamps the MMD^2 the fit minimises:"
                    + " tiled, recomputed in fp32", c.reason());
            MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                    () -> MethodSelector.choose(AlignmentMethod.EXACT, 200_000, backend, HOST,
                            null, () -> close));
            assertTrue(e.problem().startsWith("method exact keeps the 200000 x 200000 synthetic"
                    + " kernel matrix: K_SS in fp32 needs 74.5 GiB"), e.problem());
            assertTrue(e.problem().endsWith("(ask for kernel storage fp16 to keep it so"
                    + " anyway)"), e.problem());
            // fp16 asked for: kept so, the value not asked.
            MethodSelector.Choice half = MethodSelector.choose(AlignmentMethod.EXACT, 200_000,
                    backend, HOST, KernelStorage.FLOAT16, () -> {
                        throw new AssertionError("not asked when fp16 was requested");
                    });
            assertEquals(KernelStorage.FLOAT16, half.storage());
        }
        assertEquals(3, asked.get());
        for (double close : new double[] {0.0, 0.5, 0.8499, Double.NaN}) {
            for (AlignmentMethod m : new AlignmentMethod[] {AlignmentMethod.AUTO,
                AlignmentMethod.EXACT}) {
                MethodSelector.Choice c = MethodSelector.choose(m, 200_000, backend, HOST, null,
                        () -> close);
                assertEquals(AlignmentMethod.EXACT, c.method(), m + " at " + close);
                assertEquals(KernelStorage.FLOAT16, c.storage(), m + " at " + close);
            }
        }
        // fp32 fits, or fp16 does not either: the value is not asked, the plans as before.
        MethodSelector.Choice fits = MethodSelector.choose(AlignmentMethod.AUTO, 100_000,
                backend, HOST, null, () -> {
                    throw new AssertionError("not asked when fp32 fits");
                });
        assertEquals(KernelStorage.FLOAT32, fits.storage());
        assertEquals(AlignmentMethod.RFF, MethodSelector.choose(AlignmentMethod.AUTO, 300_000,
                backend, HOST, null, () -> {
                    throw new AssertionError("not asked when fp16 does not fit either");
                }).method());
    }

    @Test
    void explicitExactThatDoesNotFitNamesTheBytesAndTheBudget() {
        MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                () -> MethodSelector.choose(AlignmentMethod.EXACT, 200_000,
                        new PlanningBackend(1_000_000_000L, true), HOST, null));
        assertTrue(e.getMessage().contains("80000200000") || e.getMessage().contains("bytes"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("; raise the memory budget or use method tiled or rff"),
                e.getMessage());
        assertTrue(e.getMessage().startsWith(e.problem()), e.getMessage());
    }

    @Test
    void otherMethodsAreTakenAsRequested() {
        assertEquals(AlignmentMethod.TILED, MethodSelector.choose(AlignmentMethod.TILED, 10,
                new PlanningBackend(0, false), HOST, null).method());
    }
}
