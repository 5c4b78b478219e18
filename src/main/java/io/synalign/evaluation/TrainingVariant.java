package io.synalign.evaluation;

import io.synalign.kernels.FloatMatrix;

/**
 * One training set of the downstream evaluation.
 *
 * @param name e.g. {@code real}, {@code real+synthetic}, {@code real+aligned}
 * @param x the rows' embeddings
 * @param labels class index of each row
 * @param weights per-row example weights (loss and MMD^2), or null for uniform
 * @param ess the effective sample size to report for this variant (of its synthetic weights),
 *     or null where it has no weights
 * @param realRows the first {@code realRows} rows are real, the rest synthetic: the student's
 *     held-out slice is drawn per (label, source), so every variant holds out the same share of
 *     its real rows and the variants' early stopping compare alike
 */
public record TrainingVariant(String name, FloatMatrix x, int[] labels, double[] weights,
        Double ess, int realRows) {

    /** A variant of real rows only. */
    public TrainingVariant(String name, FloatMatrix x, int[] labels, double[] weights, Double ess) {
        this(name, x, labels, weights, ess, x.rows());
    }

    public TrainingVariant {
        if (realRows < 0 || realRows > x.rows()) {
            throw new IllegalArgumentException("variant " + name + ": " + realRows
                    + " real rows of " + x.rows());
        }
        if (labels.length != x.rows()) {
            throw new IllegalArgumentException("variant " + name + ": " + labels.length
                    + " labels for " + x.rows() + " rows");
        }
        if (weights != null && weights.length != x.rows()) {
            throw new IllegalArgumentException("variant " + name + ": " + weights.length
                    + " weights for " + x.rows() + " rows");
        }
    }
}
