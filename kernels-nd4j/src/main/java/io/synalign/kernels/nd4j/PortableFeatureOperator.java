package io.synalign.kernels.nd4j;

import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.HeapBytes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The stored random-feature matrix {@code Phi} (n x D, float32) of the portable path
 * ({@link Nd4jPath#PORTABLE}), built once by one GEMM of {@code [x_i, 1]} against
 * {@code [Omega; b]} and an in-place cos and scale; {@code Phi^T w} and {@code Phi z} are one
 * matrix-vector {@code Nd4j.gemm} each, O(n D). INDArray operations only. Not thread-safe.
 */
final class PortableFeatureOperator extends AbstractFeatureOperator {

    private final int rows;
    private final int features;
    private final INDArray phi;
    private final INDArray rowResult;
    private final INDArray featureResult;

    PortableFeatureOperator(FloatMatrix x, FourierFeatures map, BackendLifetime backend) {
        // Dimensions checked by Nd4jBackend.fourierFeatureOperator, its only caller.
        super(x.rows(), map.features(), backend);
        this.rows = x.rows();
        this.features = map.features();
        // Phi and the results are the scope's until the end (freed where one is refused or the
        // build fails); the GEMM's operands are always freed when the build ends.
        try (NativeScope scope = new NativeScope()) {
            this.phi = scope.own(Buffers.allocate(() -> Nd4j.createUninitialized(DataType.FLOAT,
                    Math.max(1, rows), features)));
            if (rows > 0) {
                try (NativeScope operands = new NativeScope()) {
                    INDArray inputs = operands.own(PortableOperands.fourierInputs(x, map));
                    INDArray frequencies = operands.own(PortableOperands.fourierMap(map));
                    PortableBlocks.fourierTile(inputs, frequencies, map.scale(), phi);
                }
            }
            this.rowResult = scope.own(Buffers.allocate(() -> Nd4j.create(DataType.FLOAT,
                    Math.max(1, rows), 1)));
            this.featureResult = scope.own(Buffers.allocate(() -> Nd4j.create(DataType.FLOAT,
                    features, 1)));
            scope.transfer();
        }
    }

    /**
     * Its own heap: ND4J's objects for Phi and the two result arrays (native memory) and this
     * object ({@link io.synalign.kernels.FeatureOperator#heapBytes}).
     */
    @Override
    public long heapBytes() {
        return HeapBytes.object(4, 2 * Integer.BYTES + 1) + 3 * Buffers.ARRAY_HEAP_BYTES;
    }

    @Override
    protected void transposeTimesChecked(double[] w, double[] out) {
        INDArray column = PortableOperands.column(w);
        try {
            Nd4j.gemm(phi, column, featureResult, true, false, 1.0, 0.0);
        } finally {
            Buffers.close(column);
        }
        widen(PortableOperands.hostFloats(featureResult), out);
    }

    @Override
    protected void timesChecked(double[] z, double[] out) {
        INDArray column = PortableOperands.column(z);
        try {
            Nd4j.gemm(phi, column, rowResult, false, false, 1.0, 0.0);
        } finally {
            Buffers.close(column);
        }
        widen(PortableOperands.hostFloats(rowResult), out);
    }

    private static void widen(float[] src, double[] dst) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] = src[i];
        }
    }

    @Override
    protected void release() {
        Buffers.close(phi, rowResult, featureResult);
    }
}
