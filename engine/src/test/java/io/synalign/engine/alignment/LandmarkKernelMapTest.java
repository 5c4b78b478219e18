package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.lang.ref.WeakReference;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The landmark map's kept blocks: the same products as built ones, without their rows. */
class LandmarkKernelMapTest {

    /**
     * A kept block is built in full and lets its rows go (a kept chunk held 4 C d bytes of rows
     * for the whole fit, which neither the keep decision nor the plan counted), and its products
     * equal those of a block built on first use, bit for bit. On nd4j, whose operators do not
     * keep the rows once their kernel blocks exist (the reference backend's do).
     */
    @Test
    void aKeptBlockLetsItsRowsGoAndGivesTheSameProducts() throws Exception {
        Assumptions.assumeTrue(TestBackends.available().contains("nd4j"), "nd4j is not available");
        Random random = new Random(21);
        FloatMatrix landmarks = TestBackends.gaussian(7, 33, random, 1.0, 0.0);
        FloatMatrix rows = TestBackends.gaussian(53, 33, random, 1.0, 0.2);
        double[] w = new double[53];
        double[] z = new double[7];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextDouble();
        }
        for (int i = 0; i < z.length; i++) {
            z[i] = random.nextGaussian();
        }
        try (KernelBackend backend = TestBackends.create("nd4j")) {
            LandmarkKernelMap map = new LandmarkKernelMap(backend, landmarks, 5.0);
            double[] wantT = new double[7];
            double[] want = new double[53];
            try (FeatureOperator built = map.build(rows)) {
                built.transposeTimes(w, wantT);
                built.times(z, want);
            }
            FloatMatrix copy = new FloatMatrix(53, 33, rows.data().clone());
            WeakReference<FloatMatrix> held = new WeakReference<>(copy);
            try (FeatureOperator kept = map.buildKept(copy)) {
                copy = null;
                for (int i = 0; i < 50 && held.get() != null; i++) {
                    System.gc();
                    Thread.sleep(10);
                }
                assertNull(held.get(), "the kept block still holds its rows");
                double[] gotT = new double[7];
                double[] got = new double[53];
                kept.transposeTimes(w, gotT);
                kept.times(z, got);
                assertArrayEquals(wantT, gotT, 0.0);
                assertArrayEquals(want, got, 0.0);
            }
        }
    }
}
