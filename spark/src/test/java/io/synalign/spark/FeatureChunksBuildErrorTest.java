package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/**
 * A partition's build that fails with an Error (an OutOfMemoryError: the kept features are a
 * fresh n_b x D allocation, on the heap or off it) while making a kept block's operator leaves
 * the executor's feature budget as it found it: the block's bytes, reserved before the operator
 * was made, are returned, as they are for a RuntimeException (helper review30: only those were,
 * and every such failure left 4 n_b D bytes counted in the JVM for good, so every later build
 * on that executor kept less). Built outside Spark (no task: no listener).
 */
class FeatureChunksBuildErrorTest {

    private static final int DIM = 3;
    private static final int FEATURES = 16;
    /** One label of 21 rows in blocks of 7: three blocks, the third one's build fails. */
    private static final int ROWS = 21;
    private static final int BLOCK = 7;

    private final AtomicInteger built = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private SavedProperty budgetBefore;

    @BeforeEach
    void setUp() {
        budgetBefore = SavedProperty.featureBudget();
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, Long.toString(1L << 30));
    }

    @AfterEach
    void restore() {
        budgetBefore.restore();
    }

    @Test
    void anErrorBuildingAKeptBlockReturnsItsBytesToTheBudget() {
        FeatureMaps maps = new FeatureMaps(DIM, FEATURES, new double[] {1.1}, new long[] {5});
        RowBlocks grid = RowBlocks.of(new int[] {ROWS}, l -> BLOCK, 1);
        Random random = new Random(30);
        List<Tuple2<Long, IndexedRow>> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            float[] v = new float[DIM];
            for (int k = 0; k < DIM; k++) {
                v[k] = (float) random.nextGaussian();
            }
            rows.add(new Tuple2<>(grid.key(0, i), new IndexedRow(i, 0, i, v)));
        }
        KernelBackend backend = failingAt(3, KernelBackends.create("reference"));
        long before = ExecutorFeatureBudget.keptBytes();

        assertThrows(OutOfMemoryError.class, () -> FeatureChunks.build(rows.iterator(), grid,
                maps, backend, -1, 0));

        assertEquals(3, built.get(), "the third block's build failed");
        assertEquals(0, open.get(), "the two blocks built before it are closed");
        assertEquals(before, ExecutorFeatureBudget.keptBytes(),
                "no byte of the failed build stays counted against the budget");
    }

    /** {@code inner}, whose {@code n}-th feature operator build throws an OutOfMemoryError. */
    private KernelBackend failingAt(int n, KernelBackend inner) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().equals("fourierFeatureOperator")) {
                if (built.incrementAndGet() == n) {
                    throw new OutOfMemoryError("test: build " + n + " refused");
                }
                FeatureOperator op = (FeatureOperator) forward(inner, method, args);
                open.incrementAndGet();
                return Proxy.newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] {FeatureOperator.class}, (p, m, a) -> {
                            if (m.getName().equals("close") && m.getParameterCount() == 0) {
                                open.decrementAndGet();
                            }
                            return forward(op, m, a);
                        });
            }
            return forward(inner, method, args);
        };
        return (KernelBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {KernelBackend.class}, handler);
    }

    private static Object forward(Object target, java.lang.reflect.Method method, Object[] args)
            throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
