package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.synalign.engine.alignment.MmdWeightLearner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * The warning that a partition of the features was not cached is said once per RDD of each
 * application, not once per RDD id of the JVM: RDD ids restart with each {@code SparkContext},
 * so a second context's features (the same id: the same steps from a fresh context) were
 * warned about by the first's and went unsaid. Two successive fresh local contexts in this JVM
 * (the module's shared one is restarted, and left running after), each building the same
 * uncached features ({@code StorageLevel.NONE}); the log of {@link FeatureChunks} captured by
 * an appender on its Log4j logger.
 */
class UncachedWarningPerContextTest {

    private static final int DIM = 3;
    private static final int FEATURES = 8;
    private static final int[] ROWS = {20, 11};

    @Test
    void eachContextIsWarnedOnceAboutItsUncachedFeatures() {
        String budgetBefore = System.getProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY);
        // Room for every block: the warning is of a partition that keeps some.
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, Long.toString(1L << 20));
        Logger logger = (Logger) LogManager.getLogger(FeatureChunks.class);
        Captured captured = new Captured();
        captured.start();
        logger.addAppender(captured);
        try {
            List<String> applications = new ArrayList<>();
            List<Integer> rddIds = new ArrayList<>();
            for (int context = 0; context < 2; context++) {
                TestSpark.restart(); // a fresh context: RDD ids from 0
                JavaSparkContext sc = TestSpark.context();
                applications.add(sc.sc().applicationId());
                int before = captured.warnings().size();
                int rddId = buildUncachedTwice(sc);
                rddIds.add(rddId);
                List<String> all = captured.warnings();
                List<String> said = all.subList(before, all.size());
                assertEquals(1, said.stream().filter(m -> m.contains("rdd_" + rddId + "_")
                        && m.contains("were not cached")).count(),
                        "context " + (context + 1) + " (" + applications.get(context)
                                + "), features rdd " + rddId + ": one warning; said: " + said);
            }
            assertEquals(rddIds.get(0), rddIds.get(1),
                    "the test's premise: both contexts' features have the same RDD id");
            assertNotEquals(applications.get(0), applications.get(1), "two applications");
        } finally {
            logger.removeAppender(captured);
            captured.stop();
            if (budgetBefore == null) {
                System.clearProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY);
            } else {
                System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, budgetBefore);
            }
        }
    }

    /** Uncached features set up and used in one product (three partitions, built twice). */
    private static int buildUncachedTwice(JavaSparkContext sc) {
        Random random = new Random(31);
        List<IndexedRow> rows = new ArrayList<>();
        long id = 0;
        for (int l = 0; l < ROWS.length; l++) {
            for (int i = 0; i < ROWS[l]; i++) {
                float[] v = new float[DIM];
                for (int k = 0; k < DIM; k++) {
                    v[k] = (float) random.nextGaussian();
                }
                rows.add(new IndexedRow(id++, l, i, v));
            }
        }
        Collections.shuffle(rows, random);
        FeatureMaps maps = new FeatureMaps(DIM, FEATURES, new double[] {1.0, 1.5},
                new long[] {3, 4});
        RowBlocks grid = RowBlocks.of(ROWS, l -> 6, 3);
        try (DistributedFeatureProducts products = new DistributedFeatureProducts(sc,
                sc.parallelize(rows, 2), maps, grid, "reference", StorageLevel.NONE())) {
            double[][] w = {new double[ROWS[0]], new double[ROWS[1]]};
            products.transposeTimes(w);
            return products.rddId();
        }
    }

    /** The WARN and higher events' messages, in order. */
    private static final class Captured extends AbstractAppender {

        private final List<String> warnings = Collections.synchronizedList(new ArrayList<>());

        Captured() {
            super("synalign-uncached-warning-test", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public void append(LogEvent event) {
            if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                warnings.add(event.getMessage().getFormattedMessage());
            }
        }

        List<String> warnings() {
            synchronized (warnings) {
                return new ArrayList<>(warnings);
            }
        }
    }
}
