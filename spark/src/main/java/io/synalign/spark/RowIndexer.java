package io.synalign.spark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * Numbers distributed rows the way the single-machine code numbers them: a global row index in
 * partition order, and per label a label-local index in global row order (the order of
 * {@code LabelPlan.Group.syntheticRows}). Two passes: one counting rows per label and partition,
 * then one assigning indices from the prefix sums. The input must be deterministic (cached, or
 * read from files): it is evaluated more than once.
 */
public final class RowIndexer {

    private RowIndexer() {
    }

    /** Per-label row count and first row index (a null label counts as {@code LabelPlan.ALL}). */
    public static Map<String, LabelGroups.Count> count(JavaRDD<EmbeddedRecord> rows) {
        Map<String, LabelGroups.Count> out = new HashMap<>();
        rows.zipWithIndex()
                .mapToPair(t -> new Tuple2<>(labelOf(t._1()),
                        new LabelGroups.Count(1, t._2())))
                .reduceByKey((a, b) -> new LabelGroups.Count(a.count() + b.count(),
                        Math.min(a.firstRow(), b.firstRow())))
                .collectAsMap().forEach(out::put);
        return out;
    }

    /**
     * Assigns row, label id and label-local index. Rows whose label no group has get label -1
     * (they are never fitted and get weight 0).
     */
    public static JavaRDD<IndexedRow> index(JavaRDD<EmbeddedRecord> rows, LabelGroups groups) {
        int k = groups.size();
        Broadcast<LabelGroups> shared = new org.apache.spark.api.java.JavaSparkContext(
                rows.context()).broadcast(groups);
        List<Tuple2<Integer, int[]>> counts = rows.mapPartitionsWithIndex((p, it) -> {
            int[] c = new int[k + 1]; // per label, then the partition's size
            LabelGroups g = shared.value();
            while (it.hasNext()) {
                int id = g.id(labelOf(it.next()));
                if (id >= 0) {
                    c[id]++;
                }
                c[k]++;
            }
            List<Tuple2<Integer, int[]>> one = new ArrayList<>();
            one.add(new Tuple2<>(p, c));
            return one.iterator();
        }, true).collect();
        int partitions = rows.getNumPartitions();
        long[][] offsets = new long[partitions][k + 1];
        int[][] byPartition = new int[partitions][];
        for (Tuple2<Integer, int[]> t : counts) {
            byPartition[t._1()] = t._2();
        }
        long[] running = new long[k + 1];
        for (int p = 0; p < partitions; p++) {
            System.arraycopy(running, 0, offsets[p], 0, k + 1);
            for (int i = 0; i <= k; i++) {
                running[i] += byPartition[p][i];
            }
        }
        Broadcast<long[][]> start = new org.apache.spark.api.java.JavaSparkContext(
                rows.context()).broadcast(offsets);
        return rows.mapPartitionsWithIndex((p, it) -> {
            long[] next = start.value()[p].clone();
            LabelGroups g = shared.value();
            return new Iterator<IndexedRow>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public IndexedRow next() {
                    EmbeddedRecord r = it.next();
                    int id = g.id(labelOf(r));
                    long row = next[k]++;
                    int local = id >= 0 ? (int) next[id]++ : -1;
                    return new IndexedRow(row, id, local, r.vector());
                }
            };
        }, true);
    }

    private static String labelOf(EmbeddedRecord r) {
        return r.label() == null ? io.synalign.engine.labelled.LabelPlan.ALL : r.label();
    }
}
