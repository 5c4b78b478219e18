package io.synalign.spark;

import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.KernelBackend;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

/**
 * How much of the random features {@code Phi} one executor JVM keeps between passes; a block
 * that does not fit is rebuilt from its rows in every pass (as the single machine's streamed
 * rff recomputes its chunks: the same operator from the same rows, so the products are the same
 * bits either way). Only the features are counted here: every block's rows are heap, which
 * Spark's storage memory charges the cached partition ({@link FeatureChunks}).
 *
 * <p>The rule, per block of {@code b} bytes of float32 features, decided when the partition is
 * built: with {@value MmdWeightLearner#FEATURE_BUDGET_PROPERTY} set (bytes, as on the single
 * machine; 0 recomputes every block), keep while the JVM's kept bytes plus {@code b} stay within
 * it. Otherwise ask the backend ({@link KernelBackend#featureBudgetBytes}: on nd4j three
 * quarters of what JavaCPP may still allocate, at most half of the container's headroom; on the
 * reference backend half of what the heap may still grow by), which already counts the blocks
 * kept so far, and keep when {@code b} times one more than the executor's task slots fits: a
 * block rebuilt for a product is held while the product runs, by every slot at once, and must
 * still find room after the last block kept. Before this budget every block was kept and an
 * executor without enough memory overhead failed on JavaCPP's cap or was killed by YARN or
 * Kubernetes.
 */
final class ExecutorFeatureBudget {

    private static long kept;

    private ExecutorFeatureBudget() {
    }

    /**
     * Whether a block of {@code bytes} may be kept; if so, its bytes are counted as kept until
     * {@link #release}.
     */
    static synchronized boolean reserve(long bytes, KernelBackend backend) {
        Long fixed = Long.getLong(MmdWeightLearner.FEATURE_BUDGET_PROPERTY);
        boolean keep = keeps(bytes, kept, fixed, fixed == null ? backend.featureBudgetBytes() : 0,
                taskSlots());
        if (keep) {
            kept += bytes;
        }
        return keep;
    }

    /** Returns a kept block's bytes to the budget (its operator is closed). */
    static synchronized void release(long bytes) {
        kept = Math.max(0, kept - bytes);
    }

    /** Bytes of features this JVM keeps now. */
    static synchronized long keptBytes() {
        return kept;
    }

    /**
     * The rule: {@code bytes} fit a fixed budget beside {@code keptSoFar}, or, without one,
     * {@code bytes * (slots + 1)} fit the backend's answer (overflow counts as not fitting).
     */
    static boolean keeps(long bytes, long keptSoFar, Long fixed, long backendBudget, int slots) {
        if (fixed != null) {
            return fixed >= 0 && bytes <= fixed - keptSoFar;
        }
        try {
            return Math.multiplyExact(bytes, slots + 1L) <= backendBudget;
        } catch (ArithmeticException overflow) {
            return false;
        }
    }

    /**
     * Tasks this executor runs at once: {@code spark.executor.cores / spark.task.cpus}, the
     * machine's processors where the cores are not set (local mode).
     */
    static int taskSlots() {
        SparkEnv env = SparkEnv.get();
        SparkConf conf = env == null ? null : env.conf();
        int cores = Runtime.getRuntime().availableProcessors();
        int perTask = 1;
        if (conf != null) {
            cores = conf.getInt("spark.executor.cores", cores);
            perTask = Math.max(1, conf.getInt("spark.task.cpus", 1));
        }
        return Math.max(1, cores / perTask);
    }
}
