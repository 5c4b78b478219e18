package io.synalign.engine.clustering;

/**
 * Settings of k-means, validated on construction.
 *
 * @param k number of clusters, {@code >= 1}
 * @param maxIterations Lloyd iteration cap, {@code >= 1}
 * @param tolerance stop when the relative inertia improvement falls below this, {@code >= 0}
 * @param seed seeds k-means++ initialisation
 */
public record KMeansConfig(int k, int maxIterations, double tolerance, long seed) {
    public KMeansConfig {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        if (maxIterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + maxIterations);
        }
        if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
            throw new IllegalArgumentException("tolerance must be a finite number >= 0, got " + tolerance);
        }
    }

    /** k clusters, 100 iterations, tolerance 1e-6, seed 0. */
    public static KMeansConfig of(int k) {
        return new KMeansConfig(k, 100, 1e-6, 0L);
    }
}
