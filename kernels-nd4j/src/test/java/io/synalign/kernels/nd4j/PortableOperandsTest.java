package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The portable path's distance operands ({@link PortableOperands#leftRows},
 * {@link PortableOperands#rightRows}) are filled in blocks of at most
 * {@link PortableOperands#FILL_FLOATS} floats staged on the heap, not from one heap array of
 * every augmented row (helper review35a).
 */
class PortableOperandsTest {

    private static FloatMatrix rows(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] data = new float[Math.multiplyExact(n, d)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (r.nextGaussian() * 3 + 1.5);
        }
        return new FloatMatrix(n, d, data);
    }

    /**
     * Filled in blocks, the operands hold the bits of the one array of every augmented row
     * ({@link AugmentedRows#host}, the arithmetic of both paths), left and right forms, at
     * awkward sizes: one row, a block exactly, one row past it, several blocks and a ragged
     * last one (depth 1,024: 256 rows a block; depth 5: 52,428).
     */
    @Test
    void blocksHoldTheBitsOfTheWholeArray() {
        int[][] shapes = {{1, 7}, {256, 1022}, {257, 1022}, {601, 1022}, {52_431, 3}};
        long seed = 1;
        for (int[] shape : shapes) {
            FloatMatrix x = rows(shape[0], shape[1], seed++);
            FloatMatrix y = rows(Math.max(1, shape[0] / 3), shape[1], seed++);
            double[] centre = AugmentedRows.centre(x, y);
            for (boolean left : new boolean[] {true, false}) {
                INDArray got = left ? PortableOperands.leftRows(x, centre)
                        : PortableOperands.rightRows(x, centre);
                try {
                    assertArrayEquals(AugmentedRows.host(x, centre, left),
                            PortableOperands.hostFloats(got),
                            shape[0] + " x " + shape[1] + (left ? " left" : " right"));
                } finally {
                    Buffers.close(got);
                }
            }
        }
    }

    /**
     * A portable kernel operator of 8,000 x 1,024 rows (32.8 MB of floats) under a 56 MiB heap
     * (a child JVM, {@link PortableOperatorUnderSmallHeap}): the rows and one block of staged
     * operands fit, the rows and a second copy of them as augmented rows (33.0 MB more) do not.
     * On the old code (one heap array of every augmented row) the child ran out of memory in
     * {@link AugmentedRows#host}.
     */
    @Test
    void anOperatorTakesNoSecondCopyOfItsRowsOnTheHeap(@TempDir Path dir)
            throws IOException, InterruptedException {
        String output = ChildJvm.run(dir, PortableOperatorUnderSmallHeap.class, "-Xmx56m",
                "-Dorg.bytedeco.javacpp.maxbytes=1g",
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=4g");
        assertTrue(output.contains("row sums of 8000 rows"), output);
    }
}
