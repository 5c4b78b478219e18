package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.reference.ReferenceBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimiser's working sets (principal submatrices of a kept K_SS) share the budget the plan
 * measured K_SS against, not the host budget: in a 1,600 MiB container the plan kept a 489 MiB
 * K_SS within its lowered budget, the optimiser then asked for a 248 MiB working set within the
 * 2 GiB host budget, and JavaCPP refused it (exit 1). Here the reference backend, seen through a
 * proxy whose resident budget leaves room for K_SS alone: the fit must be the one whose host
 * budget is that small (no working set), bit for bit; on the old code it was the 2 GiB fit's.
 */
class WorkingSetBudgetTest {

    @Test
    void workingSetsShareThePlansLoweredBudget() {
        int n = 1500;
        int m = 300;
        int d = 6;
        FloatMatrix real = rows(m, d, 0.3, 1);
        FloatMatrix synthetic = rows(n, d, 0.0, 2);
        try (ReferenceBackend reference = new ReferenceBackend()) {
            long keep = reference.keptKernelBytes(n, n, true, KernelStorage.FLOAT32) + 4096;
            KernelBackend lowered = (KernelBackend) Proxy.newProxyInstance(
                    KernelBackend.class.getClassLoader(), new Class<?>[] {KernelBackend.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("residentBudgetBytes")) {
                            return Math.min((Long) args[0], keep);
                        }
                        if (method.getName().equals("residentBudgetReason")) {
                            return "a container, in this test";
                        }
                        try {
                            return method.invoke(reference, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            double[] underLowered = fit(lowered, AlignmentConfig.DEFAULT_MEMORY_BUDGET, real,
                    synthetic);
            double[] smallHost = fit(reference, keep, real, synthetic);
            double[] largeHost = fit(reference, AlignmentConfig.DEFAULT_MEMORY_BUDGET, real,
                    synthetic);
            // The working sets change the iterates, so the test can tell the two apart.
            assertFalse(Arrays.equals(smallHost, largeHost),
                    "working sets made no difference: the test cannot see them");
            assertArrayEquals(smallHost, underLowered);
        }
    }

    private static double[] fit(KernelBackend backend, long budget, FloatMatrix real,
            FloatMatrix synthetic) {
        AlignmentConfig config = new AlignmentConfig(Bandwidth.auto(), AlignmentMethod.EXACT,
                AlignmentConfig.DEFAULT_FEATURES, AlignmentConfig.DEFAULT_MAX_ITERATIONS,
                AlignmentConfig.DEFAULT_TOLERANCE, 50, budget, 7);
        return new MmdWeightLearner(backend, config).fit(real, synthetic, ProgressListener.NONE)
                .weights();
    }

    private static FloatMatrix rows(int n, int d, double shift, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextGaussian() + (i % d == 0 ? shift : 0));
        }
        return new FloatMatrix(n, d, data);
    }
}
