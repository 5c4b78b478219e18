package io.synalign.engine.alignment;

import io.synalign.kernels.FeatureOperator;

/**
 * {@code H = Phi_S Phi_S^T} for a stored feature matrix {@code Phi_S} (n x D): each product is
 * one {@code transposeTimes} (z = Phi^T w, O(n D)) and one {@code times} (Phi z, O(n D)), with
 * the D-vector z kept between calls so that no product allocates. Owns the operator.
 */
final class FeatureQuadraticForm implements QuadraticForm {

    private final FeatureOperator features;
    private final double[] mu;
    private final double[] z;
    private final double[] lastW;
    private boolean haveLast;

    /**
     * @param features the stored {@code Phi_S}
     * @param mu the real rows' mean feature vector, for {@link #residualValue}
     */
    FeatureQuadraticForm(FeatureOperator features, double[] mu) {
        if (mu.length != features.features()) {
            throw new IllegalArgumentException("mu has " + mu.length + " values, expected "
                    + features.features());
        }
        this.features = features;
        this.mu = mu.clone();
        this.z = new double[features.features()];
        this.lastW = new double[features.rows()];
    }

    /**
     * {@code ||Phi^T w - mu||^2} in double from the D-vector {@code z = Phi^T w}. The optimiser
     * asks for the value of the point it has just multiplied, so z is reused (one O(n) compare
     * against the remembered w); any other point costs one {@code transposeTimes}.
     */
    @Override
    public double residualValue(double[] w) {
        if (!haveLast || !java.util.Arrays.equals(w, lastW)) {
            features.transposeTimes(w, z);
            System.arraycopy(w, 0, lastW, 0, w.length);
            haveLast = true;
        }
        double s = 0;
        for (int f = 0; f < z.length; f++) {
            double r = z[f] - mu[f];
            s += r * r;
        }
        return s;
    }

    @Override
    public int dimension() {
        return features.rows();
    }

    @Override
    public void apply(double[] w, double[] out) {
        features.transposeTimes(w, z);
        System.arraycopy(w, 0, lastW, 0, w.length);
        haveLast = true;
        features.times(z, out);
    }

    @Override
    public void close() {
        features.close();
    }
}
