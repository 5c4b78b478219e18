package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.util.SizeEstimator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/**
 * What Spark's memory store charges a cached partition of features: {@link SizeEstimator}, the
 * estimator it uses for deserialized blocks, puts a partition at about what it holds on the heap,
 * whatever the executor's shared cache of drawn feature maps holds. Before, the partition held
 * its {@link FeatureMaps} (and the backend), and every partition was charged the whole cache of
 * drawn maps again: 100 rows at d = 384, D = 1,024 (153,600 bytes of rows) were put at about
 * 6.3 MB with 4 maps drawn. Built outside Spark (no task: no listener), at the sizes measured.
 */
class FeatureChunksSizeTest {

    private static final int DIM = 384;
    private static final int FEATURES = 1024;
    /** Ten labels; the partition holds labels 0 and 1, 50 rows each, in blocks of 25. */
    private static final int LABELS = 10;
    private static final int ROWS = 50;
    private static final int BLOCK = 25;
    private static final long ROW_BYTES = 4L * 2 * ROWS * DIM;

    private SavedProperty budgetBefore;
    private FeatureMaps maps;
    private RowBlocks grid;
    private KernelBackend backend;

    @BeforeEach
    void setUp() {
        budgetBefore = SavedProperty.featureBudget();
        double[] sigma = new double[LABELS];
        long[] seed = new long[LABELS];
        for (int l = 0; l < LABELS; l++) {
            sigma[l] = 2 + l;
            seed[l] = 300 + l;
        }
        maps = new FeatureMaps(DIM, FEATURES, sigma, seed);
        int[] rows = new int[LABELS];
        Arrays.fill(rows, ROWS);
        grid = RowBlocks.of(rows, l -> BLOCK, 4);
        backend = KernelBackends.create("reference");
    }

    @AfterEach
    void restore() {
        backend.close();
        budgetBefore.restore();
    }

    /** Labels 0 and 1's rows, keyed by block and shuffled, as the partitioner hands them over. */
    private List<Tuple2<Long, IndexedRow>> rows() {
        Random random = new Random(30);
        List<Tuple2<Long, IndexedRow>> out = new ArrayList<>();
        long id = 0;
        for (int l = 0; l < 2; l++) {
            for (int i = 0; i < ROWS; i++) {
                float[] v = new float[DIM];
                for (int k = 0; k < DIM; k++) {
                    v[k] = (float) random.nextGaussian();
                }
                out.add(new Tuple2<>(grid.key(l, i), new IndexedRow(id++, l, i, v)));
            }
        }
        Collections.shuffle(out, random);
        return out;
    }

    /** Draws the first {@code labels} maps into the shared cache (1.5 MB each, within 64 MB). */
    private void draw(int labels) {
        for (int l = 0; l < labels; l++) {
            maps.map(l);
        }
    }

    /**
     * Every block rebuilt (budget 0): the partition holds its rows and a few objects per block.
     * Its estimate is between the rows' bytes and 1.25 times them (the float arrays' headers, the
     * four chunks, the list and the name are about 1 KB; the maps of the partition's two labels,
     * drawn by its products, would be 3 MB), and stays the same once every map is drawn.
     */
    @Test
    void aRebuiltPartitionIsChargedItsRowsWhateverTheMapsCacheHolds() {
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, "0");
        try (FeatureChunks partition = FeatureChunks.build(rows().iterator(), grid, maps, backend,
                -1, 0)) {
            assertEquals(new FeatureKeep(0, 4, 0), partition.keep());
            // The partition's own labels' maps, as its first product draws them.
            draw(2);
            long built = SizeEstimator.estimate(partition);
            draw(LABELS);
            long cacheFull = SizeEstimator.estimate(partition);
            assertTrue(built >= ROW_BYTES && built <= ROW_BYTES * 5 / 4, "estimate " + built
                    + " bytes for " + ROW_BYTES + " bytes of rows");
            assertEquals(built, cacheFull, "estimate with 2 maps drawn, then with all 10");
        }
    }

    /**
     * Every block kept on the reference backend, whose operator holds Phi on the heap in double
     * (8 n D bytes: 819,200 here), and the block its rows (4 n d bytes, 153,600 here: what the
     * partition serializes to when another executor fetches it): the estimate is between the
     * two together and 1.25 times them, and stays the same once every map is drawn. (On nd4j Phi
     * is native memory, which Spark's estimate does not see: {@link ExecutorFeatureBudget}
     * bounds it; the rows are charged there too.)
     */
    @Test
    void aKeptPartitionIsChargedItsHeapFeaturesWhateverTheMapsCacheHolds() {
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, Long.toString(1L << 40));
        long phiBytes = 8L * 2 * ROWS * FEATURES;
        try (FeatureChunks partition = FeatureChunks.build(rows().iterator(), grid, maps, backend,
                -1, 0)) {
            assertEquals(new FeatureKeep(4, 0, 4L * 2 * ROWS * FEATURES), partition.keep());
            // The partition's own labels' maps, as its first product draws them.
            draw(2);
            long built = SizeEstimator.estimate(partition);
            draw(LABELS);
            long cacheFull = SizeEstimator.estimate(partition);
            long heap = phiBytes + ROW_BYTES;
            assertTrue(built >= heap && built <= heap * 5 / 4, "estimate " + built + " bytes for "
                    + phiBytes + " bytes of features and " + ROW_BYTES + " of rows on the heap");
            assertEquals(built, cacheFull, "estimate with 2 maps drawn, then with all 10");
        }
    }
    /**
     * Every block kept on nd4j, whose operator holds Phi in native memory (out of Spark's
     * estimate: {@link ExecutorFeatureBudget} bounds it) and its label's feature map on the heap
     * (d x D floats, 1,572,864 bytes here, to reload from): the partition is charged its rows and
     * its operators' own heap (per block a few float arrays of n_b and D entries and ND4J's view
     * objects: under 16 KiB), not its labels' maps, which are the executor's, one per label,
     * shared with its other partitions and the maps' cache. Before, the two maps were charged.
     *
     * <p>Any walk of an nd4j operator also reaches JavaCPP's list of every live native
     * allocation in the JVM (through each pointer's deallocator, 88 bytes an allocation), which
     * is not the partition's either and which this change leaves in (see docs/RELIABILITY.md,
     * helper spark32): the bound adds what that list weighs now, measured as a one-row
     * operator's walk less its map, taken after the partition was built and before it is
     * estimated (the list only shrinks in between: nothing else allocates here).
     */
    @Test
    void anNd4jKeptPartitionIsChargedItsHeapButNotItsLabelsMaps() {
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, Long.toString(1L << 40));
        long mapBytes = 4L * DIM * FEATURES;
        try (KernelBackend nd4j = KernelBackends.create("nd4j");
                FeatureChunks partition = FeatureChunks.build(rows().iterator(), grid, maps, nd4j,
                        -1, 0)) {
            assertEquals(new FeatureKeep(4, 0, 4L * 2 * ROWS * FEATURES), partition.keep());
            draw(2);
            long sharedList;
            try (io.synalign.kernels.FeatureOperator probe = nd4j.fourierFeatureOperator(
                    new io.synalign.kernels.FloatMatrix(1, DIM, new float[DIM]), maps.map(0))) {
                sharedList = SizeEstimator.estimate(probe) - SizeEstimator.estimate(maps.map(0));
                long built = SizeEstimator.estimate(partition);
                draw(LABELS);
                long cacheFull = SizeEstimator.estimate(partition);
                long bound = ROW_BYTES * 5 / 4 + 4 * 16_384 + sharedList;
                assertTrue(SizeEstimator.estimate(maps.map(0)) >= mapBytes, "a map's estimate");
                assertTrue(built >= ROW_BYTES && built <= bound, "estimate " + built
                        + " bytes for " + ROW_BYTES + " bytes of rows (at most " + bound
                        + ", of which JavaCPP's list and a probe operator " + sharedList
                        + "; one map is " + mapBytes + ")");
                assertEquals(built, cacheFull, "estimate with 2 maps drawn, then with all 10");
            }
        }
    }
}
