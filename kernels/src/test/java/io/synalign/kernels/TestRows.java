package io.synalign.kernels;

import java.util.Arrays;
import java.util.Random;

/** Random test inputs shaped like embeddings: clustered, off-centre, with varied spread. */
final class TestRows {

    private TestRows() {
    }

    /**
     * {@code rows x dim} points from a mixture of four Gaussian clusters whose centres sit away
     * from the origin (so the GEMM form of the distances has norms to cancel), each row with its
     * own scale in [0.2, 1.2] so within- and between-cluster distances differ and the kernel values
     * spread over (0, 1) instead of bunching at one value.
     */
    static FloatMatrix clustered(int rows, int dim, long seed) {
        Random random = new Random(seed);
        double[][] centres = new double[4][dim];
        for (double[] c : centres) {
            for (int k = 0; k < dim; k++) {
                c[k] = 1.5 + random.nextGaussian();
            }
        }
        float[] data = new float[rows * dim];
        for (int i = 0; i < rows; i++) {
            double[] c = centres[random.nextInt(centres.length)];
            double scale = 0.2 + random.nextDouble();
            for (int k = 0; k < dim; k++) {
                data[i * dim + k] = (float) (c[k] + scale * random.nextGaussian());
            }
        }
        return new FloatMatrix(rows, dim, data);
    }

    /** A vector of {@code n} values in [-1, 1). */
    static double[] vector(int n, long seed) {
        Random random = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 2 * random.nextDouble() - 1;
        }
        return v;
    }

    /**
     * The bandwidth that puts the median pairwise distance at kernel value {@code e^-1}:
     * {@code sigma^2 = median(||x - y||^2) / 2}, from at most 4000 pairs.
     */
    static double medianBandwidth(FloatMatrix x, FloatMatrix y) {
        Random random = new Random(7);
        int pairs = Math.min(4000, x.rows() * y.rows());
        double[] d2 = new double[pairs];
        for (int p = 0; p < pairs; p++) {
            int i = random.nextInt(x.rows());
            int j = random.nextInt(y.rows());
            double s = 0;
            for (int k = 0; k < x.cols(); k++) {
                double diff = (double) x.get(i, k) - y.get(j, k);
                s += diff * diff;
            }
            d2[p] = s;
        }
        Arrays.sort(d2);
        double median = d2[pairs / 2];
        return median > 0 ? Math.sqrt(median / 2) : 1.0;
    }
}
