package io.synalign.spark;

/**
 * What the distributed learner found for one label.
 *
 * @param label the label ({@code LabelPlan.ALL} without labels or in global mode)
 * @param realRows m_l
 * @param syntheticRows n_l
 * @param fitted whether the label had real and synthetic rows and was fitted
 * @param bandwidth sigma_l (NaN when not fitted)
 * @param seed the label's seed
 * @param mmd2Uniform the rff estimate of MMD^2 at uniform weights (NaN when not fitted)
 * @param mmd2Weighted the rff estimate at the learned weights (NaN when not fitted)
 * @param iterations optimiser iterations
 * @param converged whether the stopping rule fired
 * @param products products with H_l
 * @param targetShare the label's share of all weight
 * @param exactUniform the exact MMD^2 at uniform weights (as the CLI reports it), or NaN where
 *     the label was too large to compute it on the driver ({@link SparkWeightLearner#EXACT_ROWS})
 * @param exactWeighted the exact MMD^2 at the learned weights, or NaN likewise
 * @param effectiveSampleSize Kish's ESS of the label's weights (0 when not fitted)
 * @param positive rows of the label with a positive weight
 * @param centred whether the label's random-feature map was evaluated about a centre (its rows
 *     lie more than two bandwidths from the origin: {@code FeatureCentre}); false when not fitted
 */
public record LabelFit(String label, int realRows, int syntheticRows, boolean fitted,
        double bandwidth, long seed, double mmd2Uniform, double mmd2Weighted, int iterations,
        boolean converged, int products, double targetShare, double exactUniform,
        double exactWeighted, double effectiveSampleSize, int positive, boolean centred) {

    /** Whether the exact MMD^2 was computed. */
    public boolean exact() {
        return !Double.isNaN(exactUniform);
    }
}
