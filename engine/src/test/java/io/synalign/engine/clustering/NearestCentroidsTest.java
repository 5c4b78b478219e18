package io.synalign.engine.clustering;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NearestCentroidsTest {

    @Test
    void tiesGoToTheLowestCentroidAndEveryTileHeightAgrees() {
        // Rows at 0, 2, -2, 1, 5 (index order); centroids at 1, -1, 3, 1.
        FloatMatrix x = FloatMatrix.of(new double[][] {{0}, {2}, {-2}, {1}, {5}});
        FloatMatrix centroids = FloatMatrix.of(new double[][] {{1}, {-1}, {3}, {1}});
        // Row 0 ties centroids 0 and 1 (and 3): 0. Row 1 ties 0, 2, 3: 0. Row 3 ties 0 and 3: 0.
        int[] expectedLabels = {0, 0, 1, 0, 2};
        float[] expectedDistances = {1, 1, 1, 0, 4};
        for (int tile = 1; tile <= 6; tile++) {
            NearestCentroids assigner = new NearestCentroids(new ReferenceBackend(), x, 4, tile);
            int[] labels = new int[5];
            Arrays.fill(labels, -1);
            float[] distances = new float[5];
            assertEquals(5, assigner.assign(centroids, labels, distances), "tile " + tile);
            assertArrayEquals(expectedLabels, labels, "tile " + tile);
            assertArrayEquals(expectedDistances, distances, "tile " + tile);
            assertEquals(0, assigner.assign(centroids, labels, distances), "tile " + tile);
        }
    }
}
