package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.RowSource;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The learner's entry checks on the streamed path (a {@link RowSource} that is not one matrix,
 * checked apart from the in-memory path's {@code validate}), its constructor and its storage
 * check: each refused with {@link IllegalArgumentException} naming the bad value, before any
 * kernel work.
 */
class MmdWeightLearnerEdgesTest {

    private static RowSource blocks(FloatMatrix... parts) {
        return RowSource.ofBlocks(List.of(parts));
    }

    @Test
    void theConstructorRefusesNulls() {
        try (KernelBackend backend = TestBackends.create("reference")) {
            assertEquals("backend must not be null", assertThrows(IllegalArgumentException.class,
                    () -> new MmdWeightLearner(null, AlignmentConfig.defaults())).getMessage());
            assertEquals("config must not be null", assertThrows(IllegalArgumentException.class,
                    () -> new MmdWeightLearner(backend, null)).getMessage());
        }
    }

    @Test
    void aStreamedSourceIsCheckedNamingBothShapes() {
        Random random = new Random(2907);
        FloatMatrix real = TestBackends.gaussian(5, 3, random, 1, 0);
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend,
                    AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF).withSeed(3));
            assertEquals("real and synthetic must not be null", assertThrows(
                    IllegalArgumentException.class,
                    () -> learner.fit(real, (RowSource) null, null)).getMessage());
            assertEquals("real and synthetic must not be null", assertThrows(
                    IllegalArgumentException.class,
                    () -> learner.fit(null, blocks(real, real), null)).getMessage());
            assertEquals("column counts differ: real is 5 x 3, synthetic (in memory (2 blocks))"
                    + " is 7 x 2", assertThrows(IllegalArgumentException.class,
                            () -> learner.fit(real, blocks(FloatMatrix.zeros(3, 2),
                                    FloatMatrix.zeros(4, 2)), null)).getMessage());
            assertEquals("need at least one row in each: real is 5 x 3, synthetic (in memory"
                    + " (2 blocks)) is 0 x 3", assertThrows(IllegalArgumentException.class,
                            () -> learner.fit(real, blocks(FloatMatrix.zeros(0, 3),
                                    FloatMatrix.zeros(0, 3)), null)).getMessage());
            assertEquals("need at least one row in each: real is 0 x 3, synthetic (in memory"
                    + " (2 blocks)) is 4 x 3", assertThrows(IllegalArgumentException.class,
                            () -> learner.fit(FloatMatrix.zeros(0, 3), blocks(real.selectRows(
                                    new int[] {0, 1}), real.selectRows(new int[] {2, 3})),
                                    null)).getMessage());
            // The real rows are checked whole: a NaN is named with its row.
            float[] bad = real.data().clone();
            bad[7] = Float.NaN;
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                    () -> learner.fit(new FloatMatrix(5, 3, bad), blocks(real, real), null));
            assertEquals(true, nan.getMessage().contains("real")
                    && nan.getMessage().contains("row 2") && nan.getMessage().contains("NaN"),
                    nan.getMessage());
        }
    }

    /** A source of more rows than one weight vector holds: refused before any row is read. */
    @Test
    void aSourceOfMoreRowsThanAWeightVectorHoldsIsRefusedByName() {
        RowSource huge = new RowSource() {
            @Override
            public long rows() {
                return Integer.MAX_VALUE - 7L;
            }

            @Override
            public int cols() {
                return 3;
            }

            @Override
            public String name() {
                return "huge.npy";
            }

            @Override
            public void read(long start, int count, float[] out) {
                throw new AssertionError("no row should be read");
            }
        };
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend,
                    AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF));
            assertEquals("huge.npy: 2147483640 synthetic rows are more than one weight vector"
                    + " holds (2147483639)", assertThrows(IllegalArgumentException.class,
                            () -> learner.fit(FloatMatrix.zeros(2, 3), huge, null))
                            .getMessage());
        }
    }

    @Test
    void aStorageTheBackendCannotKeepIsRefusedNamingWhatItKeeps() {
        Random random = new Random(2908);
        FloatMatrix real = TestBackends.gaussian(5, 3, random, 1, 0);
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig.defaults()
                    .withMethod(AlignmentMethod.EXACT).withKernelStorage(KernelStorage.FLOAT16));
            assertEquals("kernel storage fp16: the reference backend keeps kernel matrices in"
                    + " fp32 only", assertThrows(IllegalArgumentException.class,
                            () -> learner.fit(real, real, null)).getMessage());
        }
    }

    /**
     * nystrom's default keep (no test override, no property): half the smaller of the memory
     * budget and the backend's feature budget, each kept chunk counted once (it holds K_cL and
     * K_Lc). 45 rows in chunks of 10 with 8 landmarks: 320 bytes a chunk; either budget at
     * 1,280 bytes keeps 2 of the 5 chunks (the whole budget would keep 4, the larger one all).
     */
    @Test
    void nystromKeepsHalfTheSmallerBudgetByDefault() {
        Random random = new Random(2909);
        FloatMatrix real = TestBackends.gaussian(12, 3, random, 1, 0);
        FloatMatrix synthetic = TestBackends.gaussian(45, 3, random, 1, 0.5);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.NYSTROM)
                .withFeatures(8).withSeed(4).withIterations(5, 1e-9);
        System.setProperty("synalign.rff.chunkRows", "10");
        try (KernelBackend inner = TestBackends.create("reference")) {
            KernelBackend limited = (KernelBackend) java.lang.reflect.Proxy.newProxyInstance(
                    KernelBackend.class.getClassLoader(), new Class<?>[] {KernelBackend.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("featureBudgetBytes")) {
                            return 1_280L;
                        }
                        try {
                            return method.invoke(inner, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            String byMemory = new MmdWeightLearner(inner, config.withMemoryBudget(1_280))
                    .fit(real, blocks(synthetic), null).kernelStorage();
            String byBackend = new MmdWeightLearner(limited, config)
                    .fit(real, blocks(synthetic), null).kernelStorage();
            for (String held : new String[] {byMemory, byBackend}) {
                assertEquals(true, held.contains("in 5 chunks of 10 rows, 2 kept (1.3 KiB), 3"
                        + " recomputed"), held);
            }
        } finally {
            System.clearProperty("synalign.rff.chunkRows");
        }
    }
}
