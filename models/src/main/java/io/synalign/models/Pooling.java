package io.synalign.models;

import java.nio.FloatBuffer;

/**
 * Reduces a transformer's token states {@code [rows, seqLen, dim]} to one vector per row.
 * Padding positions (attention mask 0) never contribute.
 */
public enum Pooling {
    /**
     * Average of the token states whose attention mask is 1 (Sentence-BERT mean pooling,
     * Reimers &amp; Gurevych 2019); used by all-MiniLM-L6-v2.
     */
    MEAN,
    /** State of the first token ({@code [CLS]}); the BGE model-card convention. */
    CLS;

    /** Pools a heap array; see {@link #pool(FloatBuffer, int, int, int, int[], float[], int)}. */
    void pool(float[] hidden, int rows, int seqLen, int dim, int[] tokens, float[] out,
            int outOffset) {
        pool(FloatBuffer.wrap(hidden), rows, seqLen, dim, tokens, out, outOffset);
    }

    /**
     * Pools {@code hidden} (row-major {@code [rows, seqLen, dim]} from index 0, read with
     * absolute gets so its position is untouched) into {@code out[outOffset .. outOffset + rows *
     * dim)}. Reading the model's output buffer in place spares a copy of the whole
     * {@code [rows, seqLen, dim]} tensor into a Java array. Sums in double, so the result is
     * within one float rounding of the exact mean. Cost O(rows * seqLen * dim).
     *
     * @param tokens number of real (unpadded) tokens of each row; positions {@code >= tokens[r]}
     *               are padding and are ignored
     */
    void pool(FloatBuffer hidden, int rows, int seqLen, int dim, int[] tokens, float[] out,
            int outOffset) {
        double[] acc = new double[dim];
        for (int r = 0; r < rows; r++) {
            int n = tokens[r];
            if (n < 1 || n > seqLen) {
                throw new IllegalArgumentException("row " + r + " has " + n
                        + " tokens, need 1.." + seqLen);
            }
            int rowBase = r * seqLen * dim;
            int dst = outOffset + r * dim;
            if (this == CLS) {
                hidden.get(rowBase, out, dst, dim);
                continue;
            }
            java.util.Arrays.fill(acc, 0.0);
            for (int t = 0; t < n; t++) {
                int base = rowBase + t * dim;
                for (int j = 0; j < dim; j++) {
                    acc[j] += hidden.get(base + j);
                }
            }
            for (int j = 0; j < dim; j++) {
                out[dst + j] = (float) (acc[j] / n);
            }
        }
    }

    /**
     * Scales each of the {@code rows} vectors at {@code data[offset + r * dim ..]} to unit
     * Euclidean norm (norm computed in double). A zero vector is left as is.
     */
    static void l2Normalise(float[] data, int offset, int rows, int dim) {
        for (int r = 0; r < rows; r++) {
            int base = offset + r * dim;
            double sq = 0;
            for (int j = 0; j < dim; j++) {
                sq += (double) data[base + j] * data[base + j];
            }
            if (sq == 0) {
                continue;
            }
            double inv = 1.0 / Math.sqrt(sq);
            for (int j = 0; j < dim; j++) {
                data[base + j] = (float) (data[base + j] * inv);
            }
        }
    }
}
