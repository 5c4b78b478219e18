package io.synalign.engine.alignment;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.VectorOps;

/**
 * {@code H = Phi_S Phi_S^T} for a stored feature matrix {@code Phi_S} (n x D): each product is
 * one {@code transposeTimes} (z = Phi^T w, O(n D)) and one {@code times} (Phi z, O(n D)), with
 * the D-vector z kept on the backend between calls, so that no product allocates and the
 * residual {@code ||z - mu||^2} of the last product costs one D-length reduction. Owns the
 * operator and its two D-vectors.
 */
final class FeatureQuadraticForm implements QuadraticForm {

    private final FeatureOperator features;
    private final VectorOps vectors;
    private final DeviceVector mu;
    private final DeviceVector z;
    private boolean applied;

    /**
     * @param features the stored {@code Phi_S}
     * @param vectors the backend's vector operations
     * @param mu the real rows' mean feature vector, for {@link #lastResidual}
     */
    FeatureQuadraticForm(FeatureOperator features, VectorOps vectors, double[] mu) {
        if (mu.length != features.features()) {
            throw new IllegalArgumentException("mu has " + mu.length + " values, expected "
                    + features.features());
        }
        this.features = features;
        this.vectors = vectors;
        DeviceVector m = vectors.of(mu);
        try {
            this.z = vectors.zeros(features.features());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        this.mu = m;
    }

    /** {@code ||Phi^T w - mu||^2} in double from the z of the last product. */
    @Override
    public double lastResidual() {
        return applied ? vectors.distanceSquared(z, mu) : Double.NaN;
    }

    @Override
    public String description() {
        return features instanceof ChunkedFeatureOperator chunked ? chunked.describe()
                : "random features, " + features.features() + " per row, kept";
    }

    @Override
    public int dimension() {
        return features.rows();
    }

    @Override
    public void apply(DeviceVector w, DeviceVector out) {
        features.transposeTimes(w, z);
        features.times(z, out);
        applied = true;
    }

    @Override
    public void close() {
        try {
            features.close();
        } finally {
            mu.close();
            z.close();
        }
    }
}
