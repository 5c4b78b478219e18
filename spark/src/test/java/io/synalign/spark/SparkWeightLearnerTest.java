package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.FeatureCentre;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackends;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.engine.labelled.LabelledAlignment;
import io.synalign.engine.labelled.LabelledAlignmentResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * The Spark learner against the single-machine per-label rff alignment (engine
 * {@code MmdWeightLearner} under the CLI's {@code LabelledAlignment}), both on the double-precision
 * reference backend.
 */
class SparkWeightLearnerTest {

    private static final String BACKEND = "reference";

    /** Rows with labels and a per-label shift, so that each label has its own distribution. */
    record Rows(List<String> labels, FloatMatrix vectors) {
        List<EmbeddedRecord> records(boolean labelled) {
            List<EmbeddedRecord> out = new ArrayList<>();
            int d = vectors.cols();
            for (int i = 0; i < vectors.rows(); i++) {
                float[] v = new float[d];
                System.arraycopy(vectors.data(), i * d, v, 0, d);
                out.add(new EmbeddedRecord(labelled ? labels.get(i) : null, v));
            }
            return out;
        }
    }

    static Rows rows(Random random, int d, double shift, Object... labelCounts) {
        List<String> labels = new ArrayList<>();
        for (int k = 0; k < labelCounts.length; k += 2) {
            for (int i = 0; i < (Integer) labelCounts[k + 1]; i++) {
                labels.add((String) labelCounts[k]);
            }
        }
        java.util.Collections.shuffle(labels, random);
        float[] data = new float[labels.size() * d];
        for (int i = 0; i < labels.size(); i++) {
            int h = Math.floorMod(labels.get(i).hashCode(), 5);
            for (int j = 0; j < d; j++) {
                data[i * d + j] = (float) (random.nextGaussian() + (j == h % d ? 1.5 : 0)
                        + shift * (j == 0 ? 1 : 0) * random.nextDouble());
            }
        }
        return new Rows(labels, new FloatMatrix(labels.size(), d, data));
    }

    static AlignmentConfig config(int features, int iterations, long seed) {
        return AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF).withFeatures(features)
                .withIterations(iterations, 1e-6).withMaxWeightRatio(5).withSeed(seed)
                .withBandwidth(Bandwidth.auto());
    }

    static LabelledAlignmentResult singleMachine(LabelMode mode, AlignmentConfig config,
            Rows real, Rows synthetic, boolean labelled) {
        return singleMachine(mode, config, real, synthetic, labelled, BACKEND);
    }

    static LabelledAlignmentResult singleMachine(LabelMode mode, AlignmentConfig config,
            Rows real, Rows synthetic, boolean labelled, String backendName) {
        LabelPlan plan = LabelPlan.of(mode, labelled ? real.labels() : null, real.labels().size(),
                labelled ? synthetic.labels() : null, synthetic.labels().size());
        try (var backend = KernelBackends.create(backendName)) {
            LabelledAlignment alignment = new LabelledAlignment((c, r, s, p) ->
                    new MmdWeightLearner(backend, c).fit(r, s, p), config);
            return alignment.align(plan, real.vectors(), synthetic.vectors(), null);
        }
    }

    /** Runs the Spark learner; returns the weights in global synthetic row order. */
    static double[] spark(LabelMode mode, AlignmentConfig config, Rows real, Rows synthetic,
            boolean labelled, int partitions, SparkAlignmentResult[] resultOut) {
        return spark(mode, config, real, synthetic, labelled, partitions, 2, BACKEND, resultOut);
    }

    /**
     * @param partitions partitions of the input
     * @param blockPartitions the learner's {@code partitions} setting
     */
    static double[] spark(LabelMode mode, AlignmentConfig config, Rows real, Rows synthetic,
            boolean labelled, int partitions, int blockPartitions, String backendName,
            SparkAlignmentResult[] resultOut) {
        JavaSparkContext sc = TestSpark.context();
        JavaRDD<EmbeddedRecord> r = sc.parallelize(real.records(labelled), partitions);
        JavaRDD<EmbeddedRecord> s = sc.parallelize(synthetic.records(labelled), partitions);
        LabelGroups groups = LabelGroups.of(mode, labelled, RowIndexer.count(r),
                RowIndexer.count(s), config.seed());
        JavaRDD<IndexedRow> ri = RowIndexer.index(r, groups).persist(StorageLevel.MEMORY_ONLY());
        JavaRDD<IndexedRow> si = RowIndexer.index(s, groups).persist(StorageLevel.MEMORY_ONLY());
        try {
            SparkAlignmentResult result = new SparkWeightLearner(sc,
                    new SparkAlignmentConfig(config, mode, backendName, blockPartitions))
                    .fit(groups, ri, si);
            if (resultOut != null) {
                resultOut[0] = result;
            }
            double[] w = new double[synthetic.labels().size()];
            for (Map.Entry<Long, Double> e : result.weightsByRow(si).collectAsMap().entrySet()) {
                w[(int) (long) e.getKey()] = e.getValue();
            }
            return w;
        } finally {
            ri.unpersist();
            si.unpersist();
        }
    }

    /** Per label, the largest difference relative to the label's largest weight. */
    static void assertSameWeights(double[] expected, double[] actual, List<String> labels,
            double tolerance) {
        Map<String, double[]> worst = new java.util.HashMap<>();
        for (int i = 0; i < expected.length; i++) {
            double[] w = worst.computeIfAbsent(labels.get(i), k -> new double[2]);
            w[0] = Math.max(w[0], Math.abs(expected[i] - actual[i]));
            w[1] = Math.max(w[1], Math.abs(expected[i]));
        }
        for (Map.Entry<String, double[]> e : worst.entrySet()) {
            double[] w = e.getValue();
            assertTrue(w[0] <= tolerance * w[1], "label " + e.getKey() + ": max difference "
                    + w[0] + " against max weight " + w[1]);
        }
    }

    @Test
    void perLabelWeightsEqualTheSingleMachineRffWeights() {
        Random random = new Random(7);
        int d = 5;
        // Awkward sizes; "c" has a single real row, "x" no synthetic rows, "z" no real rows.
        Rows real = rows(random, d, 0.0, "a", 37, "b", 53, "c", 1, "x", 11);
        Rows synthetic = rows(random, d, 2.0, "a", 257, "b", 129, "c", 7, "z", 5);
        AlignmentConfig config = config(64, 200, 11);
        double[] expected = singleMachine(LabelMode.PER_LABEL, config, real, synthetic, true)
                .weights();
        SparkAlignmentResult[] result = new SparkAlignmentResult[1];
        double[] actual = spark(LabelMode.PER_LABEL, config, real, synthetic, true, 3, result);
        assertSameWeights(expected, actual, synthetic.labels(), 1e-5);
        double sum = 0;
        for (int i = 0; i < actual.length; i++) {
            sum += actual[i];
            if (synthetic.labels().get(i).equals("z")) {
                assertEquals(0.0, actual[i], "rows of a label the real set lacks get 0");
            }
        }
        assertEquals(1.0, sum, 1e-12);
        // The weights moved away from uniform: the fit did something.
        double spread = 0;
        for (double w : actual) {
            spread = Math.max(spread, w);
        }
        assertTrue(spread > 1.5 / actual.length, "max weight " + spread);
        // Labels optimised in lockstep: the passes are one for the linear terms plus two per
        // product round of the label needing the most products, not the sum over labels.
        int most = result[0].fits().stream().mapToInt(LabelFit::products).max().orElseThrow();
        int total = result[0].fits().stream().mapToInt(LabelFit::products).sum();
        assertEquals(1 + 2 * most, result[0].passes());
        assertTrue(most < total, "more than one label fitted");
    }

    /**
     * Partition invariance on the default backend (float32 features on nd4j): the same input in
     * 1, 2, 7 and 16 partitions, and its row blocks over 1 to 5 partitions, gives the same
     * weights to the last bit, equal to the single machine's; the chunk size is forced small so
     * that every label spans several blocks, with a ragged last one.
     */
    @Test
    void weightsAreIdenticalForAnyPartitioningAndEqualTheSingleMachineOnTheDefaultBackend() {
        String property = "synalign.rff.chunkRows";
        String before = System.getProperty(property);
        System.setProperty(property, "37");
        try {
            Random random = new Random(19);
            Rows real = rows(random, 6, 0.0, "a", 29, "b", 17, "c", 41);
            Rows synthetic = rows(random, 6, 2.0, "a", 211, "b", 97, "c", 150);
            AlignmentConfig config = config(64, 80, 13);
            String backend = KernelBackends.AUTO;
            double[] single = singleMachine(LabelMode.PER_LABEL, config, real, synthetic, true,
                    backend).weights();
            double[] first = null;
            for (int[] p : new int[][] {{1, 1}, {2, 0}, {7, 3}, {7, 5}, {16, 0}}) {
                double[] w = spark(LabelMode.PER_LABEL, config, real, synthetic, true, p[0], p[1],
                        backend, null);
                if (first == null) {
                    first = w;
                } else {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(first, w, 0.0,
                            p[0] + " input partitions, " + p[1] + " block partitions");
                }
            }
            assertSameWeights(single, first, synthetic.labels(), 1e-12); // measured: 2.2e-16
            double spread = 0;
            for (double w : first) {
                spread = Math.max(spread, w);
            }
            assertTrue(spread > 1.5 / first.length, "the fit moved the weights: " + spread);
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    /**
     * Executors that build their blocks from pieces of 5 rows (the heap seam
     * {@code -Dsynalign.rff.heapBytes} makes 1/16 of the heap 5 rows of d = 6; local mode, so
     * the single machine reads in such pieces too) give the weights of executors that hand each
     * block over in one piece (no seam: 1/16 of this JVM's heap holds a whole 37-row block), bit
     * for bit, on the reference and the default backend, and the single machine's within 1e-12
     * of each label's largest weight, as the test above (helper sparkblock35). Blocks of 37 rows
     * (forced) in pieces of 5: a ragged last piece in every block. Passes on the old code too
     * (it ignored the seam on executors): a guard on the bits of the pieces build end to end;
     * {@link FeatureChunksPiecesTest} shows the pieces are taken.
     */
    @Test
    void weightsAreTheSameBitsWhenExecutorsBuildBlocksFromSmallPieces() {
        String chunk = "synalign.rff.chunkRows";
        String heap = "synalign.rff.heapBytes";
        String chunkBefore = System.getProperty(chunk);
        String heapBefore = System.getProperty(heap);
        System.setProperty(chunk, "37");
        try {
            Random random = new Random(35);
            Rows real = rows(random, 6, 0.0, "a", 29, "b", 17);
            Rows synthetic = rows(random, 6, 2.0, "a", 211, "b", 97);
            AlignmentConfig config = config(64, 60, 17);
            for (String backend : new String[] {"reference", KernelBackends.AUTO}) {
                System.clearProperty(heap);
                double[] whole = spark(LabelMode.PER_LABEL, config, real, synthetic, true, 3, 2,
                        backend, null);
                System.setProperty(heap, Long.toString(16L * 4 * 6 * 5));
                double[] pieces = spark(LabelMode.PER_LABEL, config, real, synthetic, true, 3, 2,
                        backend, null);
                double[] single = singleMachine(LabelMode.PER_LABEL, config, real, synthetic,
                        true, backend).weights();
                assertArrayEquals(whole, pieces, 0.0, backend + ": blocks in pieces of 5 rows");
                assertSameWeights(single, pieces, synthetic.labels(), 1e-12);
                double spread = 0;
                for (double w : pieces) {
                    spread = Math.max(spread, w);
                }
                assertTrue(spread > 1.5 / pieces.length, "the fit moved the weights: " + spread);
            }
        } finally {
            for (String[] p : new String[][] {{chunk, chunkBefore}, {heap, heapBefore}}) {
                if (p[1] == null) {
                    System.clearProperty(p[0]);
                } else {
                    System.setProperty(p[0], p[1]);
                }
            }
        }
    }

    /** {@code rows} with {@code offset.get(label)} added to every coordinate of its rows. */
    static Rows offset(Rows rows, Map<String, Double> offset) {
        int d = rows.vectors().cols();
        float[] data = rows.vectors().data().clone();
        for (int i = 0; i < rows.labels().size(); i++) {
            double by = offset.getOrDefault(rows.labels().get(i), 0.0);
            for (int j = 0; j < d; j++) {
                data[i * d + j] = (float) (data[i * d + j] + by);
            }
        }
        return new Rows(rows.labels(), new FloatMatrix(rows.labels().size(), d, data));
    }

    /** The real rows of {@code label} in input order, as the single machine's per-label fit gets them. */
    static FloatMatrix rowsOf(Rows rows, String label) {
        int d = rows.vectors().cols();
        List<float[]> picked = new ArrayList<>();
        for (int i = 0; i < rows.labels().size(); i++) {
            if (rows.labels().get(i).equals(label)) {
                float[] v = new float[d];
                System.arraycopy(rows.vectors().data(), i * d, v, 0, d);
                picked.add(v);
            }
        }
        float[] data = new float[picked.size() * d];
        for (int i = 0; i < picked.size(); i++) {
            System.arraycopy(picked.get(i), 0, data, i * d, d);
        }
        return new FloatMatrix(picked.size(), d, data);
    }

    /**
     * Rows far from the origin, where the single machine centres its maps ({@link
     * FeatureCentre}): label "a" has every coordinate + 1,000, "b" + 10,000 with 6 real rows
     * (fewer than {@value FeatureCentre#SAMPLE_ROWS}, an even count: the lower median), "near"
     * none. One run on the default backend (float32 phases on nd4j): the Spark weights equal the
     * single machine's within 1e-12 of each label's largest weight, as at the origin; each
     * label's centre is {@code FeatureCentre.choose} over its first real rows in input order with
     * its bandwidth, and "near" stays uncentred. Measured: 2.6e-16, 1.9e-16 and 3.0e-16 (a, b,
     * near). Without the centres (the Spark maps uncentred, the code before them) a was 6.8e-4
     * and b 4.8e-3 off, near still 3.0e-16. Global mode, every row + 1,000 (one map, its centre
     * from the input's first real rows), likewise: 0 (3.6e-4 without the centres).
     */
    @Test
    void rowsFarFromTheOriginGetTheSingleMachinesCentresAndWeights() {
        Random random = new Random(43);
        int d = 7;
        Map<String, Double> far = Map.of("a", 1_000.0, "b", 10_000.0);
        Rows real = offset(rows(random, d, 0.0, "a", 37, "b", 6, "near", 23), far);
        Rows synthetic = offset(rows(random, d, 2.0, "a", 211, "b", 97, "near", 150), far);
        AlignmentConfig config = config(64, 80, 29);
        String backend = KernelBackends.AUTO;
        double[] single = singleMachine(LabelMode.PER_LABEL, config, real, synthetic, true,
                backend).weights();

        JavaSparkContext sc = TestSpark.context();
        JavaRDD<EmbeddedRecord> r = sc.parallelize(real.records(true), 3);
        JavaRDD<EmbeddedRecord> s = sc.parallelize(synthetic.records(true), 3);
        LabelGroups groups = LabelGroups.of(LabelMode.PER_LABEL, true, RowIndexer.count(r),
                RowIndexer.count(s), config.seed());
        JavaRDD<IndexedRow> ri = RowIndexer.index(r, groups).persist(StorageLevel.MEMORY_ONLY());
        JavaRDD<IndexedRow> si = RowIndexer.index(s, groups).persist(StorageLevel.MEMORY_ONLY());
        try {
            SparkWeightLearner learner = new SparkWeightLearner(sc,
                    new SparkAlignmentConfig(config, LabelMode.PER_LABEL, backend, 2));
            SparkAlignmentResult result = learner.fit(groups, ri, si);
            double[] actual = new double[synthetic.labels().size()];
            for (Map.Entry<Long, Double> e : result.weightsByRow(si).collectAsMap().entrySet()) {
                actual[(int) (long) e.getKey()] = e.getValue();
            }
            assertSameWeights(single, actual, synthetic.labels(), 1e-12);
            double spread = 0;
            for (double w : actual) {
                spread = Math.max(spread, w);
            }
            assertTrue(spread > 1.5 / actual.length, "the fit moved the weights: " + spread);

            // The centres the fit took, asked again with the fit's own bandwidths.
            double[] sigma = new double[groups.size()];
            for (int l = 0; l < groups.size(); l++) {
                LabelFit fit = result.fits().get(l);
                assertEquals(groups.labels().get(l), fit.label());
                sigma[l] = fit.fitted() ? fit.bandwidth() : 0;
            }
            long[] counts = new long[groups.size()];
            for (int l = 0; l < groups.size(); l++) {
                counts[l] = groups.realRows(l);
            }
            float[][] centres = learner.centres(ri, sigma, counts);
            for (String label : List.of("a", "b", "near")) {
                int l = groups.labels().indexOf(label);
                FloatMatrix rows = rowsOf(real, label);
                float[] want = FeatureCentre.choose(rows, sigma[l]);
                // What the summary reports (rff_centred): the map the fit took.
                assertEquals(!label.equals("near"), result.fits().get(l).centred(),
                        "label " + label + "'s fit says whether its map was centred");
                if (label.equals("near")) {
                    assertNull(want, "the single machine does not centre label near");
                    assertNull(centres[l], "label near stays uncentred");
                } else {
                    assertNotNull(want, "the single machine centres label " + label);
                    assertArrayEquals(want, centres[l], "label " + label);
                }
            }
        } finally {
            ri.unpersist();
            si.unpersist();
        }
        // Global mode (every row + 1,000): one map over all rows, centred at the first real
        // rows of the input. (On the rows above the pooled bandwidth is too wide to centre.)
        Map<String, Double> all = Map.of("a", 1_000.0, "b", 1_000.0);
        Rows globalReal = offset(rows(random, d, 0.0, "a", 41, "b", 20), all);
        Rows globalSynthetic = offset(rows(random, d, 1.0, "a", 90, "b", 33), all);
        double[] global = singleMachine(LabelMode.GLOBAL, config, globalReal, globalSynthetic,
                true, backend).weights();
        double[] sparkGlobal = spark(LabelMode.GLOBAL, config, globalReal, globalSynthetic, true,
                3, 2, backend, null);
        assertSameWeights(global, sparkGlobal, java.util.Collections.nCopies(global.length,
                "all"), 1e-12);
        double moved = 0;
        for (double w : sparkGlobal) {
            moved = Math.max(moved, w);
        }
        assertTrue(moved > 1.5 / sparkGlobal.length, "the global fit moved the weights: " + moved);
    }

    @Test
    void globalAndUnlabelledWeightsEqualTheSingleMachineRffWeights() {
        Random random = new Random(3);
        Rows real = rows(random, 3, 0.0, "a", 41, "b", 20);
        Rows synthetic = rows(random, 3, 1.0, "a", 90, "b", 33);
        AlignmentConfig config = config(32, 30, 5).withBandwidth(Bandwidth.of(1.7));
        for (boolean labelled : new boolean[] {true, false}) {
            double[] expected = singleMachine(LabelMode.GLOBAL, config, real, synthetic,
                    labelled).weights();
            double[] actual = spark(LabelMode.GLOBAL, config, real, synthetic, labelled, 4,
                    null);
            List<String> one = java.util.Collections.nCopies(actual.length, "all");
            assertSameWeights(expected, actual, one, 1e-5);
        }
    }

    @Test
    void largeJobCompletesAndMatchesTheSingleMachineRff() {
        // 200,000 synthetic rows of precomputed random embeddings (d = 4, D = 32), two labels,
        // generated on the executors (not shipped with every task) from (side, row index).
        int n = 200_000;
        int m = 4_000;
        int d = 4;
        AlignmentConfig config = config(32, 15, 2);
        JavaSparkContext sc = TestSpark.context();
        JavaRDD<EmbeddedRecord> r = GeneratedRows.rdd(sc, 1, m, d, 0.0, 4);
        JavaRDD<EmbeddedRecord> s = GeneratedRows.rdd(sc, 2, n, d, 1.0, 4);
        LabelGroups groups = LabelGroups.of(LabelMode.PER_LABEL, true, RowIndexer.count(r),
                RowIndexer.count(s), config.seed());
        JavaRDD<IndexedRow> ri = RowIndexer.index(r, groups).persist(StorageLevel.MEMORY_ONLY());
        JavaRDD<IndexedRow> si = RowIndexer.index(s, groups).persist(StorageLevel.MEMORY_ONLY());
        SparkAlignmentResult result = new SparkWeightLearner(sc,
                new SparkAlignmentConfig(config, LabelMode.PER_LABEL, BACKEND, 2))
                .fit(groups, ri, si);
        double[] actual = new double[n];
        for (Map.Entry<Long, Double> e : result.weightsByRow(si).collectAsMap().entrySet()) {
            actual[(int) (long) e.getKey()] = e.getValue();
        }
        ri.unpersist();
        si.unpersist();
        Rows real = GeneratedRows.local(1, m, d, 0.0);
        Rows synthetic = GeneratedRows.local(2, n, d, 1.0);
        double[] expected = singleMachine(LabelMode.PER_LABEL, config, real, synthetic, true)
                .weights();
        assertSameWeights(expected, actual, synthetic.labels(), 1e-5);
        for (LabelFit fit : result.fits()) {
            assertTrue(fit.mmd2Weighted() < fit.mmd2Uniform(), fit.toString());
        }
    }

    @Test
    void perLabelWithoutSharedLabelsIsRejected() {
        Map<String, LabelGroups.Count> real = Map.of("a", new LabelGroups.Count(3, 0));
        Map<String, LabelGroups.Count> synthetic = Map.of("b", new LabelGroups.Count(4, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LabelGroups.of(LabelMode.PER_LABEL, true, real, synthetic, 0));
        assertTrue(e.getMessage().contains("no synthetic record has a label of the real set"));
    }

    /**
     * Broadcast variables of the code's own making that the driver still holds: Spark's task
     * binaries (byte arrays, one per stage, freed by the ContextCleaner after a GC) left out.
     */
    static long liveBroadcasts() {
        org.apache.spark.storage.BlockManager manager =
                org.apache.spark.SparkEnv.get().blockManager();
        scala.collection.Iterator<org.apache.spark.storage.BlockId> it =
                manager.getMatchingBlockIds(id -> id.isBroadcast()).iterator();
        long live = 0;
        while (it.hasNext()) {
            org.apache.spark.storage.BlockId id = it.next();
            if (id instanceof org.apache.spark.storage.BroadcastBlockId b && b.field().isEmpty()) {
                scala.Option<scala.collection.Iterator<Object>> values =
                        manager.memoryStore().getValues(id);
                if (values.isDefined() && values.get().hasNext()
                        && !(values.get().next() instanceof byte[])) {
                    live++;
                }
            }
        }
        return live;
    }

    @Test
    void aFitLeavesNoBroadcastOrCachedBlockBehind() throws InterruptedException {
        Random random = new Random(21);
        Rows real = rows(random, 3, 0.0, "a", 30, "b", 12);
        Rows synthetic = rows(random, 3, 1.0, "a", 45, "b", 20);
        JavaSparkContext sc = TestSpark.context();
        JavaRDD<EmbeddedRecord> r = sc.parallelize(real.records(true), 3);
        JavaRDD<EmbeddedRecord> s = sc.parallelize(synthetic.records(true), 3);
        AlignmentConfig config = config(16, 10, 1);
        LabelGroups groups = LabelGroups.of(LabelMode.PER_LABEL, true, RowIndexer.count(r),
                RowIndexer.count(s), config.seed());
        JavaRDD<IndexedRow> ri = RowIndexer.index(r, groups).persist(StorageLevel.MEMORY_ONLY());
        JavaRDD<IndexedRow> si = RowIndexer.index(s, groups).persist(StorageLevel.MEMORY_ONLY());
        ri.count();
        si.count();
        long broadcasts = liveBroadcasts();
        int cached = sc.getPersistentRDDs().size();
        new SparkWeightLearner(sc, new SparkAlignmentConfig(config, LabelMode.PER_LABEL,
                BACKEND, 2)).fit(groups, ri, si);
        assertEquals(cached, sc.getPersistentRDDs().size(), "the feature blocks unpersisted");
        // destroy() removes the blocks asynchronously: wait (bounded) for them to go.
        for (int i = 0; i < 100 && liveBroadcasts() > broadcasts; i++) {
            Thread.sleep(50);
        }
        assertTrue(liveBroadcasts() <= broadcasts, liveBroadcasts() + " broadcasts live after"
                + " the fit, " + broadcasts + " before");
        ri.unpersist();
        si.unpersist();
    }

    @Test
    void tinyLabelsAndEmptyPartitionsMatchTheSingleMachine() {
        // 8 partitions for 6 synthetic and 4 real rows: most partitions are empty; label "s"
        // has one real and one synthetic row, "t" one synthetic row only.
        Random random = new Random(31);
        Rows real = rows(random, 2, 0.0, "r", 3, "s", 1);
        Rows synthetic = rows(random, 2, 1.0, "r", 4, "s", 1, "t", 1);
        AlignmentConfig config = config(8, 25, 9);
        double[] expected = singleMachine(LabelMode.PER_LABEL, config, real, synthetic, true)
                .weights();
        SparkAlignmentResult[] result = new SparkAlignmentResult[1];
        double[] actual = spark(LabelMode.PER_LABEL, config, real, synthetic, true, 8, result);
        assertSameWeights(expected, actual, synthetic.labels(), 1e-5);
        for (LabelFit fit : result[0].fits()) {
            assertEquals(!fit.label().equals("t"), fit.fitted(), fit.toString());
        }
    }
}
