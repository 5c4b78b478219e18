package io.synalign.engine.alignment;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.List;
import java.util.Random;

/**
 * The kernel backends the alignment tests run on: every provider that can run here ({@code
 * reference} always; {@code nd4j} once it is on the class path and loads). Used as a JUnit
 * {@code @MethodSource}, so a newly available backend is tested without edits.
 */
public final class TestBackends {

    private TestBackends() {
    }

    /** Names of the backends that can run here, reference first. */
    public static List<String> available() {
        return io.synalign.engine.AvailableBackends.names();
    }

    public static KernelBackend create(String name) {
        return KernelBackends.create(name);
    }

    /** Whether the backend computes in double precision (the reference) or single. */
    public static boolean isDouble(String name) {
        return name.equals("reference");
    }

    /** Independent standard normal entries. */
    public static FloatMatrix gaussian(int rows, int cols, Random random, double scale, double offset) {
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (offset + scale * random.nextGaussian());
        }
        return new FloatMatrix(rows, cols, data);
    }

    /**
     * Rows about the first {@code clusters} of the centres with Gaussian noise of {@code noise}:
     * skewed to the first clusters ({@code floor(k U^2)}) when they are fewer than the centres
     * (real rows drawn from part of the clusters), evenly otherwise (synthetic rows from all), so
     * that part of the synthetic rows end with weight 0 and the optimiser's working sets shrink.
     */
    public static FloatMatrix clustered(int rows, double[][] centres, int clusters, double noise,
            Random random) {
        int d = centres[0].length;
        float[] data = new float[rows * d];
        boolean skewed = clusters < centres.length;
        for (int i = 0; i < rows; i++) {
            int q = skewed ? (int) Math.min(clusters - 1,
                    Math.floor(clusters * Math.pow(random.nextDouble(), 2)))
                    : random.nextInt(clusters);
            for (int j = 0; j < d; j++) {
                data[i * d + j] = (float) (centres[q][j] + noise * random.nextGaussian());
            }
        }
        return new FloatMatrix(rows, d, data);
    }

    /** Squared distance between row i of x and row j of y, in double. */
    public static double distance2(FloatMatrix x, int i, FloatMatrix y, int j) {
        double s = 0;
        for (int k = 0; k < x.cols(); k++) {
            double diff = (double) x.get(i, k) - y.get(j, k);
            s += diff * diff;
        }
        return s;
    }

    /** The RBF kernel in double. */
    public static double rbf(FloatMatrix x, int i, FloatMatrix y, int j, double sigma) {
        return Math.exp(-distance2(x, i, y, j) / (2 * sigma * sigma));
    }

    /**
     * The weighted biased V-statistic MMD^2 computed directly from its definition in double,
     * O((n + m)^2 d): the independent oracle of the tests.
     */
    public static double directMmd2(FloatMatrix synthetic, FloatMatrix real, double[] w, double sigma) {
        int n = synthetic.rows();
        int m = real.rows();
        double ss = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                ss += w[i] * w[j] * rbf(synthetic, i, synthetic, j, sigma);
            }
        }
        double sr = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                sr += w[i] * rbf(synthetic, i, real, j, sigma);
            }
        }
        double rr = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                rr += rbf(real, i, real, j, sigma);
            }
        }
        return ss - 2 * sr / m + rr / ((double) m * m);
    }

    /** A random point of the simplex (normalised exponentials). */
    public static double[] randomSimplexPoint(int n, Random random) {
        double[] w = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            w[i] = -Math.log(1 - random.nextDouble());
            sum += w[i];
        }
        for (int i = 0; i < n; i++) {
            w[i] /= sum;
        }
        return w;
    }
}
