package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.host.HostVector;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelOperator#multiplyEach} gives, bit for bit, what one product per vector gives:
 * the nd4j tiled operator's shared pass (each block's GEMM and exp once, a GEMV per vector), its
 * kept operator's and the reference backend's loop, on awkward sizes with several column blocks.
 */
class MultiplyEachTest {

    private static FloatMatrix rows(int n, int d, long seed) {
        return GaussianRows.of(n, d, seed, 0.7);
    }

    private static double[][] vectors(int count, int m, long seed) {
        Random r = new Random(seed);
        double[][] w = new double[count][m];
        for (double[] v : w) {
            for (int j = 0; j < m; j++) {
                v[j] = r.nextDouble() - 0.3;
            }
        }
        return w;
    }

    private static void assertEachEqualsOneByOne(KernelOperator op, double[][] ws) {
        int n = op.rows();
        DeviceVector[] in = new DeviceVector[ws.length];
        DeviceVector[] out = new DeviceVector[ws.length];
        for (int k = 0; k < ws.length; k++) {
            in[k] = new HostVector(ws[k].clone());
            out[k] = new HostVector(new double[n]);
        }
        op.multiplyEach(in, out);
        for (int k = 0; k < ws.length; k++) {
            double[] alone = new double[n];
            op.multiply(ws[k], alone);
            assertArrayEquals(alone, HostVector.array(out[k]), 0.0, "vector " + k);
            assertArrayEquals(ws[k], HostVector.array(in[k]), 0.0, "input " + k + " unchanged");
        }
    }

    @Test
    void aTiledPassForSeveralVectorsGivesTheBitsOfOneProductEach() {
        FloatMatrix x = rows(157, 13, 1);
        FloatMatrix y = rows(211, 13, 2);
        // Tiles of 8 rows: blocks of an eighth of a tile, many rows and column blocks.
        try (KernelOperator cross = new Nd4jKernelOperator(x, y, 1.9, TilePlan.tiled(8), null);
                KernelOperator self = new Nd4jKernelOperator(y, y, 1.9, TilePlan.tiled(8), null)) {
            assertEachEqualsOneByOne(cross, vectors(3, 211, 3));
            assertEachEqualsOneByOne(self, vectors(2, 211, 4));
            assertEachEqualsOneByOne(cross, vectors(1, 211, 5));
        }
        // A flat kernel: every block shifted, the shifted pieces' sums added per vector.
        try (Nd4jKernelOperator cross = new Nd4jKernelOperator(x, y, 190, TilePlan.tiled(8), null);
                Nd4jKernelOperator self = new Nd4jKernelOperator(y, y, 190, TilePlan.tiled(8),
                        null)) {
            assertEachEqualsOneByOne(cross, vectors(3, 211, 6));
            assertEachEqualsOneByOne(self, vectors(2, 211, 7));
            org.junit.jupiter.api.Assertions.assertTrue(cross.shiftedPieces() > 0
                    && self.shiftedPieces() > 0, "no piece shifted");
        }
    }

    @Test
    void keptAndReferenceOperatorsLoop() {
        FloatMatrix x = rows(61, 7, 6);
        FloatMatrix y = rows(47, 7, 7);
        try (KernelOperator kept = new Nd4jKernelOperator(x, y, 1.3, new TilePlan(true, 16), null);
                ReferenceBackend reference = new ReferenceBackend();
                KernelOperator ref = reference.rbfOperator(x, y, 1.3, TilePlan.tiled(4))) {
            assertEachEqualsOneByOne(kept, vectors(3, 47, 8));
            assertEachEqualsOneByOne(ref, vectors(3, 47, 9));
        }
    }

    @Test
    void mismatchedVectorsAreRefused() {
        FloatMatrix x = rows(20, 5, 10);
        try (KernelOperator op = new Nd4jKernelOperator(x, x, 1.0, TilePlan.tiled(4), null)) {
            DeviceVector[] two = {new HostVector(new double[20]), new HostVector(new double[20])};
            DeviceVector[] one = {new HostVector(new double[20])};
            assertThrows(IllegalArgumentException.class, () -> op.multiplyEach(two, one));
            DeviceVector[] shortOut = {new HostVector(new double[20]), new HostVector(new double[19])};
            assertThrows(IllegalArgumentException.class, () -> op.multiplyEach(two, shortOut));
        }
    }
}
