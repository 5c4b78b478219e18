package io.synalign.benchmarks;

import io.synalign.kernels.FloatMatrix;
import java.util.Random;

/**
 * Seeded stand-ins for sentence embeddings: unit-norm rows drawn around a few random cluster
 * centres on the sphere, the geometry MiniLM-style encoders produce. Benchmarks use them so that
 * kernel values are spread over (0, 1) as on real data, not all ~0 or ~1.
 */
final class SyntheticEmbeddings {

    private SyntheticEmbeddings() {
    }

    /**
     * @param rows number of rows
     * @param dim dimension
     * @param clusters number of cluster centres
     * @param spread within-cluster noise scale relative to the unit-norm centre
     * @param shift added to every coordinate of the centres (0 for the "real" distribution), so a
     *     synthetic set can be made to drift
     */
    static FloatMatrix clustered(int rows, int dim, int clusters, double spread, double shift,
            long seed) {
        Random centreRandom = new Random(42);
        double[][] centres = new double[clusters][dim];
        for (double[] c : centres) {
            double norm = 0;
            for (int k = 0; k < dim; k++) {
                c[k] = centreRandom.nextGaussian();
                norm += c[k] * c[k];
            }
            norm = Math.sqrt(norm);
            for (int k = 0; k < dim; k++) {
                c[k] = c[k] / norm + shift;
            }
        }
        Random random = new Random(seed);
        float[] data = new float[Math.multiplyExact(rows, dim)];
        double noise = spread / Math.sqrt(dim);
        double[] row = new double[dim];
        for (int i = 0; i < rows; i++) {
            double[] c = centres[random.nextInt(clusters)];
            double norm = 0;
            for (int k = 0; k < dim; k++) {
                row[k] = c[k] + noise * random.nextGaussian();
                norm += row[k] * row[k];
            }
            norm = Math.sqrt(norm);
            for (int k = 0; k < dim; k++) {
                data[i * dim + k] = (float) (row[k] / norm);
            }
        }
        return new FloatMatrix(rows, dim, data);
    }

    /** Uniform random values in [-1, 1). */
    static double[] uniform(int n, long seed) {
        Random random = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 2 * random.nextDouble() - 1;
        }
        return v;
    }
}
