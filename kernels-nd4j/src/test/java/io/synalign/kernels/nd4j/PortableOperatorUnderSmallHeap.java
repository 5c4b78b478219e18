package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.Random;

/**
 * Run by {@link PortableOperandsTest} in a child JVM with a small heap: builds a tiled kernel
 * operator of the portable path on 8,000 x 1,024 rows against 16, takes its row sums and
 * prints them; an {@link OutOfMemoryError} ends the child with a non-zero status.
 */
final class PortableOperatorUnderSmallHeap {

    private PortableOperatorUnderSmallHeap() {
    }

    public static void main(String[] args) {
        int n = 8_000;
        int d = 1_024;
        Random random = new Random(35);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        FloatMatrix x = new FloatMatrix(n, d, data);
        float[] few = new float[16 * d];
        for (int i = 0; i < few.length; i++) {
            few[i] = (float) random.nextGaussian();
        }
        FloatMatrix y = new FloatMatrix(16, d, few);
        try (Nd4jBackend backend = new Nd4jBackend(Nd4jPath.PORTABLE);
                KernelOperator op = backend.rbfOperator(x, y, 40.0, TilePlan.tiled(512))) {
            double[] sums = new double[n];
            op.rowSums(sums);
            System.out.println("row sums of " + n + " rows, the first " + sums[0]);
        }
    }
}
