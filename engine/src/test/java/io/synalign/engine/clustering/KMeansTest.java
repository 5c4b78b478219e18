package io.synalign.engine.clustering;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class KMeansTest {

    static Stream<String> backends() {
        return TestBackends.names().stream();
    }

    /** Blobs of the given sizes around far-apart centres; rows shuffled; labels in truth. */
    record Blobs(FloatMatrix x, int[] truth) {
    }

    static Blobs blobs(int[] sizes, int d, long seed) {
        Random random = new Random(seed);
        int n = Arrays.stream(sizes).sum();
        double[][] centre = new double[sizes.length][d];
        for (double[] c : centre) {
            for (int j = 0; j < d; j++) {
                c[j] = 300 * random.nextGaussian(); // centres ~1000 apart, blobs of radius ~3
            }
        }
        int[] label = new int[n];
        int at = 0;
        for (int b = 0; b < sizes.length; b++) {
            for (int s = 0; s < sizes[b]; s++) {
                label[at++] = b;
            }
        }
        for (int i = n - 1; i > 0; i--) { // shuffle so blobs are not contiguous in index order
            int j = random.nextInt(i + 1);
            int t = label[i];
            label[i] = label[j];
            label[j] = t;
        }
        double[][] rows = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                rows[i][j] = centre[label[i]][j] + random.nextGaussian();
            }
        }
        return new Blobs(FloatMatrix.of(rows), label);
    }

    static FloatMatrix uniform(int n, int d, long seed) {
        Random random = new Random(seed);
        double[][] rows = new double[n][d];
        for (double[] row : rows) {
            for (int j = 0; j < d; j++) {
                row[j] = random.nextDouble() * 10 - 5;
            }
        }
        return FloatMatrix.of(rows);
    }

    static double distance2(FloatMatrix a, int i, FloatMatrix b, int j) {
        double s = 0;
        for (int c = 0; c < a.cols(); c++) {
            double diff = (double) a.get(i, c) - (double) b.get(j, c);
            s += diff * diff;
        }
        return s;
    }

    /** Every row's assigned centroid is its nearest one, checked in double. */
    static void assertNearest(FloatMatrix x, KMeansResult r, boolean exact) {
        int k = r.centroids().rows();
        for (int i = 0; i < x.rows(); i++) {
            double min = Double.POSITIVE_INFINITY;
            int argmin = -1;
            for (int c = 0; c < k; c++) {
                double v = distance2(x, i, r.centroids(), c);
                if (v < min) {
                    min = v;
                    argmin = c;
                }
            }
            double assigned = distance2(x, i, r.centroids(), r.assignments()[i]);
            // The reference backend rounds its double distances to float, so two centroids whose
            // distances agree to 1e-7 relative may tie there (and go to the lower index); float32
            // GEMM backends also lose ~1e-6 of ||x||^2 + ||c||^2 to cancellation.
            double slack = exact ? 1e-6 * min + 1e-9
                    : 1e-5 * (min + squaredNorm(x, i) + squaredNorm(r.centroids(), argmin));
            assertTrue(assigned <= min + slack, "row " + i + " is assigned to centroid "
                    + r.assignments()[i] + " at " + assigned + " but centroid " + argmin
                    + " is at " + min);
        }
    }

    static double squaredNorm(FloatMatrix m, int i) {
        double s = 0;
        for (int c = 0; c < m.cols(); c++) {
            s += (double) m.get(i, c) * m.get(i, c);
        }
        return s;
    }

    static double inertia(FloatMatrix x, KMeansResult r) {
        double s = 0;
        for (int i = 0; i < x.rows(); i++) {
            s += distance2(x, i, r.centroids(), r.assignments()[i]);
        }
        return s;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void recoversWellSeparatedBlobsExactly(String backendName) {
        int[][] sizeSets = {{1, 7, 23, 57, 3}, {13, 2, 31}, {5, 5, 5, 5, 5, 5, 5}};
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            for (int[] sizes : sizeSets) {
                for (long seed = 0; seed < 4; seed++) {
                    Blobs b = blobs(sizes, 7, 100 + seed);
                    KMeansResult r = new KMeans(backend, new KMeansConfig(sizes.length, 100, 1e-6,
                            seed)).fit(b.x());
                    assertSamePartition(b.truth(), r.assignments(), sizes.length,
                            Arrays.toString(sizes) + " seed " + seed);
                    assertTrue(r.converged());
                    assertNearest(b.x(), r, backendName.equals(TestBackends.EXACT));
                }
            }
        }
    }

    /** The two labelings are equal up to a permutation of labels (a bijection). */
    private static void assertSamePartition(int[] truth, int[] found, int k, String what) {
        int[] map = new int[k];
        int[] inverse = new int[k];
        Arrays.fill(map, -1);
        Arrays.fill(inverse, -1);
        for (int i = 0; i < truth.length; i++) {
            int t = truth[i];
            int f = found[i];
            if (map[t] < 0 && inverse[f] < 0) {
                map[t] = f;
                inverse[f] = t;
            }
            assertEquals(map[t], f, what + ": row " + i + " of blob " + t + " got cluster " + f);
            assertEquals(inverse[f], t, what + ": cluster " + f + " mixes blobs");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void assignmentsAreNearestAndInertiaIsExact(String backendName) {
        boolean exact = backendName.equals(TestBackends.EXACT);
        int[][] shapes = {{257, 9, 7}, {101, 33, 12}, {7, 3, 7}, {50, 2, 1}};
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            for (int[] s : shapes) {
                FloatMatrix x = uniform(s[0], s[1], s[0] + s[1]);
                KMeansResult r = new KMeans(backend, new KMeansConfig(s[2], 300, 0.0, 3L)).fit(x);
                String what = Arrays.toString(s);
                assertEquals(s[0], r.assignments().length, what);
                assertEquals(s[2], r.centroids().rows(), what);
                assertEquals(s[1], r.centroids().cols(), what);
                assertNearest(x, r, exact);
                assertEquals(inertia(x, r), r.inertia(), 1e-12 * inertia(x, r) + 1e-12, what);
                assertTrue(r.iterations() >= 1 && r.iterations() <= 300, what);
                // Tolerance 0 stops only at a fixed point: each centroid is the mean of its rows.
                assertTrue(r.converged(), what);
                assertCentroidsAreMeans(x, r, what);
            }
        }
    }

    private static void assertCentroidsAreMeans(FloatMatrix x, KMeansResult r, String what) {
        int k = r.centroids().rows();
        int d = x.cols();
        double[][] sum = new double[k][d];
        int[] count = new int[k];
        for (int i = 0; i < x.rows(); i++) {
            int c = r.assignments()[i];
            count[c]++;
            for (int j = 0; j < d; j++) {
                sum[c][j] += x.get(i, j);
            }
        }
        for (int c = 0; c < k; c++) {
            assertTrue(count[c] > 0, what + ": cluster " + c + " is empty");
            for (int j = 0; j < d; j++) {
                assertEquals(sum[c][j] / count[c], r.centroids().get(c, j), 1e-5,
                        what + ": centroid " + c + " coordinate " + j);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sameSeedSameResult(String backendName) {
        FloatMatrix x = uniform(211, 11, 5L);
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            KMeansConfig config = new KMeansConfig(6, 50, 1e-6, 42L);
            KMeansResult a = new KMeans(backend, config).fit(x);
            KMeansResult b = new KMeans(backend, config).fit(x);
            assertEquals(a.centroids(), b.centroids());
            assertArrayEquals(a.assignments(), b.assignments());
            assertEquals(a.inertia(), b.inertia(), 0.0);
            assertEquals(a.iterations(), b.iterations());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void oneClusterIsTheMean(String backendName) {
        FloatMatrix x = uniform(77, 5, 8L);
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            KMeansResult r = new KMeans(backend, KMeansConfig.of(1)).fit(x);
            double total = 0;
            for (int j = 0; j < 5; j++) {
                double mean = 0;
                for (int i = 0; i < 77; i++) {
                    mean += x.get(i, j);
                }
                mean /= 77;
                assertEquals(mean, r.centroids().get(0, j), 1e-6);
                for (int i = 0; i < 77; i++) {
                    total += (x.get(i, j) - mean) * (x.get(i, j) - mean);
                }
            }
            assertArrayEquals(new int[77], r.assignments());
            assertEquals(total, r.inertia(), 1e-5 * total);
        }
    }

    @Test
    void tilingDoesNotChangeTheResult() {
        FloatMatrix x = uniform(103, 6, 6L);
        KMeansConfig config = new KMeansConfig(5, 100, 0.0, 1L);
        KMeansResult whole = new KMeans(new ReferenceBackend(), config).fit(x);
        for (int tile : new int[] {1, 7, 102}) {
            KMeansResult tiled = new KMeans(new ReferenceBackend(), config, tile).fit(x);
            assertArrayEquals(whole.assignments(), tiled.assignments(), "tile " + tile);
            assertEquals(whole.centroids(), tiled.centroids(), "tile " + tile);
        }
    }

    @Test
    void anEmptyClusterIsReseededWithTheFarthestRow() {
        // Two tight blobs and a starting centroid far from everything: after the first
        // assignment cluster 2 is empty and must take the row farthest from its centroid.
        double[][] rows = {{0, 0}, {0.1, 0}, {0, 0.1}, {5, 0}, {10, 10}, {10.1, 10}, {10, 10.1}};
        FloatMatrix x = FloatMatrix.of(rows);
        KMeans kmeans = new KMeans(new ReferenceBackend(), new KMeansConfig(3, 100, 0.0, 0L));
        KMeansResult r = kmeans.lloyd(x, new double[] {0, 0, 10, 10, 1000, 1000});
        // Rows 0..3 start in cluster 0 at (0, 0); row 3 at (5, 0) is the farthest row from its
        // centroid, so it re-seeds cluster 2 and stays there.
        assertEquals(2, r.assignments()[3]);
        for (int i : new int[] {0, 1, 2}) {
            assertEquals(0, r.assignments()[i]);
        }
        for (int i : new int[] {4, 5, 6}) {
            assertEquals(1, r.assignments()[i]);
        }
        assertEquals(5f, r.centroids().get(2, 0));
        assertEquals(0f, r.centroids().get(2, 1));
        assertNearest(x, r, true);
    }

    @Test
    void fewerDistinctRowsThanClustersStillAssignsEveryRow() {
        double[][] rows = new double[12][];
        for (int i = 0; i < 12; i++) {
            rows[i] = new double[] {i % 2, 0};
        }
        FloatMatrix x = FloatMatrix.of(rows);
        KMeansResult r = new KMeans(new ReferenceBackend(), new KMeansConfig(3, 20, 1e-6, 0L)).fit(x);
        assertEquals(0.0, r.inertia(), 0.0);
        assertNearest(x, r, true);
    }

    @Test
    void kEqualsNPutsEveryRowInItsOwnCluster() {
        FloatMatrix x = uniform(9, 3, 2L);
        KMeansResult r = new KMeans(new ReferenceBackend(), KMeansConfig.of(9)).fit(x);
        assertEquals(9, Arrays.stream(r.assignments()).distinct().count());
        assertEquals(0.0, r.inertia(), 1e-12);
    }

    @Test
    void fewerRowsThanClustersIsRejectedNamingBoth() {
        FloatMatrix x = uniform(4, 3, 1L);
        String message = assertThrows(IllegalArgumentException.class,
                () -> new KMeans(new ReferenceBackend(), KMeansConfig.of(5)).fit(x)).getMessage();
        assertTrue(message.contains("4 rows") && message.contains("k=5"), message);
        assertFalse(message.contains("\n"));
    }
}
