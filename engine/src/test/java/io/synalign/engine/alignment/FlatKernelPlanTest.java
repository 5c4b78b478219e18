package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.reference.ReferenceBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fit asks the planner's fp16 rule with the kernel value, at its bandwidth, of the closest
 * tenth of the median heuristic's sampled pairs (helper cudaplan31). The reference backend seen as cuda on a small device: it keeps
 * a triangle in fp32 or fp16 ({@code n (n + 1) / 2} entries), and its free memory holds the
 * fp16 triangle but not the fp32 one (an fp16 plan is kept in the reference's float64, which
 * the contract allows). At the median heuristic's bandwidth (Gaussian rows), and where those
 * close pairs' value is 0.8, auto keeps K_SS in fp16 as before; where it is 0.92 or 0.99 it
 * runs tiled (on the old code exact, fp16, at every bandwidth); with fp16 asked for, exact.
 */
class FlatKernelPlanTest {

    private static final int N = 300;
    private static final int M = 120;
    private static final int D = 7;
    private static final long SEED = 5;

    @Test
    void kernelValuesNearOneRunTiledWhereOnlyFp16WouldFit() {
        FloatMatrix real = rows(M, D, 0.4, 1);
        FloatMatrix synthetic = rows(N, D, 0.0, 2);
        try (ReferenceBackend reference = new ReferenceBackend()) {
            long free = triangle(N, KernelStorage.FLOAT16) + 1024;
            KernelBackend device = smallDevice(reference, free);
            double q10 = MedianHeuristic.quantile(reference, MedianHeuristic.DEFAULT_SAMPLE,
                    SEED, 0.1, io.synalign.kernels.RowSource.of(real),
                    io.synalign.kernels.RowSource.of(synthetic));

            assertEquals(AlignmentMethod.EXACT, fit(device, Bandwidth.auto(), null, real,
                    synthetic).method());
            assertEquals(AlignmentMethod.EXACT, fit(device, Bandwidth.of(at(q10, 0.8)), null,
                    real, synthetic).method());
            for (double close : new double[] {0.92, 0.99}) {
                AlignmentResult r = fit(device, Bandwidth.of(at(q10, close)), null, real,
                        synthetic);
                assertEquals(AlignmentMethod.TILED, r.method(), "close pairs at " + close);
                assertEquals(AlignmentMethod.EXACT, fit(device, Bandwidth.of(at(q10, close)),
                        KernelStorage.FLOAT16, real, synthetic).method(), "fp16 asked for");
            }
        }
    }

    /** The bandwidth at which distance q has kernel value k. */
    private static double at(double q, double k) {
        return q / Math.sqrt(2 * Math.log(1 / k));
    }

    private static long triangle(long n, KernelStorage storage) {
        return n * (n + 1) / 2 * storage.bytes();
    }

    /** {@code reference}, planning as cuda does with {@code free} bytes of device memory. */
    private static KernelBackend smallDevice(ReferenceBackend reference, long free) {
        return (KernelBackend) Proxy.newProxyInstance(KernelBackend.class.getClassLoader(),
                new Class<?>[] {KernelBackend.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "residentBudgetBytes":
                            return free;
                        case "keptStorages":
                            return EnumSet.of(KernelStorage.FLOAT32, KernelStorage.FLOAT16);
                        case "keptKernelBytes":
                            return (Boolean) args[2] ? triangle((Long) args[0],
                                    (KernelStorage) args[3])
                                    : (Long) args[0] * (Long) args[1]
                                            * ((KernelStorage) args[3]).bytes();
                        case "rbfOperator": {
                            TilePlan plan = (TilePlan) args[3];
                            args[3] = new TilePlan(plan.materialise(), plan.tileRows(),
                                    KernelStorage.FLOAT32);
                            break;
                        }
                        default:
                            break;
                    }
                    try {
                        return method.invoke(reference, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static AlignmentResult fit(KernelBackend backend, Bandwidth bandwidth,
            KernelStorage storage, FloatMatrix real, FloatMatrix synthetic) {
        AlignmentConfig config = AlignmentConfig.defaults().withBandwidth(bandwidth)
                .withMethod(AlignmentMethod.AUTO).withIterations(20, 1e-6)
                .withKernelStorage(storage).withSeed(SEED);
        return new MmdWeightLearner(backend, config).fit(real, synthetic, ProgressListener.NONE);
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
