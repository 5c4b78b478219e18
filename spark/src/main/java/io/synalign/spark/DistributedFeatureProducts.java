package io.synalign.spark;

import java.util.Collections;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * The two products of the feature form {@code H_l = Phi_l Phi_l^T} for all labels at once, over
 * synthetic rows spread across partitions:
 * <ul>
 *   <li>{@link #transposeTimes}: {@code z_l = Phi_l^T w_l} for every requested label, as ONE
 *       {@code treeAggregate} of a (labels x D) block of doubles (the weights broadcast);</li>
 *   <li>{@link #times}: {@code Phi_l z_l} for every requested label, one map over the partitions
 *       (the (labels x D) block broadcast) whose per-row values come back to the driver, where the
 *       optimiser keeps its n-vectors.</li>
 * </ul>
 * The feature matrices are built once per partition by the executors' kernel backend and kept
 * in memory ({@link FeatureBlock}, a persisted RDD). Cost per product pair: O(n D) work spread
 * over the executors, O(n) doubles each way between driver and executors (the broadcast weights
 * and the collected products) and O(labels D) for the aggregate. Close to unpersist and free the
 * blocks.
 */
final class DistributedFeatureProducts implements AutoCloseable {

    private final JavaSparkContext context;
    private final Broadcast<FeatureMaps> maps;
    private final JavaRDD<FeatureBlock> blocks;
    private final int labels;
    private final int features;
    private final int depth;
    private int passes;

    /**
     * @param synthetic the synthetic rows (label ids and label-local indices set)
     * @param maps the per-label feature maps (broadcast once here)
     * @param backendName the executors' kernel backend
     * @param depth treeAggregate depth, {@code >= 1}
     */
    DistributedFeatureProducts(JavaSparkContext context, JavaRDD<IndexedRow> synthetic,
            FeatureMaps maps, String backendName, int depth) {
        this.context = context;
        this.labels = maps.labels();
        this.features = maps.features();
        this.depth = depth;
        Broadcast<FeatureMaps> shared = context.broadcast(maps);
        this.maps = shared;
        this.blocks = synthetic.mapPartitions(rows -> Collections.singletonList(
                FeatureBlock.build(rows, shared.value(), ExecutorBackends.get(backendName)))
                .iterator());
        blocks.persist(StorageLevel.MEMORY_ONLY());
        try {
            blocks.count(); // build the blocks now, so that set-up and iterations time apart
        } catch (RuntimeException e) {
            blocks.unpersist(false);
            shared.destroy();
            throw e;
        }
    }

    int features() {
        return features;
    }

    /** Spark passes (jobs) run so far by the two products. */
    int passes() {
        return passes;
    }

    /**
     * {@code z[l] = Phi_l^T w[l]} for every l with {@code w[l] != null} (others null), summed
     * over partitions by one treeAggregate.
     */
    double[][] transposeTimes(double[][] w) {
        Broadcast<double[][]> shared = context.broadcast(w);
        int f = features;
        double[] sum;
        try {
            sum = blocks.treeAggregate(new double[labels * f],
                    (acc, block) -> {
                        block.addTransposeTimes(shared.value(), f, acc);
                        return acc;
                    },
                    (a, b) -> {
                        for (int i = 0; i < a.length; i++) {
                            a[i] += b[i];
                        }
                        return a;
                    }, depth);
        } finally {
            shared.destroy();
        }
        passes++;
        double[][] z = new double[labels][];
        for (int l = 0; l < labels; l++) {
            if (w[l] != null) {
                z[l] = new double[f];
                System.arraycopy(sum, l * f, z[l], 0, f);
            }
        }
        return z;
    }

    /** {@code out[l] = Phi_l z[l]} for every l with {@code z[l] != null}, in label-local order. */
    void times(double[][] z, double[][] out) {
        Broadcast<double[][]> shared = context.broadcast(z);
        List<FeatureBlock.TimesPart> parts;
        try {
            parts = blocks.map(block -> block.times(shared.value())).collect();
        } finally {
            shared.destroy();
        }
        passes++;
        for (FeatureBlock.TimesPart part : parts) {
            for (int q = 0; q < part.labels().length; q++) {
                double[] target = out[part.labels()[q]];
                int[] locals = part.locals()[q];
                double[] values = part.values()[q];
                for (int i = 0; i < locals.length; i++) {
                    target[locals[i]] = values[i];
                }
            }
        }
    }

    @Override
    public void close() {
        try {
            blocks.foreachPartition(it -> it.forEachRemaining(FeatureBlock::close));
        } finally {
            blocks.unpersist(false);
            // Evicted blocks are rebuilt from the maps, so they go only after the blocks.
            maps.destroy();
        }
    }
}
