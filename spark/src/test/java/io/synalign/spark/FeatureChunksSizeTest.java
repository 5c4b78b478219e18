package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FourierFeatures;
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
     * <p>The operators are not walked: each reports its own heap
     * ({@link io.synalign.kernels.FeatureOperator#heapBytes}), so the estimate no longer holds
     * JavaCPP's list of every live native allocation in the JVM, which a walk reaches through
     * each pointer's deallocator (helper spare33; before, the bound here added what that list
     * weighed, measured with a probe operator: helper spark32).
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
            long built = SizeEstimator.estimate(partition);
            draw(LABELS);
            long cacheFull = SizeEstimator.estimate(partition);
            long bound = ROW_BYTES * 5 / 4 + 4 * 16_384;
            assertTrue(SizeEstimator.estimate(maps.map(0)) >= mapBytes, "a map's estimate");
            assertTrue(built >= ROW_BYTES && built <= bound, "estimate " + built + " bytes for "
                    + ROW_BYTES + " bytes of rows (at most " + bound + "; one map is " + mapBytes
                    + ")");
            assertEquals(built, cacheFull, "estimate with 2 maps drawn, then with all 10");
        }
    }

    /**
     * The same nd4j partition's estimate does not move with native allocations that are not
     * its own (10,000 other JavaCPP pointers alive anywhere in the JVM), and stays within 3 % of
     * a walk of its own objects: its name and blocks (rows, operators and all they reach) less
     * its labels' maps and JavaCPP's JVM-wide list of live allocations, which the walk reaches
     * through each pointer's deallocator (weighed here as one of the list's entries walked
     * alone: the list is linked both ways, so that walk is the whole list). Helper spare33:
     * before, the estimate walked the operators, and with that list ("estimate with 10,000
     * other native allocations alive ==> expected: <...> but was: <...>", about 880,000
     * bytes more).
     */
    @Test
    void anNd4jPartitionsEstimateIsItsOwnWhateverElseIsAlive() throws Exception {
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, Long.toString(1L << 40));
        try (KernelBackend nd4j = KernelBackends.create("nd4j");
                FeatureChunks partition = FeatureChunks.build(rows().iterator(), grid, maps, nd4j,
                        -1, 0)) {
            assertEquals(new FeatureKeep(4, 0, 4L * 2 * ROWS * FEATURES), partition.keep());
            draw(2);
            long alone = SizeEstimator.estimate(partition);
            List<org.bytedeco.javacpp.FloatPointer> others = new ArrayList<>();
            long crowded;
            try {
                for (int i = 0; i < 10_000; i++) {
                    others.add(new org.bytedeco.javacpp.FloatPointer(1));
                }
                crowded = SizeEstimator.estimate(partition);
            } finally {
                others.forEach(org.bytedeco.javacpp.FloatPointer::close);
            }
            assertEquals(alone, crowded, "estimate with 10,000 other native allocations alive");

            Object[] shared = {maps.map(0), maps.map(1), javacppList()};
            Object[] own = {field(partition, "name"), field(partition, "chunks"), maps.map(0),
                maps.map(1), shared[2]};
            long walk = SizeEstimator.estimate(own) - SizeEstimator.estimate(shared);
            assertTrue(walk > ROW_BYTES, "the walk of its own objects: " + walk);
            assertTrue(Math.abs(alone - walk) <= 0.03 * walk, "estimate " + alone
                    + " bytes, a walk of the partition's own objects " + walk);
        }
    }

    /**
     * An operator that cannot tell its heap ({@link FeatureOperator#UNKNOWN_HEAP_BYTES}, as a
     * backend from outside this project) is walked, its map taken out: here the reference's
     * operators wrapped in one that holds its map and says nothing. That walk and the reference
     * operators' own count ({@link FeatureOperator#heapBytes}: Phi in double and the shell) put
     * the same partition within 3 % of each other, between its heap (Phi and rows) and 1.25
     * times it, whatever the maps' cache holds.
     */
    @Test
    void anOperatorThatCannotTellItsHeapIsWalkedWithoutItsMap() {
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, Long.toString(1L << 40));
        long heap = 8L * 2 * ROWS * FEATURES + ROW_BYTES;
        KernelBackend silent = (KernelBackend) java.lang.reflect.Proxy.newProxyInstance(
                KernelBackend.class.getClassLoader(), new Class<?>[] {KernelBackend.class},
                (proxy, method, args) -> {
                    Object out;
                    try {
                        out = method.invoke(backend, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    return method.getName().equals("fourierFeatureOperator")
                            ? new Silent((FeatureOperator) out, (FourierFeatures) args[1]) : out;
                });
        try (FeatureChunks walked = FeatureChunks.build(rows().iterator(), grid, maps, silent,
                        -1, 0);
                FeatureChunks counted = FeatureChunks.build(rows().iterator(), grid, maps,
                        backend, -1, 0)) {
            assertEquals(FeatureOperator.UNKNOWN_HEAP_BYTES,
                    ((FeatureOperator) chunkOperator(walked)).heapBytes());
            draw(2);
            long walk = SizeEstimator.estimate(walked);
            long count = SizeEstimator.estimate(counted);
            draw(LABELS);
            assertEquals(walk, SizeEstimator.estimate(walked), "walked, with all 10 maps drawn");
            assertTrue(walk >= heap && walk <= heap * 5 / 4, "walked: " + walk + " for " + heap);
            assertTrue(Math.abs(count - walk) <= 0.03 * walk, "counted " + count + ", walked "
                    + walk);
        }
    }

    /** A feature operator that forwards its products and holds its map, its heap unknown. */
    private static final class Silent implements FeatureOperator {
        private final FeatureOperator inner;
        private final FourierFeatures map;

        Silent(FeatureOperator inner, FourierFeatures map) {
            this.inner = inner;
            this.map = map;
        }

        @Override
        public int rows() {
            return inner.rows();
        }

        @Override
        public int features() {
            return map.features();
        }

        @Override
        public void transposeTimes(double[] w, double[] out) {
            inner.transposeTimes(w, out);
        }

        @Override
        public void times(double[] z, double[] out) {
            inner.times(z, out);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** The first block's operator of a partition. */
    private static Object chunkOperator(FeatureChunks partition) {
        try {
            Object chunk = ((List<?>) field(partition, "chunks")).get(0);
            java.lang.reflect.Method operator = chunk.getClass().getDeclaredMethod("operator");
            operator.setAccessible(true);
            return operator.invoke(chunk);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** A live entry of JavaCPP's list of native allocations (a fresh pointer's deallocator). */
    private static Object javacppList() throws ReflectiveOperationException {
        java.lang.reflect.Field f = org.bytedeco.javacpp.Pointer.class
                .getDeclaredField("deallocator");
        f.setAccessible(true);
        org.bytedeco.javacpp.FloatPointer probe = new org.bytedeco.javacpp.FloatPointer(1);
        Object entry = f.get(probe);
        assertTrue(entry != null, "a JavaCPP allocation without a deallocator");
        LIVE.add(probe); // kept alive (and in the list) until the test class is done
        return entry;
    }

    private static final List<org.bytedeco.javacpp.FloatPointer> LIVE = new ArrayList<>();

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        java.lang.reflect.Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }
}
