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
 */
public record TrainingVariant(String name, FloatMatrix x, int[] labels, double[] weights,
        Double ess) {

    public TrainingVariant {
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
