package io.synalign.engine.clustering;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.TilePlan;
import java.util.Arrays;
import java.util.BitSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * k-means: {@link KMeansPlusPlus k-means++} seeding (Arthur &amp; Vassilvitskii 2007), then
 * Lloyd's iterations (Lloyd, "Least squares quantization in PCM", 1982).
 *
 * <ul>
 * <li>Assignment: each row's nearest centroid (ties to the lowest centroid index) from batched
 * GEMM distances over row tiles ({@link NearestCentroids}), O(N k d) per iteration with
 * O(tileRows * (k + d)) scratch; the tile height comes from {@link TilePlan#tileRowsFor}.
 * <li>Update: centroid = mean of its rows, summed in double, O(N d).
 * <li>Empty cluster: re-seeded with the row farthest from its current centroid (taken from a
 * cluster that keeps at least one row), as scikit-learn does; left in place when no such row
 * exists (all rows coincide with their centroids).
 * <li>Stop: when no label changes (a fixed point) or the relative inertia improvement
 * {@code (prev - cur) / prev} falls below {@link KMeansConfig#tolerance()}, else after
 * {@link KMeansConfig#maxIterations()} updates. With tolerance 0 only a fixed point stops early,
 * so the returned centroids are then exactly the means of their rows.
 * </ul>
 *
 * <p>The returned assignments are those of the returned centroids (one assignment follows the
 * last update), and the reported inertia is recomputed in double from the rows and the returned
 * float centroids. Memory beyond x: O(N + k d) plus one tile.
 */
public final class KMeans {

    private static final Logger LOG = LoggerFactory.getLogger(KMeans.class);

    private final KernelBackend backend;
    private final KMeansConfig config;
    private final int tileRows; // 0: plan from TilePlan.DEFAULT_TILE_BYTES

    public KMeans(KernelBackend backend, KMeansConfig config) {
        this(backend, config, 0);
    }

    /** For tests: a fixed tile height ({@code >= 1}), or 0 for the planned one. */
    KMeans(KernelBackend backend, KMeansConfig config, int tileRows) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.backend = backend;
        this.config = config;
        this.tileRows = tileRows;
    }

    /** @throws IllegalArgumentException when x has fewer rows than k */
    public KMeansResult fit(FloatMatrix x) {
        if (x == null) {
            throw new IllegalArgumentException("x must not be null");
        }
        if (x.rows() < config.k()) {
            throw new IllegalArgumentException("k-means needs at least k rows: x has " + x.rows()
                    + " rows, k=" + config.k());
        }
        return lloyd(x, KMeansPlusPlus.seed(backend, x, config.k(), config.seed()));
    }

    /** Lloyd's iterations from the given {@code k x d} row-major starting centroids. */
    KMeansResult lloyd(FloatMatrix x, double[] initial) {
        int n = x.rows();
        int d = x.cols();
        int k = config.k();
        int tile = tileRows > 0 ? tileRows : TilePlan.tileRowsFor(n, (long) k + d,
                TilePlan.DEFAULT_TILE_BYTES);
        NearestCentroids assigner = new NearestCentroids(backend, x, k, tile);
        double[] centroids = initial.clone();
        FloatMatrix centroidMatrix = FloatMatrix.zeros(k, d);
        int[] labels = new int[n];
        Arrays.fill(labels, -1);
        float[] distances = new float[n];

        toFloat(centroids, centroidMatrix);
        assigner.assign(centroidMatrix, labels, distances);
        double inertia = sum(distances);
        int iterations = 0;
        boolean converged = false;
        while (iterations < config.maxIterations()) {
            update(x, labels, distances, centroids);
            toFloat(centroids, centroidMatrix);
            int changed = assigner.assign(centroidMatrix, labels, distances);
            iterations++;
            double next = sum(distances);
            boolean fixedPoint = changed == 0;
            boolean small = config.tolerance() > 0
                    && (inertia <= 0 || (inertia - next) / inertia < config.tolerance());
            LOG.debug("k-means iteration {}: inertia {} -> {}, {} labels changed", iterations,
                    inertia, next, changed);
            inertia = next;
            if (fixedPoint || small) {
                converged = true;
                break;
            }
        }
        double exact = inertia(x, centroidMatrix, labels);
        LOG.debug("k-means k={} on {} x {}: {} iterations, converged={}, inertia {}", k, n, d,
                iterations, converged, exact);
        return new KMeansResult(centroidMatrix, labels, exact, iterations, converged);
    }

    /**
     * Centroid = mean of its rows, in double; an empty cluster takes the row farthest from its
     * centroid among clusters that keep at least one row.
     */
    private static void update(FloatMatrix x, int[] labels, float[] distances, double[] centroids) {
        int n = x.rows();
        int d = x.cols();
        int k = centroids.length / d;
        float[] data = x.data();
        double[] sums = new double[k * d];
        int[] counts = new int[k];
        for (int i = 0; i < n; i++) {
            int c = labels[i];
            counts[c]++;
            for (int j = 0; j < d; j++) {
                sums[c * d + j] += data[i * d + j];
            }
        }
        BitSet moved = new BitSet(n);
        for (int c = 0; c < k; c++) {
            if (counts[c] > 0) {
                continue;
            }
            int far = -1;
            for (int i = 0; i < n; i++) {
                if (!moved.get(i) && counts[labels[i]] > 1 && distances[i] > 0
                        && (far < 0 || distances[i] > distances[far])) {
                    far = i;
                }
            }
            if (far < 0) {
                LOG.debug("k-means: cluster {} is empty and no row can re-seed it", c);
                continue;
            }
            int donor = labels[far];
            counts[donor]--;
            counts[c] = 1;
            for (int j = 0; j < d; j++) {
                sums[donor * d + j] -= data[far * d + j];
                sums[c * d + j] = data[far * d + j];
            }
            labels[far] = c;
            moved.set(far);
        }
        for (int c = 0; c < k; c++) {
            if (counts[c] == 0) {
                continue; // keeps its old position
            }
            for (int j = 0; j < d; j++) {
                centroids[c * d + j] = sums[c * d + j] / counts[c];
            }
        }
    }

    private static void toFloat(double[] values, FloatMatrix out) {
        for (int i = 0; i < values.length; i++) {
            out.data()[i] = (float) values[i];
        }
    }

    private static double sum(float[] values) {
        double s = 0;
        for (float v : values) {
            s += v;
        }
        return s;
    }

    /** Sum of squared distances from each row to its centroid, in double. */
    static double inertia(FloatMatrix x, FloatMatrix centroids, int[] labels) {
        int d = x.cols();
        float[] data = x.data();
        float[] c = centroids.data();
        double s = 0;
        for (int i = 0; i < x.rows(); i++) {
            int base = labels[i] * d;
            for (int j = 0; j < d; j++) {
                double diff = (double) data[i * d + j] - c[base + j];
                s += diff * diff;
            }
        }
        return s;
    }
}
