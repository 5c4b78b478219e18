package io.synalign.pipeline;

import io.synalign.kernels.FloatMatrix;

/**
 * Rows scaled to unit length, so that an inner product is a cosine whatever the encoder's own
 * normalisation (a custom model may not normalise). A zero row stays zero; a non-finite value
 * is refused, naming its row and column. Cost O(n d).
 */
public final class UnitRows {

    private UnitRows() {
    }

    /** A copy of {@code x} with every row divided by its Euclidean norm (in double). */
    public static FloatMatrix of(FloatMatrix x) {
        int d = x.cols();
        float[] v = x.data().clone();
        for (int i = 0; i < x.rows(); i++) {
            double n = 0;
            for (int t = 0; t < d; t++) {
                n += (double) v[i * d + t] * v[i * d + t];
            }
            if (!Double.isFinite(n)) {
                // A NaN row passed (n > 0 is false) and matched nothing, silently.
                for (int t = 0; t < d; t++) {
                    if (!Float.isFinite(v[i * d + t])) {
                        throw new IllegalArgumentException("row " + i + " has " + v[i * d + t]
                                + " at column " + t);
                    }
                }
            }
            if (n > 0) {
                double s = 1 / Math.sqrt(n);
                for (int t = 0; t < d; t++) {
                    v[i * d + t] = (float) (v[i * d + t] * s);
                }
            }
        }
        return new FloatMatrix(x.rows(), d, v);
    }
}
