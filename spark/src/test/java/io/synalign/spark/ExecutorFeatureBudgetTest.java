package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.kernels.KernelBackends;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The executors' feature budget: the keep rule at its edges, and fits whose blocks are all kept,
 * all rebuilt in every product, or some of each, which must give the same weights to the last
 * bit (a rebuilt block is the same operator from the same rows) and say what they kept.
 */
class ExecutorFeatureBudgetTest {

    @Test
    void aFixedBudgetKeepsBlocksWhileTheyFitBesideTheKeptOnes() {
        assertTrue(ExecutorFeatureBudget.keeps(100, 0, 100L, 0, 4));
        assertTrue(ExecutorFeatureBudget.keeps(40, 60, 100L, 0, 4));
        assertFalse(ExecutorFeatureBudget.keeps(41, 60, 100L, 0, 4));
        assertFalse(ExecutorFeatureBudget.keeps(1, 0, 0L, Long.MAX_VALUE, 1), "0 keeps none");
        assertFalse(ExecutorFeatureBudget.keeps(1, 0, -5L, Long.MAX_VALUE, 1));
    }

    @Test
    void theBackendsBudgetLeavesRoomForEverySlotsRebuiltBlock() {
        // 3 slots: the block kept and one rebuilt per slot, 4 blocks' bytes.
        assertTrue(ExecutorFeatureBudget.keeps(25, 0, null, 100, 3));
        assertFalse(ExecutorFeatureBudget.keeps(26, 0, null, 100, 3));
        assertTrue(ExecutorFeatureBudget.keeps(50, 0, null, 100, 1));
        assertFalse(ExecutorFeatureBudget.keeps(51, 0, null, 100, 1));
        // The backend's answer already counts what is kept: keptSoFar is not subtracted again.
        assertTrue(ExecutorFeatureBudget.keeps(50, 1_000, null, 100, 1));
        assertFalse(ExecutorFeatureBudget.keeps(Long.MAX_VALUE / 2, 0, null, Long.MAX_VALUE, 2),
                "an overflowing need does not fit");
        assertFalse(ExecutorFeatureBudget.keeps(1, 0, null, 0, 1));
    }

    @Test
    void keptRebuiltAndMixedBlocksGiveTheSameWeights() {
        String chunkRows = "synalign.rff.chunkRows";
        String budget = MmdWeightLearner.FEATURE_BUDGET_PROPERTY;
        String chunkBefore = System.getProperty(chunkRows);
        String budgetBefore = System.getProperty(budget);
        System.setProperty(chunkRows, "37");
        try {
            Random random = new Random(23);
            SparkWeightLearnerTest.Rows real = SparkWeightLearnerTest.rows(random, 6, 0.0,
                    "a", 29, "b", 17, "c", 41);
            SparkWeightLearnerTest.Rows synthetic = SparkWeightLearnerTest.rows(random, 6, 2.0,
                    "a", 211, "b", 97, "c", 150);
            int features = 64;
            AlignmentConfig config = SparkWeightLearnerTest.config(features, 80, 13);
            // Blocks of 37 rows: 6 + 3 + 5 = 14, of 37 * 64 * 4 = 9,472 bytes but the last of
            // each label (26, 23 and 2 rows).
            long blocks = 14;
            long allBytes = 4L * features * (211 + 97 + 150);
            for (String backend : new String[] {"reference", KernelBackends.AUTO}) {
                System.clearProperty(budget);
                SparkAlignmentResult[] out = new SparkAlignmentResult[1];
                double[] kept = SparkWeightLearnerTest.spark(LabelMode.PER_LABEL, config, real,
                        synthetic, true, 3, 2, backend, out);
                assertEquals(new FeatureKeep(blocks, 0, allBytes), out[0].featureBlocks(),
                        backend + ": a small fit keeps every block");

                System.setProperty(budget, "0");
                double[] rebuilt = SparkWeightLearnerTest.spark(LabelMode.PER_LABEL, config, real,
                        synthetic, true, 3, 2, backend, out);
                assertEquals(new FeatureKeep(0, blocks, 0), out[0].featureBlocks(), backend);
                assertArrayEquals(kept, rebuilt, 0.0, backend + ": every block rebuilt");

                // One partition of blocks, so the JVM's tally is one partition's: a budget of 5
                // full blocks keeps at least 5 blocks (4 of any size leave room for a fifth)
                // and not all 14, whatever their order.
                System.setProperty(budget, Long.toString(5L * 37 * features * 4));
                double[] mixed = SparkWeightLearnerTest.spark(LabelMode.PER_LABEL, config, real,
                        synthetic, true, 3, 1, backend, out);
                FeatureKeep keep = out[0].featureBlocks();
                assertEquals(blocks, keep.kept() + keep.rebuilt(), backend);
                assertTrue(keep.kept() >= 5 && keep.rebuilt() >= 1, backend + ": " + keep);
                assertTrue(keep.keptBytes() <= 5L * 37 * features * 4, backend + ": " + keep);
                assertArrayEquals(kept, mixed, 0.0, backend + ": some blocks rebuilt");
                assertEquals(0, ExecutorFeatureBudget.keptBytes(),
                        backend + ": the blocks' bytes are returned when the fit closes them");
            }
        } finally {
            restore(chunkRows, chunkBefore);
            restore(budget, budgetBefore);
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }
}
