package io.synalign.engine.alignment;

import io.synalign.kernels.FeatureOperator;

/**
 * {@code H = Phi_S Phi_S^T} for a stored feature matrix {@code Phi_S} (n x D): each product is
 * one {@code transposeTimes} (z = Phi^T w, O(n D)) and one {@code times} (Phi z, O(n D)), with
 * the D-vector z kept between calls so that no product allocates. Owns the operator.
 */
final class FeatureQuadraticForm implements QuadraticForm {

    private final FeatureOperator features;
    private final double[] z;

    FeatureQuadraticForm(FeatureOperator features) {
        this.features = features;
        this.z = new double[features.features()];
    }

    @Override
    public int dimension() {
        return features.rows();
    }

    @Override
    public void apply(double[] w, double[] out) {
        features.transposeTimes(w, z);
        features.times(z, out);
    }

    @Override
    public void close() {
        features.close();
    }
}
