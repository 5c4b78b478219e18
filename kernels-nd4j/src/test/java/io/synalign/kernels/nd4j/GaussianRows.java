package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import java.util.Random;

/** Test rows: n x d standard normal floats from {@code new Random(seed)}, in row-major order. */
final class GaussianRows {

    private GaussianRows() {
    }

    static FloatMatrix of(int n, int d, long seed) {
        return of(n, d, seed, 1.0);
    }

    /** The same draws, each multiplied by {@code scale} before it is rounded to float. */
    static FloatMatrix of(int n, int d, long seed, double scale) {
        Random r = new Random(seed);
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return new FloatMatrix(n, d, v);
    }
}
