package io.synalign.spark;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import scala.Tuple2;

/**
 * The random-feature matrices of one partition: one {@link FeatureOperator} per whole block of
 * the synthetic rows' {@link RowBlocks} grid (the single machine's chunk grid), built by the
 * executor's kernel backend from the block's rows in label-local order, exactly as the single
 * machine builds its chunk. A block is kept as its operator where the executor's feature budget
 * allows ({@link ExecutorFeatureBudget}), else as its rows, from which the same operator is
 * rebuilt for every product and closed after it. Lives in the executor's block manager (a
 * persisted RDD of one element per partition) and is never serialized. Memory O(n_p D) for kept
 * blocks, O(n_p d) for the others; building costs O(n_p d D) once for kept blocks, in every
 * product for the others.
 */
final class FeatureChunks {

    /**
     * One block: its label, index in the label's grid, first label-local row, and either its
     * kept operator (with its bytes) or, to rebuild it from, its rows.
     */
    private record Chunk(int label, int index, int start, FeatureOperator operator,
            long keptBytes, FloatMatrix rows) {
    }

    /** A block's {@code Phi_b^T w_b}: combined on the driver in block order. */
    record ChunkSum(int label, int index, double[] z) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** A block's {@code Phi_b z}: the values of rows {@code start, start + 1, ...} of its label. */
    record ChunkValues(int label, int start, double[] values) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private final List<Chunk> chunks;
    private final FeatureMaps maps;
    private final KernelBackend backend;
    private boolean closed;

    private FeatureChunks(List<Chunk> chunks, FeatureMaps maps, KernelBackend backend) {
        this.chunks = chunks;
        this.maps = maps;
        this.backend = backend;
    }

    /**
     * Groups a partition's keyed rows by block, orders each block by label-local index (checking
     * that it is whole: the rows {@code b * size, ...} without a gap) and builds its operator.
     */
    static FeatureChunks build(Iterator<Tuple2<Long, IndexedRow>> rows, RowBlocks grid,
            FeatureMaps maps, KernelBackend backend) {
        List<Chunk> out = new ArrayList<>();
        try {
            for (Map.Entry<Long, List<IndexedRow>> e : byBlock(rows).entrySet()) {
                int label = RowBlocks.label(e.getKey());
                int index = RowBlocks.block(e.getKey());
                FloatMatrix m = wholeBlock(e.getValue(), grid, label, index);
                int start = index * grid.blockRows(label);
                long bytes = 4L * m.rows() * maps.features();
                if (ExecutorFeatureBudget.reserve(bytes, backend)) {
                    FeatureOperator op;
                    try {
                        op = backend.fourierFeatureOperator(m, maps.map(label));
                    } catch (RuntimeException ex) {
                        ExecutorFeatureBudget.release(bytes);
                        throw ex;
                    }
                    out.add(new Chunk(label, index, start, op, bytes, null));
                } else {
                    out.add(new Chunk(label, index, start, null, 0, m));
                }
            }
        } catch (RuntimeException ex) {
            new FeatureChunks(out, maps, backend).close();
            throw ex;
        }
        return new FeatureChunks(out, maps, backend);
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

    /** {@code product} applied to the block's operator: the kept one, or one rebuilt for it. */
    private <T> T withOperator(Chunk c, Function<FeatureOperator, T> product) {
        if (c.operator() != null) {
            return product.apply(c.operator());
        }
        try (FeatureOperator rebuilt = backend.fourierFeatureOperator(c.rows(),
                maps.map(c.label()))) {
            return product.apply(rebuilt);
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

    /** {@code Phi_b^T w_b} of every block whose label has a non-null w. */
    List<ChunkSum> transposeTimes(double[][] w, int features) {
        List<ChunkSum> out = new ArrayList<>();
        for (Chunk c : chunks) {
            double[] wl = w[c.label()];
            if (wl == null) {
                continue;
            }
            out.add(new ChunkSum(c.label(), c.index(), withOperator(c, op -> {
                double[] sub = new double[op.rows()];
                System.arraycopy(wl, c.start(), sub, 0, sub.length);
                double[] z = new double[features];
                op.transposeTimes(sub, z);
                return z;
            })));
        }
        return out;
    }

    /** {@code Phi_b z_l} of every block whose label has a non-null z. */
    List<ChunkValues> times(double[][] z) {
        List<ChunkValues> out = new ArrayList<>();
        for (Chunk c : chunks) {
            if (z[c.label()] == null) {
                continue;
            }
            double[] zl = z[c.label()];
            out.add(new ChunkValues(c.label(), c.start(), withOperator(c, op -> {
                double[] values = new double[op.rows()];
                op.times(zl, values);
                return values;
            })));
        }
        return out;
    }

    /** Closes the kept operators and returns their bytes to the executor's budget. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Chunk c : chunks) {
            if (c.operator() != null) {
                c.operator().close();
                ExecutorFeatureBudget.release(c.keptBytes());
            }
        }
    }
}
