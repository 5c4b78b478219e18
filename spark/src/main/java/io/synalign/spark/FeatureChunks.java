package io.synalign.spark;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.synalign.engine.alignment.FeatureGrid;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.storage.RDDBlockId;
import org.apache.spark.util.KnownSizeEstimation;
import org.apache.spark.util.SizeEstimator;
import org.apache.spark.util.TaskCompletionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The random-feature matrices of one partition: one {@link FeatureOperator} per whole block of
 * the synthetic rows' {@link RowBlocks} grid (the single machine's chunk grid), built by the
 * executor's kernel backend from the block's rows in label-local order, exactly as the single
 * machine builds its chunk. A block is kept as its operator where the executor's feature budget
 * allows ({@link ExecutorFeatureBudget}), else rebuilt from its rows for every product (the same
 * operator from the same rows) and closed after it. Every block holds its rows, kept or not: they
 * are what the partition serializes to (below). Lives in the executor's block manager (a
 * persisted RDD of one element per partition). Memory O(n_p D) native or heap for kept blocks
 * and O(n_p d) heap for every block's rows; building costs O(n_p d D) once for kept blocks, in
 * every product for the others.
 *
 * <p>A block's rows are held in pieces ({@link BlockRows}) of at most the engine's read block
 * ({@link FeatureGrid#pieceRows}: 1/16 of the executor's heap in rows on the reference and nd4j,
 * the backends that build from pieces), filled straight from the partition's rows as they come,
 * and the backend builds the block's operator from the pieces
 * ({@code KernelBackend.fourierFeatureOperator(RowPieces, map)}) to the bits of the whole block,
 * as the single machine builds its chunk from the pieces it reads (helper chunkgrid34). Since
 * chunkgrid34 the grid is no longer capped by the heap, so a block is as large as the backend's
 * chunk (8,192 rows of d = 10,000 at D = 1,024 on nd4j: 328 MB); before helper sparkblock35 it was
 * one array, copied from the partition's row objects while they were all still held (twice the
 * partition's rows at the end of a build) and handed to the backend whole (nd4j copied it
 * into native memory whole as well). Now the partition's rows are held once, no array is larger
 * than 1/16 of the heap, and nd4j stages a piece (rounded up to its 256-row GEMM block) at a
 * time. The bits do not depend on the piece size, so a partition served to an executor of
 * another heap, which cuts its own pieces, gives the same products.
 *
 * <p>Lifetime of the kept operators (native memory on nd4j, counted by the executor's budget):
 * they live as long as Spark holds the partition, and no longer.
 * <ul>
 *   <li>Cached ({@code MEMORY_ONLY}): the block manager's memory store owns the partition, and
 *       it closes an {@link AutoCloseable} value whenever it removes it (Spark 3.2+,
 *       SPARK-35396; {@code MemoryStore.remove}, checked on 4.1.3): when it is evicted for
 *       another block (memory pressure) and when the RDD is unpersisted at the fit's end, on every
 *       executor that holds it. Neither happens while a task reads the partition (Spark takes
 *       the block's write lock first). A rebuilt partition therefore starts from a budget that
 *       no longer counts the evicted one, and keeps as much as it did.</li>
 *   <li>Not cached (the memory store had no room for it, or the RDD is not persisted; or the
 *       store holds another copy, on disk, serialized, or another task's): nothing else holds
 *       it once its task ends, so a listener on that task closes it then, whether the task
 *       succeeded or failed ({@link #closeUnlessCached}).</li>
 *   <li>A build that fails closes what it had built.</li>
 * </ul>
 * Before this, an evicted or uncached partition's operators were left to the garbage collector
 * and their bytes stayed counted against {@code synalign.rff.featureBudget}, so every later
 * build kept less; the fit's end recomputed evicted partitions only to close them.
 *
 * <p>Served to another executor: a task for partition p that runs off p's executor A (after
 * {@code spark.locality.wait}) asks A for the cached block before computing it, and A's block
 * manager serializes the partition with the application's {@code spark.serializer} inside
 * {@code BlockManager.getLocalBytes}, under the block's read lock. Spark releases that lock only
 * with the serialized buffer: a serializer that throws there (this class was not
 * {@code Serializable}; Kryo's field serializer cannot make one for the {@code Chunk} record)
 * left it held for good (checked on 4.1.3's bytecode and reproduced in local mode), so A's copy
 * could never be evicted, removed nor closed, and the fit's end ({@code unpersist(true)}) waited
 * {@code spark.rpc.askTimeout}, 120 s, for it. So the partition serializes, under Java
 * serialization ({@code writeReplace} to {@link Served}) and Kryo ({@link KryoForm}, this class's
 * default Kryo serializer, registered or not), to its name and its blocks' rows only: no
 * operator, nothing native, nothing of A's budget. The fetching executor reads that back as a
 * partition whose every block is rebuilt from its rows for each product, so its products are the
 * original's bit for bit, and which keeps nothing (closing it frees nothing of A's). Spark does
 * not cache a block fetched for a task, so the copy lives as long as the task's iterator. The
 * cost is the kept blocks' rows, held only to be served: 4 n_b d bytes of heap each (37.5 % of
 * the block's float32 features at d = 384, D = 1,024), which Spark's estimate charges the
 * partition like any other rows. Nothing cheaper gives the same bits: an operator cannot give
 * its rows back, and its features (through D products of unit vectors) could only be multiplied
 * by another code than the backend's, with other rounding. Serving costs O(n_p d) to write and
 * ships 4 n_p d bytes.
 *
 * <p>What Spark charges a cached partition: the memory store sizes it with Spark's
 * {@code SizeEstimator}, which walks every object the partition reaches and counts each once per
 * partition. So a partition holds only what is its own: its blocks' rows (4 n_b d bytes each),
 * its kept operators (their Java objects; on the reference backend Phi itself, in double, which
 * is heap; an nd4j operator also holds its label's map, d x D floats, to reload from, which is
 * the executor's and is not charged: {@link #estimatedSize}) and a few objects of bookkeeping
 * per block. The
 * per-label feature maps and the kernel backend are passed to each product instead of being held
 * here: the maps' cache of drawn maps (up to {@link FeatureMaps#CACHE_BYTES}) is one per executor
 * and shared by all its partitions, and Spark charged it to every partition again (measured: a
 * partition of 100 rows at d = 384, D = 1,024, 153,600 bytes of rows, was put at 6,462,832
 * bytes, the maps alone 6,308,632), so partitions were evicted, or not cached and rebuilt in every
 * pass, far earlier than their size warranted. The kept operators' native memory (nd4j: Phi in
 * JavaCPP allocations) is not on the heap, and is out of Spark's estimate by construction: it is
 * bounded by {@link ExecutorFeatureBudget} instead, against the off-heap room the backend reports,
 * whereas Spark's storage memory is a share of the heap and counting native bytes there would
 * evict partitions to make room the heap never needed.
 */
@DefaultSerializer(FeatureChunks.KryoForm.class)
final class FeatureChunks implements AutoCloseable, Serializable, KnownSizeEstimation {

    /** Never written itself: {@link #writeReplace} writes {@link Served}. */
    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(FeatureChunks.class);

    /**
     * The RDDs whose uncached partitions this JVM has warned about (one warning per RDD), of the
     * application {@link #warnedApplication}: RDD ids restart with each {@code SparkContext}, so
     * a JVM that makes a second one (tests, a long-lived local driver) must not take its RDD 5
     * for the first's. Guarded by itself.
     */
    private static final Set<Integer> WARNED = new HashSet<>();
    /** Guarded by {@link #WARNED}: {@code spark.app.id} of the RDDs in it. */
    private static String warnedApplication;

    /**
     * One block: its label, index in the label's grid, first label-local row, its kept operator
     * (with its bytes; null when rebuilt for every product) and its rows (kept or not: they
     * rebuild it, and they are what the block serializes to).
     */
    private record Chunk(int label, int index, int start, FeatureOperator operator,
            long keptBytes, BlockRows rows) {
    }

    /** A block's {@code Phi_b^T w_b}: combined on the driver in block order. */
    @DefaultSerializer(KryoRecord.class)
    record ChunkSum(int label, int index, double[] z) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** A block's {@code Phi_b z}: the values of rows {@code start, start + 1, ...} of its label. */
    @DefaultSerializer(KryoRecord.class)
    record ChunkValues(int label, int start, double[] values) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** Its blocks: with the name below, all a cached partition holds (see the class comment). */
    private final List<Chunk> chunks;
    /** Spark's name of the cached partition ({@code rdd_R_P}), for the log and the listener. */
    private final String name;
    /**
     * The feature maps the kept operators were built with, each once, weakly: an operator may
     * hold its map (nd4j's, to reload from) or not (the reference's); either way the map is the
     * executor's, shared, and {@link #estimatedSize} leaves it out. Weak so that a partition
     * whose operators do not hold their maps does not keep them alive either.
     */
    private final List<WeakReference<FourierFeatures>> builtWith;
    /** Guarded by this: the memory store and a task listener may close from two threads. */
    private boolean closed;

    private FeatureChunks(List<Chunk> chunks, String name) {
        this(chunks, name, List.of());
    }

    private FeatureChunks(List<Chunk> chunks, String name,
            List<WeakReference<FourierFeatures>> builtWith) {
        // Immutable, and so of the class and length its estimate's copy has (estimatedSize).
        this.chunks = List.copyOf(chunks);
        this.name = name;
        this.builtWith = builtWith;
    }

    /**
     * Groups a partition's keyed rows by block, orders each block by label-local index (checking
     * that it is whole: the rows {@code b * size, ...} without a gap) and builds its operator.
     * Inside a Spark task, registers the listener that closes the result at the task's end
     * unless the memory store holds it as block {@code rdd_<rddId>_<partition>}.
     *
     * @param rddId the id of the RDD whose partition this is ({@code -1}: not an RDD's)
     */
    static FeatureChunks build(Iterator<Tuple2<Long, IndexedRow>> rows, RowBlocks grid,
            FeatureMaps maps, KernelBackend backend, int rddId, int partition) {
        RDDBlockId block = new RDDBlockId(rddId, partition);
        FeatureChunks built = build(rows, grid, maps, backend, block.name());
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener(
                    (TaskCompletionListener) done -> built.closeUnlessCached(block));
        }
        return built;
    }

    private static FeatureChunks build(Iterator<Tuple2<Long, IndexedRow>> rows, RowBlocks grid,
            FeatureMaps maps, KernelBackend backend, String name) {
        List<Chunk> out = new ArrayList<>();
        List<WeakReference<FourierFeatures>> builtWith = new ArrayList<>();
        try {
            for (Map.Entry<Long, BlockRows> e : inPieces(rows, grid, backend).entrySet()) {
                int label = RowBlocks.label(e.getKey());
                int index = RowBlocks.block(e.getKey());
                BlockRows m = e.getValue();
                int start = index * grid.blockRows(label);
                long bytes = 4L * m.rows() * maps.features();
                if (ExecutorFeatureBudget.reserve(bytes, backend)) {
                    FeatureOperator op;
                    FourierFeatures map = maps.map(label);
                    try {
                        // From its pieces (helper sparkblock35): the bits of the whole block.
                        op = backend.fourierFeatureOperator(m.pieces(), map);
                    } catch (RuntimeException | Error ex) {
                        // Errors too (an OutOfMemoryError for the n_b x D features): the bytes
                        // reserved above would otherwise stay counted for good (review30).
                        ExecutorFeatureBudget.release(bytes);
                        throw ex;
                    }
                    // The rows too: a kept block serializes to them (see the class comment).
                    out.add(new Chunk(label, index, start, op, bytes, m));
                    if (builtWith.stream().noneMatch(r -> r.get() == map)) {
                        builtWith.add(new WeakReference<>(map));
                    }
                } else {
                    out.add(new Chunk(label, index, start, null, 0, m));
                }
            }
        } catch (RuntimeException | Error ex) {
            new FeatureChunks(out, name).close();
            throw ex;
        }
        return new FeatureChunks(out, name, List.copyOf(builtWith));
    }

    /**
     * A partition's rows, handed over in any order, copied straight into their blocks' pieces
     * ({@link BlockRows.Filler}) as they come, in key order. A block's pieces hold at most
     * {@link FeatureGrid#pieceRows} rows each, the engine's read block on this executor (1/16 of
     * its heap in rows on the backends that build from pieces), so no array of the partition is
     * larger than that share of the heap. No row object of the shuffle is kept: the partition's
     * rows are held once, as the pieces the partition keeps anyway (they rebuild and serve it).
     * Before (helper sparkblock35) every row object was held in per-block lists until the whole
     * partition was built, beside a whole-block copy of each block's rows: twice the partition's
     * rows at the end of its build. O(n_p d).
     */
    static TreeMap<Long, BlockRows> inPieces(Iterator<Tuple2<Long, IndexedRow>> rows,
            RowBlocks grid, KernelBackend backend) {
        TreeMap<Long, BlockRows.Filler> fills = new TreeMap<>();
        while (rows.hasNext()) {
            Tuple2<Long, IndexedRow> t = rows.next();
            long key = t._1();
            IndexedRow row = t._2();
            BlockRows.Filler fill = fills.get(key);
            if (fill == null) {
                int label = RowBlocks.label(key);
                int index = RowBlocks.block(key);
                int blockRows = grid.blockRows(label);
                fill = new BlockRows.Filler(label, index, index * blockRows,
                        grid.rowsOf(label, index),
                        FeatureGrid.pieceRows(backend, blockRows, row.vector().length));
                fills.put(key, fill);
            }
            fill.add(row.local(), row.vector());
        }
        TreeMap<Long, BlockRows> blocks = new TreeMap<>();
        for (Map.Entry<Long, BlockRows.Filler> e : fills.entrySet()) {
            blocks.put(e.getKey(), e.getValue().finish());
        }
        return blocks;
    }

    /**
     * What Spark's memory store charges this partition: {@code SizeEstimator} asks an object
     * that is a {@link KnownSizeEstimation} for its size instead of walking it. The answer is a
     * walk of the partition's own objects (its name, its blocks and their rows) without its
     * kept operators, plus each operator's own heap as it reports it
     * ({@link FeatureOperator#heapBytes}): on the reference backend Phi in double, on nd4j a few
     * scratch arrays and ND4J's view objects (about 12.5 KB a block at D = 1,024). Not a walk of
     * the operators: an nd4j operator holds its label's feature map (d x D floats, to reload
     * from), the executor's and shared (sparksize30 and spark32 took it out of the walk), and
     * its JavaCPP pointers reach JavaCPP's list of every live native allocation in the JVM (88
     * bytes each), so a walk charged each partition with everything else alive in the executor
     * (10,000 unrelated allocations added 880,000 bytes to a partition of 211,000: helper
     * spark32) and took as long as that list. An operator that cannot say
     * ({@link FeatureOperator#UNKNOWN_HEAP_BYTES}, a backend outside this project) is walked
     * as before: {@code estimate(name, blocks, maps) - estimate(maps)} over the maps the kept
     * operators were built with, each walk counting an object once, so a map such an operator
     * holds is taken out exactly and one it does not hold changes nothing. The blocks are
     * walked as copies that hold no operator (the same record, list class and length, so the
     * same bytes less the operators'). {@code KnownSizeEstimation} is Spark's internal trait
     * (public in the bytecode, as {@code BlockManager}). O(blocks + objects walked); Spark asks
     * once or twice while it stores the partition.
     */
    @Override
    public long estimatedSize() {
        Chunk[] walked = new Chunk[chunks.size()];
        long counted = 0;
        boolean unknown = false;
        for (int i = 0; i < walked.length; i++) {
            Chunk c = chunks.get(i);
            long own = c.operator() == null ? 0 : c.operator().heapBytes();
            if (own >= 0) {
                counted += own;
                walked[i] = c.operator() == null ? c
                        : new Chunk(c.label(), c.index(), c.start(), null, c.keptBytes(), c.rows());
            } else {
                unknown = true;
                walked[i] = c;
            }
        }
        List<FourierFeatures> maps = new ArrayList<>(builtWith.size());
        if (unknown) {
            for (WeakReference<FourierFeatures> r : builtWith) {
                FourierFeatures map = r.get();
                if (map != null) {
                    maps.add(map);
                }
            }
        }
        Object[] shared = maps.toArray();
        Object[] all = new Object[shared.length + 2];
        all[0] = name;
        // List.of over the array: the class List.copyOf gave the blocks (List12 or ListN by
        // length), so the walk counts the same bytes; one copy of the blocks, not two.
        all[1] = List.of(walked);
        System.arraycopy(shared, 0, all, 2, shared.length);
        // No map to take out (every operator said its heap, or none holds one): the empty
        // array's own estimate, a constant, stands in for a walk of it.
        long sharedBytes = shared.length == 0 ? EmptyArray.BYTES : SizeEstimator.estimate(shared);
        return SizeEstimator.estimate(all) - sharedBytes + counted;
    }

    /** {@code SizeEstimator}'s estimate of an empty {@code Object[]}, asked once per JVM. */
    private static final class EmptyArray {
        static final long BYTES = SizeEstimator.estimate(new Object[0]);
    }

    /**
     * At the end of the task that built this partition: closes it unless this executor's
     * memory store holds this very object as the block (then the store closes it when it
     * removes it). Spark puts a {@code MEMORY_ONLY} partition into the store before the task
     * reads it, so by the end of the task it is there or it never will be.
     *
     * <p>The check is by identity, on the memory store of this task's {@code SparkEnv} (the
     * executor's own block manager). Before, it asked {@code BlockManager.getStatus}, local too,
     * but true for any copy of the block: a block stored on disk ({@code DISK_ONLY}, or
     * {@code MEMORY_AND_DISK} once memory is short), serialized in memory, or cached by another
     * task of the same partition (a stage's retry beside its zombie attempt, a speculative copy
     * in local mode) while this task's put had failed. In each case this task's object, which
     * nobody else holds, stayed open with its kept bytes counted in
     * {@link ExecutorFeatureBudget} for the executor's life. {@code MemoryStore} is Spark's
     * internal API (public in the bytecode); {@code FeatureLifetimeTest} checks it.
     */
    void closeUnlessCached(RDDBlockId block) {
        SparkEnv env = SparkEnv.get();
        if (isClosed() || env != null && storedAs(env.blockManager(), block)) {
            // Closed already: cached and evicted again before the task ended (no warning).
            return;
        }
        FeatureKeep keep = keep();
        String application = env == null ? "" : env.conf().get("spark.app.id", "");
        if (keep.kept() > 0 && firstWarning(application, block.rddId())) {
            LOG.warn("synalign features {} were not cached (Spark's storage memory had no room"
                    + " for them, or the RDD is not persisted): its {} kept blocks ({} bytes)"
                    + " are closed at the end of each task and the partition is rebuilt in every"
                    + " pass; give the executors more memory (spark.executor.memory) or lower"
                    + " synalign.rff.featureBudget. Said once per RDD and executor.", name,
                    keep.kept(), keep.keptBytes());
        }
        close();
    }

    /**
     * Whether {@code manager}'s memory store holds this object as {@code block}'s value. A
     * deserialized block's values are the objects the task's iterator gave, not copies, so
     * identity tells this task's partition from another copy. The store's entry is read
     * without the block's lock: were it evicted just after, the store closes it (and a close
     * after that does nothing); were it evicted just before, this task closes it, and the
     * store's close does nothing. A serialized entry (which {@code getValues} refuses) holds
     * bytes, not this object. O(1).
     */
    private boolean storedAs(org.apache.spark.storage.BlockManager manager, RDDBlockId block) {
        try {
            scala.Option<scala.collection.Iterator<Object>> values =
                    manager.memoryStore().getValues(block);
            if (values.isEmpty()) {
                return false;
            }
            scala.collection.Iterator<Object> it = values.get();
            return it.hasNext() && it.next() == this;
        } catch (Exception serialized) { // Spark's internal error: checked, thrown undeclared
            return false;
        }
    }

    /**
     * Whether RDD {@code rddId} of {@code application} is not warned about yet (and now is).
     * An executor JVM serves one application and a driver JVM holds one context at a time, so
     * the RDDs of an earlier application are forgotten when another's first RDD is warned about:
     * the set stays one application's.
     */
    private static boolean firstWarning(String application, int rddId) {
        synchronized (WARNED) {
            if (!Objects.equals(application, warnedApplication)) {
                WARNED.clear();
                warnedApplication = application;
            }
            return WARNED.add(rddId);
        }
    }

    /** What this partition keeps. */
    FeatureKeep keep() {
        long kept = 0;
        long bytes = 0;
        for (Chunk c : chunks) {
            if (c.operator() != null) {
                kept++;
                bytes += c.keptBytes();
            }
        }
        return new FeatureKeep(kept, chunks.size() - kept, bytes);
    }

    /**
     * {@code product} applied to the block's operator: the kept one, or one rebuilt for it from
     * the block's rows with {@code maps} and {@code backend} (those the partition was built with:
     * the executor's broadcast value and backend, which this object does not hold).
     */
    private <T> T withOperator(Chunk c, FeatureMaps maps, KernelBackend backend,
            Function<FeatureOperator, T> product) {
        checkOpen();
        if (c.operator() != null) {
            return product.apply(c.operator());
        }
        // From the block's pieces, as it was built (helper sparkblock35): the same bits.
        try (FeatureOperator rebuilt = backend.fourierFeatureOperator(c.rows().pieces(),
                maps.map(c.label()))) {
            return product.apply(rebuilt);
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /**
     * A closed partition's operators are freed (native memory on nd4j): using one would read
     * freed memory. Spark closes a partition only under its block's write lock, so this is a bug.
     */
    private synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException("synalign features " + name + " used after they"
                    + " were closed");
        }
    }

    /** The partition's rows by block key, in key order. */
    static TreeMap<Long, List<IndexedRow>> byBlock(Iterator<Tuple2<Long, IndexedRow>> rows) {
        TreeMap<Long, List<IndexedRow>> blocks = new TreeMap<>();
        while (rows.hasNext()) {
            Tuple2<Long, IndexedRow> t = rows.next();
            blocks.computeIfAbsent(t._1(), k -> new ArrayList<>()).add(t._2());
        }
        return blocks;
    }

    /** A block's rows as one matrix in label-local order; a block with a gap is a bug. */
    static FloatMatrix wholeBlock(List<IndexedRow> rows, RowBlocks grid, int label, int index) {
        rows.sort(Comparator.comparingInt(IndexedRow::local));
        int start = index * grid.blockRows(label);
        if (rows.size() != grid.rowsOf(label, index)) {
            throw new IllegalStateException("block " + index + " of label " + label + " has "
                    + rows.size() + " rows where " + grid.rowsOf(label, index) + " belong");
        }
        int d = rows.get(0).vector().length;
        float[] data = new float[rows.size() * d];
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).local() != start + i) {
                throw new IllegalStateException("block " + index + " of label " + label
                        + " is not whole: row " + rows.get(i).local() + " where " + (start + i)
                        + " belongs");
            }
            System.arraycopy(rows.get(i).vector(), 0, data, i * d, d);
        }
        return new FloatMatrix(rows.size(), d, data);
    }

    /**
     * {@code Phi_b^T w_b} of every block whose label has a non-null w; {@code maps} and
     * {@code backend} rebuild the blocks not kept (the ones the partition was built with).
     */
    List<ChunkSum> transposeTimes(double[][] w, int features, FeatureMaps maps,
            KernelBackend backend) {
        List<ChunkSum> out = new ArrayList<>();
        for (Chunk c : chunks) {
            double[] wl = w[c.label()];
            if (wl == null) {
                continue;
            }
            out.add(new ChunkSum(c.label(), c.index(), withOperator(c, maps, backend, op -> {
                double[] sub = new double[op.rows()];
                System.arraycopy(wl, c.start(), sub, 0, sub.length);
                double[] z = new double[features];
                op.transposeTimes(sub, z);
                return z;
            })));
        }
        return out;
    }

    /**
     * {@code Phi_b z_l} of every block whose label has a non-null z; {@code maps} and
     * {@code backend} as for {@link #transposeTimes}.
     */
    List<ChunkValues> times(double[][] z, FeatureMaps maps, KernelBackend backend) {
        List<ChunkValues> out = new ArrayList<>();
        for (Chunk c : chunks) {
            if (z[c.label()] == null) {
                continue;
            }
            double[] zl = z[c.label()];
            out.add(new ChunkValues(c.label(), c.start(), withOperator(c, maps, backend, op -> {
                double[] values = new double[op.rows()];
                op.times(zl, values);
                return values;
            })));
        }
        return out;
    }

    /**
     * Closes the kept operators and returns their bytes to the executor's budget; once (later
     * calls do nothing), from any thread: Spark's memory store calls it when it evicts or
     * unpersists the partition.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long blocks = 0;
        long bytes = 0;
        RuntimeException failed = null;
        for (Chunk c : chunks) {
            if (c.operator() == null) {
                continue;
            }
            blocks++;
            bytes += c.keptBytes();
            // Every operator is closed and uncounted even if one of them fails to close.
            try {
                c.operator().close();
            } catch (RuntimeException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            } finally {
                ExecutorFeatureBudget.release(c.keptBytes());
            }
        }
        if (blocks > 0) {
            // DEBUG: a partition Spark does not cache is closed at the end of every task, so
            // every pass; the one WARN per RDD above tells the user (review30).
            LOG.debug("synalign features {} closed: {} kept blocks, {} bytes back to the"
                    + " executor's feature budget ({} bytes kept in this JVM now)", name, blocks,
                    bytes, ExecutorFeatureBudget.keptBytes());
        }
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Java serialization writes {@link Served} instead of this (the serial-proxy pattern): the
     * name and the blocks' rows, O(n_p d), never an operator.
     */
    private Object writeReplace() {
        return Served.of(this);
    }

    /** Only {@link Served} is ever written: a stream that holds this class itself is forged. */
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("synalign features are read from their serial form,"
                + " FeatureChunks.Served, never field by field");
    }

    /**
     * What a partition serializes to, under Java serialization and Kryo alike: its name, and per
     * block its label, index, first label-local row and rows. Read back, it is a partition that
     * keeps no block ({@link #toChunks}). A stream is checked before it is trusted: every
     * shape value read is named where it is out of range ({@link #blockProblem}), so a forged
     * or corrupt stream fails with an {@link InvalidObjectException} (Java) or a
     * {@code KryoException} (Kryo) naming it, not a {@code NegativeArraySizeException} or an
     * allocation the stream never backs.
     *
     * @param name the partition's name ({@code rdd_R_P})
     * @param shape five ints per block: label, index, first row, rows, columns
     * @param rows per block its rows, row-major, in the pieces it holds them in
     *     ({@link BlockRows}: every piece but the last of the first piece's rows, the last of
     *     the rest); written as they are, so serving copies no block whole (helper sparkblock35:
     *     before, one array per block)
     */
    record Served(String name, int[] shape, float[][][] rows) implements Serializable {

        private static final long serialVersionUID = 2L;
        static final int FIELDS = 5;
        /** The largest Java array HotSpot allocates (a few words below {@code 2^31 - 1}). */
        static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
        /** Blocks whose shapes fit one int array. */
        static final int MAX_BLOCKS = MAX_ARRAY / FIELDS;

        /**
         * What is wrong with block {@code b}'s five shape values at {@code shape[FIELDS * b]},
         * naming the value, or null: label, index and first row at least 0, at least one row
         * and one column, and rows times columns within one array.
         */
        static String blockProblem(String name, int b, int[] shape) {
            int at = FIELDS * b;
            String[] fields = {"label", "index", "first row"};
            for (int k = 0; k < fields.length; k++) {
                if (shape[at + k] < 0) {
                    return "synalign features " + name + ", block " + b + ": " + fields[k] + " "
                            + shape[at + k] + " (at least 0)";
                }
            }
            int n = shape[at + 3];
            int d = shape[at + 4];
            if (n < 1 || d < 1 || (long) n * d > MAX_ARRAY) {
                return "synalign features " + name + ", block " + b + ": " + n + " rows x " + d
                        + " columns (at least 1 x 1, and at most " + MAX_ARRAY
                        + " values in all)";
            }
            return null;
        }

        /** What is wrong with this form, naming the first bad value, or null. */
        String problem() {
            if (name == null || shape == null || rows == null
                    || shape.length != FIELDS * rows.length) {
                return "synalign features " + name + ": "
                        + (shape == null ? "no" : shape.length) + " shape values for "
                        + (rows == null ? "no" : rows.length) + " blocks (" + FIELDS + " each)";
            }
            for (int b = 0; b < rows.length; b++) {
                String bad = blockProblem(name, b, shape);
                if (bad == null) {
                    bad = piecesProblem(b);
                }
                if (bad != null) {
                    return bad;
                }
            }
            return null;
        }

        /**
         * What is wrong with block {@code b}'s pieces, or null: as many values as its shape
         * says, in pieces of {@link BlockRows} (each a whole number of rows, all but the last of
         * the first's rows, the last of the rest). O(pieces).
         */
        private String piecesProblem(int b) {
            int n = shape[FIELDS * b + 3];
            int d = shape[FIELDS * b + 4];
            String block = "synalign features " + name + ", block " + b + ": " + n + " x " + d
                    + " rows but ";
            float[][] pieces = rows[b];
            if (pieces == null || pieces.length == 0) {
                return block + "none";
            }
            long values = 0;
            for (float[] piece : pieces) {
                if (piece == null) {
                    return block + "a missing piece";
                }
                values += piece.length;
            }
            if (values != (long) n * d) {
                return block + values + " values";
            }
            int pieceRows = pieces[0].length / d;
            if (pieceRows < 1 || pieces.length != BlockRows.pieceCount(n, pieceRows)) {
                return block + pieces.length + " pieces of " + pieces[0].length + " values first";
            }
            for (int k = 0; k < pieces.length; k++) {
                if (pieces[k].length != (long) BlockRows.rowsOfPiece(n, pieceRows, k) * d) {
                    return block + "piece " + k + " holds " + pieces[k].length + " values where "
                            + BlockRows.rowsOfPiece(n, pieceRows, k) + " rows of " + pieceRows
                            + " a piece belong";
                }
            }
            return null;
        }

        static Served of(FeatureChunks partition) {
            List<Chunk> chunks = partition.chunks;
            int[] shape = new int[FIELDS * chunks.size()];
            float[][][] rows = new float[chunks.size()][][];
            for (int b = 0; b < chunks.size(); b++) {
                Chunk c = chunks.get(b);
                // Read only, so safe beside a product on another thread: the rows never change
                // after the build, and a product or a close (which Spark makes only under the
                // write lock, never while a serve holds the read lock) touches the operators.
                shape[FIELDS * b] = c.label();
                shape[FIELDS * b + 1] = c.index();
                shape[FIELDS * b + 2] = c.start();
                shape[FIELDS * b + 3] = c.rows().rows();
                shape[FIELDS * b + 4] = c.rows().cols();
                rows[b] = c.rows().pieceArrays();
            }
            return new Served(partition.name, shape, rows);
        }

        /**
         * The partition this form was written from, every block to be rebuilt from its rows for
         * each product (so no budget is reserved, and closing it frees nothing).
         *
         * @throws InvalidObjectException naming the first bad value ({@link #problem})
         */
        FeatureChunks toChunks() throws InvalidObjectException {
            String bad = problem();
            if (bad != null) {
                throw new InvalidObjectException(bad);
            }
            List<Chunk> chunks = new ArrayList<>(rows.length);
            for (int b = 0; b < rows.length; b++) {
                int d = shape[FIELDS * b + 4];
                chunks.add(new Chunk(shape[FIELDS * b], shape[FIELDS * b + 1],
                        shape[FIELDS * b + 2], null, 0, new BlockRows(shape[FIELDS * b + 3], d,
                                rows[b][0].length / d, rows[b])));
            }
            return new FeatureChunks(chunks, name);
        }

        private Object readResolve() throws InvalidObjectException {
            return toChunks();
        }
    }

    /**
     * This class's Kryo serializer (its {@link DefaultSerializer}: used whether or not the
     * application registers the class), writing the same form as Java serialization,
     * {@link Served}: name, block count, then per block its five shape ints and its rows. Public
     * with a public constructor because Kryo makes it by reflection.
     */
    public static final class KryoForm extends com.esotericsoftware.kryo.Serializer<FeatureChunks> {

        /** Blocks whose shapes are read before the shapes' array first grows. */
        static final int FIRST_BLOCKS = 1024;

        public KryoForm() {
        }

        @Override
        public void write(Kryo kryo, Output out, FeatureChunks partition) {
            Served form = Served.of(partition);
            out.writeString(form.name());
            out.writeInt(form.rows().length, true);
            for (int v : form.shape()) {
                out.writeInt(v);
            }
            // A block's values in row order, piece after piece: the same bytes as a block
            // written whole, so the reader may cut its own pieces.
            for (float[][] block : form.rows()) {
                for (float[] piece : block) {
                    out.writeFloats(piece);
                }
            }
        }

        /**
         * Reads what {@link #write} wrote, checking every count and shape before it allocates
         * for it: a block count out of range, or a shape {@link Served#blockProblem} refuses,
         * is a {@link KryoException} naming the value; the shapes' array grows as they are read
         * (from at most {@value #FIRST_BLOCKS} blocks), so a count the stream does not back ends
         * at the stream's end, named, rather than in one allocation of that size. Then each
         * block's rows, whose size its checked shape gives. O(n_p d).
         */
        @Override
        public FeatureChunks read(Kryo kryo, Input in, Class<FeatureChunks> type) {
            String name = in.readString();
            int blocks = in.readInt(true);
            if (blocks < 0 || blocks > Served.MAX_BLOCKS) {
                throw new KryoException("synalign features " + name + ": " + blocks
                        + " blocks (0 to " + Served.MAX_BLOCKS + ")");
            }
            int[] shape = new int[Served.FIELDS * Math.min(blocks, FIRST_BLOCKS)];
            int b = 0;
            try {
                for (; b < blocks; b++) {
                    if (Served.FIELDS * (b + 1) > shape.length) {
                        shape = Arrays.copyOf(shape, Served.FIELDS
                                * (int) Math.min(blocks, 2L * b));
                    }
                    for (int k = 0; k < Served.FIELDS; k++) {
                        shape[Served.FIELDS * b + k] = in.readInt();
                    }
                    String bad = Served.blockProblem(name, b, shape);
                    if (bad != null) {
                        throw new KryoException(bad);
                    }
                }
            } catch (KryoException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("synalign features")) {
                    throw e;
                }
                throw new KryoException("synalign features " + name + ": the stream ends in"
                        + " block " + b + "'s shape, of " + blocks + " blocks", e);
            }
            float[][][] rows = new float[blocks][][];
            for (b = 0; b < blocks; b++) {
                // In pieces of this executor's read block (FeatureGrid.readRows): no array of
                // more than 1/16 of its heap, whatever the block's rows (helper sparkblock35).
                int n = shape[Served.FIELDS * b + 3];
                int d = shape[Served.FIELDS * b + 4];
                int pieceRows = FeatureGrid.readRows(n, d);
                rows[b] = new float[BlockRows.pieceCount(n, pieceRows)][];
                for (int k = 0; k < rows[b].length; k++) {
                    rows[b][k] = in.readFloats(BlockRows.rowsOfPiece(n, pieceRows, k) * d);
                }
            }
            try {
                return new Served(name, shape, rows).toChunks();
            } catch (InvalidObjectException e) {
                throw new KryoException(e.getMessage(), e);
            }
        }
    }

    /**
     * Refuses a fit whose cached partitions the application's serializer could not serve to
     * another executor: one serve would then leave the serving executor's read lock held for
     * good (see the class comment). It serializes and reads back an empty partition, as the
     * block manager would; only Kryo with {@code spark.kryo.registrationRequired=true} and this
     * class not registered fails (the job registers it with the fit's other classes:
     * {@link KryoClasses}).
     *
     * @param serializer the application's {@code spark.serializer} ({@code SparkEnv.serializer})
     * @throws IllegalStateException naming the serializer and the class to register
     */
    static void requireServable(Serializer serializer) {
        FeatureChunks empty = new FeatureChunks(List.of(), "synalign features (serializer check)");
        try {
            SerializerInstance instance = serializer.newInstance();
            ClassTag<Object> tag = ClassTag$.MODULE$.AnyRef();
            instance.deserialize(instance.serialize(empty, tag), tag);
        } catch (Exception | LinkageError e) {
            // Exception: Scala throws checked exceptions undeclared.
            throw new IllegalStateException("spark.serializer " + serializer.getClass().getName()
                    + " cannot serialize synalign's cached features (" + e + "); with"
                    + " spark.kryo.registrationRequired=true add " + FeatureChunks.class.getName()
                    + " to spark.kryo.classesToRegister. A cached partition that a task on"
                    + " another executor fetches must be serialized, and one that cannot be stays"
                    + " locked on its executor, never freed", e);
        }
    }
}
