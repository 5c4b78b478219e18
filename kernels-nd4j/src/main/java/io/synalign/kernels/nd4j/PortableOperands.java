package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The GEMM operands of the portable path, built on the Java heap and handed to ND4J with
 * {@code Nd4j.create(float[], shape, FLOAT)} (which copies them to wherever the backend keeps
 * arrays, device memory included; the distance operands a block of at most
 * {@link #FILL_FLOATS} floats at a time), plus the few INDArray helpers every portable class
 * uses.
 *
 * <p>The distance operands are the augmented rows of {@link DistanceGemm}, about a common centre (a coordinate-wise median)
 * of the two sets ({@link AugmentedRows}):
 * {@code left_i = [x_i, -||x_i||^2 / 2, 1]}, {@code right_j = [y_j, 1, -||y_j||^2 / 2]}, so
 * {@code alpha left_i . right_j = -alpha ||x_i - y_j||^2 / 2} in one GEMM, the norms summed in
 * double and rounded once, exactly as on the CPU path. No method here touches a native pointer.
 */
final class PortableOperands {

    private PortableOperands() {
    }

    /** {@code [x_i, -||x_i||^2 / 2, 1]} about {@code centre}, an {@code n x (d + 2)} matrix. */
    static INDArray leftRows(FloatMatrix x, double[] centre) {
        return augmented(x, centre, true);
    }

    /** {@code [y_j, 1, -||y_j||^2 / 2]} about {@code centre}, an {@code m x (d + 2)} matrix. */
    static INDArray rightRows(FloatMatrix y, double[] centre) {
        return augmented(y, centre, false);
    }

    /**
     * Floats of augmented rows staged on the heap at once ({@link #augmented}): 1 MiB.
     */
    static final int FILL_FLOATS = 1 << 18;

    /**
     * The rows of {@code m} augmented about {@code centre} ({@link AugmentedRows#row}), an
     * {@code n x (d + 2)} matrix filled in blocks of at most {@link #FILL_FLOATS} floats: each
     * block is written on the heap, copied to ND4J ({@link #matrix}) and assigned into its rows.
     * Why blocks (helper review35a): the whole n (d + 2) floats were one heap array beside the
     * caller's n d, a second copy of the rows that no heap rule counts, so the exact MMD^2
     * report after a nystrom fit on this path, whose rows the read rule admits within half the
     * heap, ran out of memory at {@code -Xmx96m} (10,000 x 1,024 rows: 41 MB and 41 MB more).
     * The same values as one array (each row's own arithmetic), so the same bits; the cost is
     * one more copy of the rows (native to native) and one small allocation a block. Inputs of
     * one block or less are still one array.
     */
    private static INDArray augmented(FloatMatrix m, double[] centre, boolean left) {
        int n = m.rows();
        int depth = DistanceGemm.depthFor(m.cols());
        int blockRows = Math.max(1, FILL_FLOATS / depth);
        if (n <= blockRows) {
            return matrix(AugmentedRows.host(m, centre, left), n, depth);
        }
        float[] block = new float[blockRows * depth];
        INDArray out = Buffers.allocate(() -> Nd4j.createUninitialized(DataType.FLOAT, n,
                depth));
        try {
            for (int start = 0; start < n; start += blockRows) {
                int count = Math.min(blockRows, n - start);
                for (int i = 0; i < count; i++) {
                    AugmentedRows.row(m, start + i, centre, left, block, i * depth);
                }
                INDArray staged = matrix(count == blockRows ? block
                        : java.util.Arrays.copyOf(block, count * depth), count, depth);
                try {
                    rows(out, start, start + count).assign(staged);
                } finally {
                    Buffers.close(staged);
                }
            }
        } catch (RuntimeException | Error e) {
            Buffers.close(out); // nobody holds it yet
            throw e;
        }
        return out;
    }

    /**
     * {@code [x_i - c, 1]} (c the map's centre, if any) as an {@code n x (d + 1)} matrix: the
     * phase rides inside the GEMM.
     */
    static INDArray fourierInputs(FloatMatrix x, FourierFeatures map) {
        int d = x.cols();
        int depth = d + 1;
        float[] out = new float[Math.multiplyExact(x.rows(), depth)];
        for (int i = 0; i < x.rows(); i++) {
            map.centreRow(x.data(), i, out, i * depth);
            out[i * depth + d] = 1f;
        }
        return matrix(out, x.rows(), depth);
    }

    /** {@code [Omega; b]} as a {@code (d + 1) x D} matrix. */
    static INDArray fourierMap(FourierFeatures map) {
        int d = map.dim();
        int features = map.features();
        float[] out = new float[Math.multiplyExact(d + 1, features)];
        System.arraycopy(map.omega(), 0, out, 0, map.omega().length);
        System.arraycopy(map.phase(), 0, out, d * features, features);
        return matrix(out, d + 1, features);
    }

    /** A {@code rows x cols} float32 matrix holding {@code data} (row-major, copied). */
    static INDArray matrix(float[] data, int rows, int cols) {
        return Buffers.allocate(() -> Nd4j.create(data, new long[] {rows, cols}, DataType.FLOAT));
    }

    /** {@code v} rounded to float32, as a {@code v.length x 1} column. */
    static INDArray column(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return matrix(f, v.length, 1);
    }

    /** Rows {@code [from, to)} of a matrix: a view, no copy. */
    static INDArray rows(INDArray matrix, long from, long to) {
        if (from == 0 && to == matrix.rows()) {
            return matrix;
        }
        return matrix.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /** The values of a dense matrix or vector, row-major, on the Java heap. */
    static float[] hostFloats(INDArray a) {
        return a.reshape(a.length()).toFloatVector();
    }
}
