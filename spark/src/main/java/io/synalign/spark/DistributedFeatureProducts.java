package io.synalign.spark;

import io.synalign.engine.alignment.FeatureGrid;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * The two products of the feature form {@code H_l = Phi_l Phi_l^T} for all labels at once, over
 * synthetic rows spread across partitions in whole blocks of the single machine's chunk grid
 * ({@link RowBlocks}, {@link FeatureGrid#syntheticChunkRows}):
 * <ul>
 *   <li>{@link #transposeTimes}: {@code z_l = Phi_l^T w_l} for every requested label: one job
 *       returning each block's D-vector (the weights broadcast), added on the driver per label in
 *       block order, in double, from zeros, as the single machine adds its chunks;</li>
 *   <li>{@link #times}: {@code Phi_l z_l} for every requested label, one job (the (labels x D)
 *       block broadcast) whose per-row values come back to the driver, where the optimiser keeps
 *       its n-vectors.</li>
 * </ul>
 * Each block's operator is built from the same rows in the same order as the single machine's
 * chunk, so both products equal the single machine's bit for bit, for any partitioning of the
 * input and any number of executors. The synthetic rows are shuffled once, at set-up, into
 * their blocks; the feature matrices are then kept in memory (a persisted RDD of
 * {@link FeatureChunks}) as far as each executor's feature budget allows, the other blocks
 * rebuilt from their rows in every product ({@link ExecutorFeatureBudget}; {@link #keep} says
 * how many). Cost per product pair: O(n D) work spread over the executors (plus O(n_r d D) for
 * the n_r rows of rebuilt blocks), O(n) doubles each way between driver and executors and
 * O(blocks D) for the block sums. Close to unpersist and free the blocks: the executors' memory
 * stores close them as they drop them ({@link FeatureChunks} says when else they are closed).
 */
final class DistributedFeatureProducts implements LockstepProducts.Products, AutoCloseable {

    private final JavaSparkContext context;
    private final Broadcast<FeatureMaps> maps;
    /** The executors' kernel backend (a name: each executor looks up its own). */
    private final String backendName;
    private final JavaRDD<FeatureChunks> blocks;
    private final RowBlocks grid;
    private final int labels;
    private final int features;
    private final FeatureKeep keep;
    /**
     * Partition builds, counted by the tasks that build them: the set-up builds each partition
     * once; a later build is a partition Spark evicted, or never cached, built again.
     */
    private final LongAccumulator builds;
    /** {@link #builds} once the set-up's job ended: the partitions. */
    private final long setupBuilds;
    private int passes;

    /**
     * @param synthetic the synthetic rows (label ids and label-local indices set)
     * @param maps the per-label feature maps (broadcast once here)
     * @param grid the blocks of each label's synthetic rows
     * @param backendName the executors' kernel backend
     */
    DistributedFeatureProducts(JavaSparkContext context, JavaRDD<IndexedRow> synthetic,
            FeatureMaps maps, RowBlocks grid, String backendName) {
        this(context, synthetic, maps, grid, backendName, StorageLevel.MEMORY_ONLY());
    }

    /**
     * @param storage how the blocks are persisted: {@code MEMORY_ONLY} (tests: {@code NONE}, to
     *     build every partition in every pass as an executor without storage memory does)
     */
    DistributedFeatureProducts(JavaSparkContext context, JavaRDD<IndexedRow> synthetic,
            FeatureMaps maps, RowBlocks grid, String backendName, StorageLevel storage) {
        SparkEnv env = SparkEnv.get();
        if (!storage.equals(StorageLevel.NONE()) && env != null) {
            // Before anything is cached: a partition the serializer cannot serve to another
            // executor would stay locked on its own (FeatureChunks, "Served to another
            // executor"). The driver's serializer is the executors' (one configuration).
            FeatureChunks.requireServable(env.serializer());
        }
        this.context = context;
        this.labels = maps.labels();
        this.features = maps.features();
        this.grid = grid;
        Broadcast<FeatureMaps> shared = context.broadcast(maps);
        this.maps = shared;
        this.backendName = backendName;
        this.builds = context.sc().longAccumulator("synalign feature partition builds");
        Build build = new Build(grid, shared, backendName, builds);
        this.blocks = synthetic
                .filter(r -> r.label() >= 0 && shared.value().fitted(r.label()))
                .mapToPair(r -> new Tuple2<>(grid.key(r.label(), r.local()), r))
                .partitionBy(grid.partitioner())
                .mapPartitionsWithIndex(build, false);
        // Spark serializes the function with each job's tasks, after this: the tasks know the
        // id of the RDD they build, which names the partition's block in the memory store.
        build.rddId = blocks.id();
        blocks.setName("synalign features");
        if (!storage.equals(StorageLevel.NONE())) {
            blocks.persist(storage);
        }
        try {
            // Build the blocks now, so that set-up and iterations time apart, and say what the
            // executors keep.
            this.keep = blocks.map(FeatureChunks::keep).fold(FeatureKeep.NONE, FeatureKeep::plus);
            this.setupBuilds = builds.value();
        } catch (Throwable e) {
            // A failed job throws SparkException, a checked exception Scala does not declare:
            // caught here too, so that the partitions built before the failure are closed.
            // The build's own failure is what the caller must see: one of the clean-up's
            // (a blocking unpersist may time out) rides along as suppressed.
            try {
                blocks.unpersist(true);
            } catch (Throwable cleanUp) {
                e.addSuppressed(cleanUp);
            } finally {
                shared.destroy();
            }
            throw e;
        }
    }

    /**
     * Builds a partition's {@link FeatureChunks}: a class rather than a lambda so that the RDD's
     * id, known only once the RDD exists, reaches the tasks.
     */
    private static final class Build implements
            Function2<Integer, Iterator<Tuple2<Long, IndexedRow>>, Iterator<FeatureChunks>> {

        private static final long serialVersionUID = 1L;

        private final RowBlocks grid;
        private final Broadcast<FeatureMaps> maps;
        private final String backendName;
        private final LongAccumulator builds;
        int rddId = -1;

        Build(RowBlocks grid, Broadcast<FeatureMaps> maps, String backendName,
                LongAccumulator builds) {
            this.grid = grid;
            this.maps = maps;
            this.backendName = backendName;
            this.builds = builds;
        }

        @Override
        public Iterator<FeatureChunks> call(Integer partition,
                Iterator<Tuple2<Long, IndexedRow>> rows) {
            if (rddId < 0) {
                throw new IllegalStateException("the features' RDD id was not set before its"
                        + " tasks were serialized (rdd id " + rddId + ")");
            }
            FeatureChunks built = FeatureChunks.build(rows, grid, maps.value(),
                    ExecutorBackends.get(backendName), rddId, partition);
            // Spark merges a task's accumulator updates only when the task succeeds: the builds
            // of failed tasks are not counted, the retry that succeeds is.
            builds.add(1);
            return Collections.singletonList(built).iterator();
        }
    }

    int features() {
        return features;
    }

    /**
     * What the executors kept of the features, and rebuild in every product, as the set-up
     * built them (a partition built again later may keep another share: {@link #rebuilds}).
     */
    FeatureKeep keep() {
        return keep;
    }

    /** Partitions the set-up built (every partition of the features, once). */
    long partitions() {
        return setupBuilds;
    }

    /**
     * Partition builds since the set-up's: 0 while Spark keeps every partition cached; a
     * partition evicted and read again adds one, one never cached one per pass. Current as
     * of the last product (the driver merges a task's count before its job returns).
     */
    long rebuilds() {
        return builds.value() - setupBuilds;
    }

    /** The id of the blocks' RDD (Spark names partition p's block {@code rdd_<id>_<p>}). */
    int rddId() {
        return blocks.id();
    }

    /** Spark passes (jobs) run so far by the two products. */
    int passes() {
        return passes;
    }

    /**
     * {@code z[l] = Phi_l^T w[l]} for every l with {@code w[l] != null} (others null): the
     * blocks' D-vectors added per label in block order.
     */
    @Override
    public double[][] transposeTimes(double[][] w) {
        Broadcast<double[][]> shared = context.broadcast(w);
        int f = features;
        // Locals, so that the task's closure holds the broadcast and the name, not this.
        Broadcast<FeatureMaps> m = maps;
        String backend = backendName;
        List<FeatureChunks.ChunkSum> parts;
        try {
            parts = blocks.flatMap(b -> b.transposeTimes(shared.value(), f, m.value(),
                    ExecutorBackends.get(backend)).iterator()).collect();
        } finally {
            shared.destroy();
        }
        passes++;
        return inBlockOrder(parts, w, labels, f, grid);
    }

    /**
     * Per label with a non-null {@code wanted[l]}, the sum of its blocks' vectors added in block
     * order from zeros ({@link FeatureGrid#add}); every block must be present once.
     */
    static double[][] inBlockOrder(List<FeatureChunks.ChunkSum> parts, Object[] wanted,
            int labels, int features, RowBlocks grid) {
        double[][][] byBlock = new double[labels][][];
        for (int l = 0; l < labels; l++) {
            if (wanted[l] != null) {
                byBlock[l] = new double[grid.blocks(l)][];
            }
        }
        for (FeatureChunks.ChunkSum p : parts) {
            if (byBlock[p.label()][p.index()] != null) {
                throw new IllegalStateException("block " + p.index() + " of label " + p.label()
                        + " came back twice");
            }
            byBlock[p.label()][p.index()] = p.z();
        }
        double[][] z = new double[labels][];
        for (int l = 0; l < labels; l++) {
            if (byBlock[l] == null) {
                continue;
            }
            z[l] = new double[features];
            for (int b = 0; b < byBlock[l].length; b++) {
                if (byBlock[l][b] == null) {
                    throw new IllegalStateException("block " + b + " of label " + l + " is missing");
                }
                FeatureGrid.add(z[l], byBlock[l][b]);
            }
        }
        return z;
    }

    /** {@code out[l] = Phi_l z[l]} for every l with {@code z[l] != null}, in label-local order. */
    @Override
    public void times(double[][] z, double[][] out) {
        Broadcast<double[][]> shared = context.broadcast(z);
        Broadcast<FeatureMaps> m = maps;
        String backend = backendName;
        List<FeatureChunks.ChunkValues> parts;
        try {
            parts = blocks.flatMap(b -> b.times(shared.value(), m.value(),
                    ExecutorBackends.get(backend)).iterator()).collect();
        } finally {
            shared.destroy();
        }
        passes++;
        int[] written = new int[labels];
        for (FeatureChunks.ChunkValues part : parts) {
            System.arraycopy(part.values(), 0, out[part.label()], part.start(), part.values().length);
            written[part.label()] += part.values().length;
        }
        for (int l = 0; l < labels; l++) {
            if (z[l] != null && written[l] != grid.rows(l)) {
                throw new IllegalStateException("Phi z of label " + l + ": " + written[l]
                        + " values came back for " + grid.rows(l) + " rows");
            }
        }
    }

    /**
     * Unpersists the blocks, waiting until every executor has dropped them: each executor's
     * memory store closes the partitions it holds (their operators freed, their bytes back to
     * its budget) before this returns. Partitions that were evicted were closed then, and
     * partitions never cached at the end of their tasks, so none is rebuilt here only to be
     * closed (as the fit's end did before, with a job over the blocks).
     */
    @Override
    public void close() {
        try {
            blocks.unpersist(true);
        } finally {
            // Evicted blocks are rebuilt from the maps, so they go only after the blocks.
            maps.destroy();
        }
    }
}
