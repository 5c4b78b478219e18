package io.synalign.kernels.nd4j;

import static io.synalign.kernels.OperatorArguments.checkFeatureDims;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.TilePlan;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The stateless primitives of the portable path (see {@link Nd4jPath#PORTABLE}): the output is
 * walked in row tiles of at most {@link TilePlan#DEFAULT_TILE_BYTES}, each tile one
 * {@code Nd4j.gemm} of augmented operands (norms, scale and phase inside the GEMM, as on the CPU
 * path), an in-place ND4J epilogue, and one copy to the caller's array. Cost O(n m d) flops;
 * memory two operand matrices plus at most two tiles, wherever ND4J keeps arrays.
 */
final class PortableBlocks {

    private PortableBlocks() {
    }

    /** out = epilogue(alpha * -||x_i - y_j||^2 / 2), one row tile at a time. */
    static void distances(FloatMatrix x, FloatMatrix y, float alpha, float[] out,
            Consumer<INDArray> epilogue) {
        int n = x.rows();
        int m = y.rows();
        if (n == 0 || m == 0) {
            return;
        }
        int tileRows = TilePlan.tileRowsFor(n, m, TilePlan.DEFAULT_TILE_BYTES);
        double[] centre = AugmentedRows.centre(x, y);
        INDArray left = PortableOperands.leftRows(x, centre);
        INDArray right = PortableOperands.rightRows(y, centre);
        FarPairs far = FarPairs.forAlpha(x, y, centre, alpha);
        try (PortableTiles tiles = new PortableTiles(n, tileRows, m)) {
            for (int start = 0; start < n; start += tileRows) {
                int count = Math.min(tileRows, n - start);
                INDArray tile = tiles.tile(count);
                Nd4j.gemm(PortableOperands.rows(left, start, start + count), right, tile, false,
                        true, alpha, 0.0);
                if (far != null) {
                    far.repair(start, count, 0, m, alpha, tile);
                }
                epilogue.accept(tile);
                System.arraycopy(PortableOperands.hostFloats(tile), 0, out, start * m, count * m);
            }
        } finally {
            Buffers.close(left, right);
        }
    }

    /**
     * out = X Y^T, one row tile of at most {@link TilePlan#DEFAULT_TILE_BYTES} at a time, each
     * one {@code Nd4j.gemm} (OpenBLAS SGEMM on the CPU). Used on both paths: no augmented
     * operands are needed, so the direct-OpenBLAS path would save only one copy per call.
     */
    static void innerProducts(FloatMatrix x, FloatMatrix y, float[] out) {
        int n = x.rows();
        int m = y.rows();
        if (n == 0 || m == 0) {
            return;
        }
        int tileRows = TilePlan.tileRowsFor(n, m, TilePlan.DEFAULT_TILE_BYTES);
        INDArray left = Nd4j.create(x.data(), new long[] {n, x.cols()}, 'c');
        INDArray right = Nd4j.create(y.data(), new long[] {m, y.cols()}, 'c');
        try (PortableTiles tiles = new PortableTiles(n, tileRows, m)) {
            for (int start = 0; start < n; start += tileRows) {
                int count = Math.min(tileRows, n - start);
                INDArray tile = tiles.tile(count);
                Nd4j.gemm(PortableOperands.rows(left, start, start + count), right, tile, false,
                        true, 1.0, 0.0);
                System.arraycopy(PortableOperands.hostFloats(tile), 0, out, start * m, count * m);
            }
        } finally {
            Buffers.close(left, right);
        }
    }

    /** out = sqrt(2 / D) cos([x_i, 1] . [Omega; b]), one row tile at a time. */
    static void fourierFeatures(FloatMatrix x, FourierFeatures map, float[] out) {
        checkFeatureDims(x, map);
        int n = x.rows();
        int features = map.features();
        if (n == 0) {
            return;
        }
        int tileRows = TilePlan.tileRowsFor(n, features, TilePlan.DEFAULT_TILE_BYTES);
        INDArray inputs = PortableOperands.fourierInputs(x, map);
        INDArray frequencies = PortableOperands.fourierMap(map);
        try (PortableTiles tiles = new PortableTiles(n, tileRows, features)) {
            for (int start = 0; start < n; start += tileRows) {
                int count = Math.min(tileRows, n - start);
                INDArray tile = tiles.tile(count);
                fourierTile(PortableOperands.rows(inputs, start, start + count), frequencies,
                        map.scale(), tile);
                System.arraycopy(PortableOperands.hostFloats(tile), 0, out, start * features,
                        count * features);
            }
        } finally {
            Buffers.close(inputs, frequencies);
        }
    }

    /** {@code tile = scale cos(inputs . frequencies)}: one GEMM, cos and scale in place. */
    static void fourierTile(INDArray inputs, INDArray frequencies, double scale, INDArray tile) {
        Nd4j.gemm(inputs, frequencies, tile, false, false, 1.0, 0.0);
        Transforms.cos(tile, false);
        tile.muli(scale);
    }
}
