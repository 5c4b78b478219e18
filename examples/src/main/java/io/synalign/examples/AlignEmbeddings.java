package io.synalign.examples;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.Locale;
import java.util.Random;

/**
 * Aligns two embedding matrices: one sampling weight per synthetic row, learned by minimising
 * the MMD to the real rows. Only the engine and the kernels are needed.
 *
 * <p>Here the real rows are one Gaussian cloud and the synthetic rows two clouds, half of them
 * off to one side; the weights move the mass back onto the real cloud.
 */
public final class AlignEmbeddings {

    private AlignEmbeddings() {
    }

    /** Learns the weights of {@code synthetic} against {@code real} on the best backend. */
    public static AlignmentResult align(FloatMatrix real, FloatMatrix synthetic, long seed) {
        try (KernelBackend backend = KernelBackends.create("auto")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend,
                    AlignmentConfig.defaults().withSeed(seed));
            return learner.fit(real, synthetic, ProgressListener.NONE);
        }
    }

    public static void main(String[] args) {
        Random random = new Random(1);
        FloatMatrix real = gaussian(random, 300, 16, 0.0, 300);
        FloatMatrix synthetic = gaussian(random, 800, 16, 1.5, 400); // 400 rows shifted by 1.5
        AlignmentResult result = align(real, synthetic, 7);
        System.out.printf(Locale.ROOT, "MMD^2 %.4g -> %.4g (%s, %d iterations), effective"
                + " sample size %.0f of %d%n", result.mmd2Uniform(), result.mmd2Weighted(),
                result.method().cliName(), result.iterations(), result.effectiveSampleSize(),
                synthetic.rows());
    }

    /** n rows of standard normals, the last {@code shifted} of them moved by {@code shift}. */
    static FloatMatrix gaussian(Random random, int n, int d, double shift, int shifted) {
        FloatMatrix m = FloatMatrix.zeros(n, d);
        float[] data = m.data();
        for (int i = 0; i < n; i++) {
            double offset = i >= n - shifted ? shift : 0;
            for (int j = 0; j < d; j++) {
                data[i * d + j] = (float) (random.nextGaussian() + offset);
            }
        }
        return m;
    }
}
