package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.labelled.LabelMode;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * The job summary's {@code feature_blocks} says whether the features were kept through the fit,
 * not only what the set-up built: {@code partitions} (built by the set-up) and
 * {@code partition_rebuilds} (partition builds after it). A fit whose feature partitions Spark
 * does not cache ({@code StorageLevel.NONE}, as on executors without storage memory) builds
 * every partition again in every pass, though the set-up's {@code kept} says its blocks were
 * kept; a cached fit builds none again. Local mode, the reference backend.
 */
class FeatureRebuildsSummaryTest {

    private static final int BLOCK_PARTITIONS = 3;

    @Test
    void aFitWhosePartitionsAreNotCachedReportsARebuildOfEveryPartitionInEveryPass() {
        Map<?, ?> blocks = featureBlocks(StorageLevel.NONE());
        long partitions = number(blocks, "partitions");
        long passes = number(blocks, "passes");
        assertTrue(partitions >= 1 && partitions <= BLOCK_PARTITIONS, blocks.toString());
        assertTrue(passes > 2, "the fit ran some product rounds: " + blocks);
        assertTrue(number(blocks, "kept") > 0,
                "the set-up's build kept blocks (what the summary showed alone): " + blocks);
        assertEquals(partitions * passes, number(blocks, "partition_rebuilds"),
                "every partition built again in every pass (the first product's included): "
                        + blocks);
    }

    @Test
    void aFitWhosePartitionsStayCachedReportsNoRebuild() {
        Map<?, ?> blocks = featureBlocks(StorageLevel.MEMORY_ONLY());
        assertTrue(number(blocks, "partitions") >= 1, blocks.toString());
        assertEquals(0L, number(blocks, "partition_rebuilds"),
                "nothing built after the set-up while Spark keeps the partitions: " + blocks);
    }

    private static long number(Map<?, ?> blocks, String key) {
        Object v = blocks.get(key);
        assertTrue(v instanceof Number, "feature_blocks has no number " + key + ": " + blocks);
        return ((Number) v).longValue();
    }

    /** The summary's {@code feature_blocks} of a small fit, with its {@code passes} added. */
    @SuppressWarnings("unchecked")
    private static Map<?, ?> featureBlocks(StorageLevel storage) {
        Random random = new Random(41);
        SparkWeightLearnerTest.Rows real = SparkWeightLearnerTest.rows(random, 4, 0.0,
                "a", 23, "b", 19);
        SparkWeightLearnerTest.Rows synthetic = SparkWeightLearnerTest.rows(random, 4, 1.5,
                "a", 60, "b", 45);
        AlignmentConfig config = SparkWeightLearnerTest.config(32, 20, 7);
        JavaSparkContext sc = TestSpark.context();
        JavaRDD<EmbeddedRecord> r = sc.parallelize(real.records(true), 2);
        JavaRDD<EmbeddedRecord> s = sc.parallelize(synthetic.records(true), 2);
        LabelGroups groups = LabelGroups.of(LabelMode.PER_LABEL, true, RowIndexer.count(r),
                RowIndexer.count(s), config.seed());
        JavaRDD<IndexedRow> ri = RowIndexer.index(r, groups).persist(StorageLevel.MEMORY_ONLY());
        JavaRDD<IndexedRow> si = RowIndexer.index(s, groups).persist(StorageLevel.MEMORY_ONLY());
        try {
            SparkAlignmentResult result = new SparkWeightLearner(sc, new SparkAlignmentConfig(
                    config, LabelMode.PER_LABEL, "reference", BLOCK_PARTITIONS), storage)
                    .fit(groups, ri, si);
            Map<String, Object> doc = JobSummary.document(
                    new SynAlignSparkJob.Outcome(result, 105, null));
            Map<String, Object> blocks = new java.util.LinkedHashMap<>(
                    (Map<String, Object>) doc.get("feature_blocks"));
            blocks.put("passes", doc.get("passes"));
            return blocks;
        } finally {
            ri.unpersist();
            si.unpersist();
        }
    }
}
