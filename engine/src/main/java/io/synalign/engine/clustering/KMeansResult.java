package io.synalign.engine.clustering;

import io.synalign.kernels.FloatMatrix;

/**
 * @param centroids k x d cluster centres
 * @param assignments for each row, the index of its nearest centroid
 * @param inertia sum of squared distances from rows to their centroids
 * @param iterations Lloyd iterations run
 * @param converged whether the tolerance was met before the cap
 */
public record KMeansResult(FloatMatrix centroids, int[] assignments, double inertia,
        int iterations, boolean converged) {
}
