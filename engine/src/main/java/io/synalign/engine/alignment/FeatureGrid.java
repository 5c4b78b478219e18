package io.synalign.engine.alignment;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;

/**
 * The fixed row grids of the random-feature ({@code rff}) objective, public so that a
 * distributed implementation (the Spark job) can compute every sum over the same blocks in the
 * same order and get the single machine's results to the last bit, whatever its partitioning:
 * <ul>
 *   <li>{@code Phi_S}: label-local synthetic rows in chunks of {@link #syntheticChunkRows} rows
 *       (a function of the backend, D and the rows' width d; a backend that cannot build a
 *       chunk's features from pieces of its rows, {@code KernelBackend.featureRowsInPieces}
 *       false (cuda), also of the JVM's {@code -Xmx} at wide rows or
 *       small heaps: its chunk's rows are kept within 1/16 of the heap's maximum, helpers
 *       heap33 and chunkgrid34); {@code Phi_S^T w} is the
 *       chunks' D-vectors added in double in chunk order, starting from zeros
 *       ({@link #add});</li>
 *   <li>{@code mu_R}: real rows in blocks of {@link #realBlockRows} rows (a function of m and D);
 *       each block's feature rows are summed in double in row order ({@link #blockFeatureSum}),
 *       the block sums added in block order, then scaled by 1/m.</li>
 * </ul>
 */
public final class FeatureGrid {

    private FeatureGrid() {
    }

    /**
     * Rows per chunk of {@code Phi_S} on {@code backend} with D features of rows with d columns,
     * in this JVM. On the reference backend and nd4j (both paths) it does not depend on the heap
     * (the engine reads a chunk's rows in pieces instead, helper chunkgrid34), so executors of
     * any heap and a single machine of any heap cut the same blocks. On a backend that cannot
     * build from pieces (cuda), where the heap's share binds (d = 384 at
     * D = 1,024 below a 201 MB heap, wider rows sooner) it depends on {@code -Xmx}, so a
     * distributed caller asks the JVMs that build the chunks (the Spark job asks an executor)
     * and matches a single machine to the last bit only under the same heap there.
     */
    public static int syntheticChunkRows(KernelBackend backend, int features, int cols) {
        return ChunkedFeatureOperator.chunkRows(backend, features, cols);
    }

    /**
     * Rows handed to {@code backend} at once when it builds the features of a chunk of
     * {@code chunkRows} rows of {@code cols} columns: the engine's read block, at most 1/16 of
     * this JVM's heap in rows and at most the chunk ({@code ChunkedFeatureOperator.readRows},
     * with its test seam {@code -Dsynalign.rff.heapBytes}), where the backend builds a chunk's
     * operator from pieces of its rows to the bits of the whole chunk
     * ({@link KernelBackend#featureRowsInPieces}: the reference and nd4j); the whole chunk where it
     * cannot (cuda, whose chunk is capped at that share of the heap instead:
     * {@link #syntheticChunkRows}). So a distributed caller (the Spark executors) holds a chunk's
     * rows in pieces of this size by the same rule as the single machine, and gets the same bits
     * whatever its heap. O(1).
     */
    public static int pieceRows(KernelBackend backend, int chunkRows, int cols) {
        return backend.featureRowsInPieces() ? ChunkedFeatureOperator.readRows(chunkRows, cols)
                : chunkRows;
    }

    /**
     * The engine's read block alone ({@link #pieceRows} without the backend): at most 1/16 of
     * this JVM's heap in rows of {@code cols} columns, at most {@code chunkRows}, at least 1.
     */
    public static int readRows(int chunkRows, int cols) {
        return ChunkedFeatureOperator.readRows(chunkRows, cols);
    }

    /** Rows per block of R when computing {@code mu_R} over m real rows with D features. */
    public static int realBlockRows(int m, int features) {
        return MmdObjectives.featureBlockRows(m, features);
    }

    /**
     * The sum of the rows' feature vectors, in double, in row order.
     *
     * @throws IllegalArgumentException when a row holds a value that is not finite, naming its
     *     row in this block and its column ("block row 7 column 2 is NaN"): a backend may
     *     assume finite rows, and a NaN here made every sum NaN
     */
    public static double[] blockFeatureSum(KernelBackend backend, FloatMatrix rows,
            FourierFeatures map) {
        // O(rows d) beside the O(rows d D) of the features: cheap even per block on executors.
        rows.requireFinite("block");
        int features = map.features();
        float[] out = new float[Math.multiplyExact(rows.rows(), features)];
        backend.randomFourierFeatures(rows, map, out);
        double[] sum = new double[features];
        for (int r = 0; r < rows.rows(); r++) {
            int base = r * features;
            for (int f = 0; f < features; f++) {
                sum[f] += out[base + f];
            }
        }
        return sum;
    }

    /** {@code acc[i] = acc[i] + part[i]}: how block results combine, in block order. */
    public static void add(double[] acc, double[] part) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += part[i];
        }
    }
}
