package io.synalign.spark;

import java.io.Serializable;
import java.util.function.IntUnaryOperator;
import org.apache.spark.Partitioner;

/**
 * A fixed grid of row blocks over each label's rows, by label-local index: block b of label l
 * holds the rows with {@code b * size_l <= local < (b + 1) * size_l}. Every distributed sum of
 * the learner runs over these blocks (each block whole in one task, its rows in local order) and
 * the block results are combined on the driver in block order, so the results do not depend on
 * how the input was partitioned, how many executors there are, or which finished first; with the
 * single machine's block sizes ({@code FeatureGrid}) they equal its results bit for bit.
 *
 * <p>A row's key is {@code label << 32 | block}; {@link #partitioner} spreads the blocks over
 * the partitions round-robin in (label, block) order.
 */
final class RowBlocks implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int[] rows;
    private final int[] size;
    private final int[][] partition;
    private final int partitions;

    private RowBlocks(int[] rows, int[] size, int[][] partition, int partitions) {
        this.rows = rows;
        this.size = size;
        this.partition = partition;
        this.partitions = partitions;
    }

    /**
     * @param rows per label, its rows (0: the label has no block)
     * @param blockRows per label, rows per block ({@code >= 1})
     * @param maxPartitions partitions at most; fewer when there are fewer blocks
     */
    static RowBlocks of(int[] rows, IntUnaryOperator blockRows, int maxPartitions) {
        int k = rows.length;
        int[] size = new int[k];
        int total = 0;
        for (int l = 0; l < k; l++) {
            size[l] = Math.max(1, blockRows.applyAsInt(l));
            total += (rows[l] + size[l] - 1) / size[l];
        }
        int partitions = Math.max(1, Math.min(total, maxPartitions));
        int[][] partition = new int[k][];
        int next = 0;
        for (int l = 0; l < k; l++) {
            int blocks = (rows[l] + size[l] - 1) / size[l];
            partition[l] = new int[blocks];
            for (int b = 0; b < blocks; b++) {
                partition[l][b] = next++ % partitions;
            }
        }
        return new RowBlocks(rows.clone(), size, partition, partitions);
    }

    /** Rows per block of label l. */
    int blockRows(int label) {
        return size[label];
    }

    /** Rows of label l. */
    int rows(int label) {
        return rows[label];
    }

    /** Rows of block b of label l: the block size, or what is left for the last block. */
    int rowsOf(int label, int block) {
        return Math.min(size[label], rows[label] - block * size[label]);
    }

    /** Blocks of label l. */
    int blocks(int label) {
        return partition[label].length;
    }

    /** The key of a row of label l with label-local index {@code local}. */
    long key(int label, int local) {
        return ((long) label << 32) | (local / size[label]);
    }

    static int label(long key) {
        return (int) (key >>> 32);
    }

    static int block(long key) {
        return (int) key;
    }

    int partitions() {
        return partitions;
    }

    /** Sends each block's rows to its partition. */
    Partitioner partitioner() {
        return new BlockPartitioner(this);
    }

    /** Spark's view of the grid: key to partition. */
    private static final class BlockPartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final RowBlocks grid;

        BlockPartitioner(RowBlocks grid) {
            this.grid = grid;
        }

        @Override
        public int numPartitions() {
            return grid.partitions;
        }

        @Override
        public int getPartition(Object key) {
            long k = (Long) key;
            return grid.partition[label(k)][block(k)];
        }

        @Override
        public boolean equals(Object o) {
            return o == this;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
    }
}
