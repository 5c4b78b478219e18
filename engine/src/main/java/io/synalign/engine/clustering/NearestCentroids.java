package io.synalign.engine.clustering;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;

/**
 * The assignment step of Lloyd's algorithm: each row's nearest centroid, ties to the lowest
 * centroid index.
 *
 * <p>Distances come from the backend in row tiles, {@code squaredDistances(tile, centroids)}: one
 * GEMM of {@code tileRows x d} by {@code d x k} per tile (the {@code ||x||^2 + ||c||^2 - 2 x c^T}
 * identity), so the whole step costs O(N k d) and holds only {@code tileRows * (k + d)} floats of
 * scratch, never an N x k matrix. The argmin per row runs in Java. The two tile buffers are
 * allocated once and reused across iterations.
 */
final class NearestCentroids {

    private final KernelBackend backend;
    private final FloatMatrix x;
    private final int tileRows;
    private final int k;
    private final FloatMatrix fullTile;
    private final FloatMatrix lastTile;
    private final float[] fullOut;
    private final float[] lastOut;

    /**
     * @param tileRows rows per backend call, {@code >= 1}
     */
    NearestCentroids(KernelBackend backend, FloatMatrix x, int k, int tileRows) {
        this.backend = backend;
        this.x = x;
        this.k = k;
        int n = x.rows();
        this.tileRows = Math.max(1, Math.min(tileRows, n));
        int rest = n % this.tileRows;
        // With a single tile the backend reads x itself; otherwise tiles are copied into buffers.
        this.fullTile = this.tileRows == n ? x : FloatMatrix.zeros(this.tileRows, x.cols());
        this.lastTile = rest == 0 ? null : FloatMatrix.zeros(rest, x.cols());
        this.fullOut = new float[this.tileRows * k];
        this.lastOut = rest == 0 ? null : new float[rest * k];
    }

    /**
     * Fills {@code labels[i]} with the nearest centroid of row i and {@code distances[i]} with its
     * squared distance (backend precision).
     *
     * @return how many labels changed
     */
    int assign(FloatMatrix centroids, int[] labels, float[] distances) {
        int n = x.rows();
        int d = x.cols();
        int changed = 0;
        for (int from = 0; from < n; from += tileRows) {
            int rows = Math.min(tileRows, n - from);
            FloatMatrix tile = rows == tileRows ? fullTile : lastTile;
            float[] out = rows == tileRows ? fullOut : lastOut;
            if (tile != x) {
                System.arraycopy(x.data(), from * d, tile.data(), 0, rows * d);
            }
            backend.squaredDistances(tile, centroids, out);
            for (int r = 0; r < rows; r++) {
                int best = 0;
                float bestDistance = out[r * k];
                for (int c = 1; c < k; c++) {
                    float v = out[r * k + c];
                    if (v < bestDistance) {
                        best = c;
                        bestDistance = v;
                    }
                }
                int i = from + r;
                if (labels[i] != best) {
                    changed++;
                    labels[i] = best;
                }
                distances[i] = bestDistance;
            }
        }
        return changed;
    }
}
