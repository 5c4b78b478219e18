package io.synalign.kernels.nd4j;

import static io.synalign.kernels.OperatorArguments.checkFeatureDims;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Random Fourier features (Rahimi &amp; Recht, NIPS 2007) of a row set as one GEMM per row tile:
 * the rows are stored as {@code [x_i - c, 1]} (c the map's centre, if any) and the map as
 * {@code [Omega; b]} ((d + 1) x D), so the product is {@code (x_i - c) . omega_f + b_f} with the
 * phase added inside the GEMM; the epilogue is
 * {@code cos} then the scale {@code sqrt(2 / D)}, both in place. Cost 2 n D (d + 1) flops plus
 * n D cosines; memory (n + D)(d + 1) floats. Not thread-safe; close to free.
 */
final class FourierGemm implements AutoCloseable {

    private final int rows;
    private final int features;
    private final int depth;
    private final float scale;
    private final INDArray inputs;
    private final INDArray frequencies;
    private final FloatPointer inputsPtr;
    private final FloatPointer frequenciesPtr;
    /** Its centre is subtracted from every row as the rows are written. */
    private final FourierFeatures map;

    /**
     * Its own heap: ND4J's objects for the two operands (native memory) and this object; not
     * the map ({@link Nd4jFeatureOperator#heapBytes}, which holds one once it reloads).
     */
    long heapBytes() {
        return io.synalign.kernels.HeapBytes.object(5, 4 * Integer.BYTES)
                + 2 * Buffers.ARRAY_HEAP_BYTES;
    }

    FourierGemm(FloatMatrix x, FourierFeatures map) {
        this(checkedRows(x, map), map);
        setRows(x);
    }

    private static int checkedRows(FloatMatrix x, FourierFeatures map) {
        checkFeatureDims(x, map);
        return x.rows();
    }

    /**
     * Inputs for {@code rows} rows of the map's width, not yet written: a staging area that
     * {@link #setRows(FloatMatrix, int, int, int)} fills part by part (a block of rows handed
     * over in pieces, {@link Nd4jFeatureOperator}).
     */
    FourierGemm(int rows, FourierFeatures map) {
        this.rows = rows;
        this.features = map.features();
        int d = map.dim();
        this.depth = d + 1;
        this.scale = (float) map.scale();
        this.map = map;
        // The inputs are freed where the map's allocation fails (NativeScope).
        try (NativeScope scope = new NativeScope()) {
            this.inputs = scope.own(Buffers.floats((long) Math.max(1, rows) * depth));
            this.inputsPtr = Buffers.floatPointer(inputs);
            this.frequencies = scope.own(Buffers.floats((long) depth * features));
            this.frequenciesPtr = Buffers.floatPointer(frequencies);
            frequenciesPtr.put(map.omega(), 0, map.omega().length);
            OpenBlas.at(frequenciesPtr, (long) d * features).put(map.phase(), 0, features);
            scope.transfer();
        }
    }

    /**
     * Writes {@code x} (the same number of rows), less the map's centre if it has one, into the
     * augmented inputs, reusing them.
     */
    void setRows(FloatMatrix x) {
        if (x.rows() != rows || x.cols() + 1 != depth) {
            throw new IllegalArgumentException("rows of " + x.rows() + " x " + x.cols()
                    + " for inputs of " + rows + " x " + (depth - 1));
        }
        setRows(x, 0, rows, 0);
    }

    /**
     * Writes rows {@code [from, from + count)} of {@code x}, less the map's centre, into the
     * inputs' rows {@code [at, at + count)}: the values {@link #setRows(FloatMatrix)} writes for
     * those rows, so a block's GEMM over them is the same call on the same values.
     */
    void setRows(FloatMatrix x, int from, int count, int at) {
        if (x.cols() + 1 != depth || from < 0 || count < 0 || from + count > x.rows() || at < 0
                || at + count > rows) {
            throw new IllegalArgumentException("rows [" + from + ", " + (from + count) + ") of "
                    + x.rows() + " x " + x.cols() + " at row " + at + " of inputs of " + rows
                    + " x " + (depth - 1));
        }
        int d = depth - 1;
        float[] row = new float[depth];
        row[d] = 1f;
        for (int i = 0; i < count; i++) {
            map.centreRow(x.data(), from + i, row, 0);
            OpenBlas.at(inputsPtr, (long) (at + i) * depth).put(row, 0, depth);
        }
    }

    int rows() {
        return rows;
    }

    int features() {
        return features;
    }

    /**
     * Writes the features of rows {@code [start, start + count)} into {@code c} (row-major
     * {@code count x D}); {@code view} must be the ND4J view of exactly those elements.
     */
    void block(int start, int count, FloatPointer c, INDArray view) {
        if (count == 0) {
            return;
        }
        OpenBlas.gemmNN(count, features, depth, 1f, OpenBlas.at(inputsPtr, (long) start * depth),
                frequenciesPtr, c);
        Transforms.cos(view, false);
        view.muli(scale);
    }

    @Override
    public void close() {
        Buffers.close(inputs, frequencies);
    }
}
