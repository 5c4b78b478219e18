package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.nio.FloatBuffer;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link FarPairs} repairs exactly the entries its error bound names, wherever the far rows and
 * columns are: checked against a brute force over every entry of every tile, in double, with
 * tiles at awkward offsets and every storage a tile comes in (heap, native buffer, INDArray).
 */
class FarPairsTest {

    /**
     * @param farRows rows of x moved far from the centre (every {@code farRows}-th, 0 for none)
     * @param farCols likewise for y
     */
    @ParameterizedTest(name = "far rows every {0}, far columns every {1}, sigma {2}")
    @CsvSource({"0, 0, 1.0", "0, 17, 1.0", "13, 0, 1.0", "7, 11, 1.0", "0, 0, 0.01", "5, 0, 0.01",
        "0, 0, -1", "9, 4, -1"})
    void everyEntryWhoseBoundMattersIsRecomputedAndNoOther(int farRows, int farCols,
            double sigma) {
        Random random = new Random(31L * farRows + farCols);
        int d = 13;
        FloatMatrix x = rows(random, 47, d, farRows);
        FloatMatrix y = withNearCopies(rows(random, 39, d, farCols), x, random);
        double[] centre = AugmentedRows.centre(x, y);
        placeMidPair(x, y, centre); // (one row of each moved: the median centre stays)
        centre = AugmentedRows.centre(x, y);
        float alpha = sigma < 0 ? -2f : (float) (1 / (sigma * sigma));
        FarPairs pairs = new FarPairs(x, y, centre);
        int total = 0;
        int[][] tiles = {{0, 47, 0, 39}, {3, 20, 5, 29}, {46, 1, 38, 1}, {11, 17, 0, 1}};
        for (int[] t : tiles) {
            int rowStart = t[0];
            int rowCount = t[1];
            int colStart = t[2];
            int colCount = t[3];
            float[] heap = tile(x, y, alpha, rowStart, rowCount, colStart, colCount);
            boolean[] expected = brute(x, y, centre, alpha, heap, rowStart, rowCount, colStart,
                    colCount);
            int expectedCount = 0;
            for (boolean b : expected) {
                expectedCount += b ? 1 : 0;
            }
            total += expectedCount;

            float[] onHeap = heap.clone();
            assertEquals(expectedCount,
                    pairs.repair(rowStart, rowCount, colStart, colCount, alpha, onHeap));
            check(x, y, alpha, heap, onHeap, expected, rowStart, colStart, colCount, "heap");

            try (FloatPointer pointer = new FloatPointer(heap.length + 9)) {
                pointer.put(new float[9]).position(9).put(heap, 0, heap.length);
                pointer.position(9);
                FloatBuffer buffer = DistanceGemm.floats(pointer, heap.length);
                assertEquals(expectedCount,
                        pairs.repair(rowStart, rowCount, colStart, colCount, alpha, buffer));
                float[] back = new float[heap.length];
                pointer.get(back);
                check(x, y, alpha, heap, back, expected, rowStart, colStart, colCount, "native");
            }

            INDArray array = Nd4j.create(heap.clone(), new long[] {rowCount, colCount}, 'c')
                    .castTo(DataType.FLOAT);
            assertEquals(expectedCount,
                    pairs.repair(rowStart, rowCount, colStart, colCount, alpha, array));
            check(x, y, alpha, heap, PortableOperands.hostFloats(array), expected, rowStart,
                    colStart, colCount, "INDArray");
        }
        assertTrue(total > 0, "the case exercises repairs");
    }

    /**
     * Pairs that need a repair at {@code sigma = 1} where only one row is far: x's row 1 and
     * y's row 4 on one ray from the centre, at squared radii 0.9 and 1.2 times the half limit
     * (only y's row is a far column, the sum is over the limit); x's row 3 and y's row 7 the
     * other way round.
     */
    private static void placeMidPair(FloatMatrix x, FloatMatrix y, double[] centre) {
        double eps = 6e-8 * (2 + Math.sqrt(x.cols() + 2.0));
        double half = FarPairs.EXPONENT_TOLERANCE / eps / 2;
        place(x, 1, centre, 1, Math.sqrt(0.9 * half));
        place(y, 4, centre, 1, Math.sqrt(1.2 * half));
        place(x, 3, centre, 2, Math.sqrt(1.2 * half)); // and the other way round
        place(y, 7, centre, 2, Math.sqrt(0.9 * half));
    }

    /** Row {@code i} of {@code m} := the centre moved by {@code radius} along axis {@code k}. */
    private static void place(FloatMatrix m, int i, double[] centre, int k, double radius) {
        for (int c = 0; c < m.cols(); c++) {
            m.data()[i * m.cols() + c] = (float) centre[c];
        }
        m.data()[i * m.cols() + k] += (float) radius;
    }

    /** {@code y} with every third row a copy of a row of {@code x} moved by about 1e-3. */
    private static FloatMatrix withNearCopies(FloatMatrix y, FloatMatrix x, Random random) {
        int d = y.cols();
        float[] data = y.data().clone();
        for (int j = 0; j < y.rows(); j += 3) {
            int i = (j * 5 + 2) % x.rows();
            for (int k = 0; k < d; k++) {
                data[j * d + k] = x.data()[i * d + k] + (float) (1e-3 * random.nextGaussian());
            }
        }
        return new FloatMatrix(y.rows(), d, data);
    }

    /** Rows N(0, 1); every {@code every}-th from row 2 moved 3e3 along one coordinate. */
    private static FloatMatrix rows(Random random, int n, int d, int every) {
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        if (every > 0) {
            for (int i = 2; i < n; i += every) {
                data[i * d + (i % d)] += 3e3f;
            }
        }
        return new FloatMatrix(n, d, data);
    }

    /**
     * A tile as a float32 GEMM would leave it, made here as the double value with a relative
     * error of 1e-3, so a repair and an untouched entry are told apart.
     */
    private static float[] tile(FloatMatrix x, FloatMatrix y, float alpha, int rowStart,
            int rowCount, int colStart, int colCount) {
        float[] t = new float[rowCount * colCount];
        for (int i = 0; i < rowCount; i++) {
            for (int j = 0; j < colCount; j++) {
                double exact = -alpha * half(x, y, rowStart + i, colStart + j);
                t[i * colCount + j] = (float) (exact * (1 + 1e-3));
            }
        }
        return t;
    }

    /** The entries the documented bound selects, decided entry by entry in double. */
    private static boolean[] brute(FloatMatrix x, FloatMatrix y, double[] centre, float alpha,
            float[] t, int rowStart, int rowCount, int colStart, int colCount) {
        double eps = 6e-8 * (2 + Math.sqrt(x.cols() + 2.0));
        boolean[] out = new boolean[t.length];
        for (int i = 0; i < rowCount; i++) {
            for (int j = 0; j < colCount; j++) {
                double bound = eps * (r(x, rowStart + i, centre) + r(y, colStart + j, centre));
                double e = t[i * colCount + j];
                out[i * colCount + j] = alpha > 0
                        ? alpha * bound > FarPairs.EXPONENT_TOLERANCE
                                && e + alpha * bound > -FarPairs.NEGLIGIBLE_EXPONENT
                        : 2 * bound > FarPairs.DISTANCE_TOLERANCE * Math.abs(e);
            }
        }
        return out;
    }

    private static void check(FloatMatrix x, FloatMatrix y, float alpha, float[] before,
            float[] after, boolean[] expected, int rowStart, int colStart, int colCount,
            String where) {
        for (int index = 0; index < before.length; index++) {
            int i = rowStart + index / colCount;
            int j = colStart + index % colCount;
            if (expected[index]) {
                assertEquals((float) (-alpha * half(x, y, i, j)), after[index], 0f,
                        where + ": entry (" + i + ", " + j + ") recomputed in double");
            } else {
                assertEquals(before[index], after[index], 0f,
                        where + ": entry (" + i + ", " + j + ") left as it was");
            }
        }
    }

    private static double r(FloatMatrix m, int i, double[] centre) {
        double s = 0;
        for (int k = 0; k < m.cols(); k++) {
            double v = m.data()[i * m.cols() + k] - centre[k];
            s += v * v;
        }
        return s;
    }

    private static double half(FloatMatrix x, FloatMatrix y, int i, int j) {
        double s = 0;
        for (int k = 0; k < x.cols(); k++) {
            double v = (double) x.data()[i * x.cols() + k] - y.data()[j * y.cols() + k];
            s += v * v;
        }
        return s / 2;
    }
}
