package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** In-memory sources and selected views, against row-by-row copies of one matrix. */
class RowSourceTest {

    /** Row {@code i} of {@code m}, copied directly. */
    private static float[] row(FloatMatrix m, long i) {
        float[] r = new float[m.cols()];
        System.arraycopy(m.data(), (int) i * m.cols(), r, 0, m.cols());
        return r;
    }

    private static List<FloatMatrix> split(FloatMatrix m, int... sizes) {
        List<FloatMatrix> blocks = new ArrayList<>();
        int at = 0;
        for (int size : sizes) {
            blocks.add(m.selectRows(java.util.stream.IntStream.range(at, at + size).toArray()));
            at += size;
        }
        return blocks;
    }

    @Test
    void selectionsReadTheChosenRowsInOrderFromEveryRangeOfEverySource() {
        FloatMatrix m = TestRows.clustered(101, 7, 3);
        Random random = new Random(11);
        // Sorted runs, scattered, repeated and reversed indices; every range of the view.
        long[][] selections = {
            {0, 1, 2, 3, 50, 51, 52, 100},
            random.longs(37, 0, 101).toArray(),
            {5, 5, 5, 4, 3, 99, 100, 0},
            java.util.stream.LongStream.range(0, 101).toArray(),
        };
        for (RowSource source : List.of(RowSource.of(m), RowSource.ofBlocks(split(m, 13, 1, 60, 27)))) {
            for (long[] indices : selections) {
                RowSource view = source.select(indices);
                assertEquals(indices.length, view.rows());
                assertEquals(7, view.cols());
                for (int start = 0; start < indices.length; start += 3) {
                    for (int count : new int[] {0, 1, 2, indices.length - start}) {
                        if (start + count > indices.length) {
                            continue;
                        }
                        float[] out = new float[count * 7 + 5];
                        java.util.Arrays.fill(out, -9f);
                        view.read(start, count, out);
                        for (int k = 0; k < count; k++) {
                            float[] got = java.util.Arrays.copyOfRange(out, k * 7, k * 7 + 7);
                            assertArrayEquals(row(m, indices[start + k]), got,
                                    "view row " + (start + k));
                        }
                        for (int k = count * 7; k < out.length; k++) {
                            assertEquals(-9f, out[k], "past the rows read");
                        }
                    }
                }
                FloatMatrix whole = view.toMatrix();
                for (int k = 0; k < indices.length; k++) {
                    assertArrayEquals(row(m, indices[k]), row(whole, k));
                }
            }
        }
    }

    @Test
    void aViewOfAViewAndIntIndicesComposeTheSelections() {
        FloatMatrix m = TestRows.clustered(40, 3, 5);
        RowSource view = RowSource.of(m).select(new int[] {39, 2, 3, 4, 17}).select(new int[] {4, 1, 2});
        FloatMatrix got = view.toMatrix();
        assertArrayEquals(row(m, 17), row(got, 0));
        assertArrayEquals(row(m, 2), row(got, 1));
        assertArrayEquals(row(m, 3), row(got, 2));
    }

    @Test
    void badIndicesRangesAndValuesAreNamed() {
        FloatMatrix m = TestRows.clustered(10, 2, 1);
        IndexOutOfBoundsException outside = assertThrows(IndexOutOfBoundsException.class,
                () -> RowSource.of(m).select(new long[] {3, 10}));
        assertTrue(outside.getMessage().contains("row 10") && outside.getMessage().contains("10 rows"),
                outside.getMessage());
        RowSource view = RowSource.of(m).select(new long[] {1, 2});
        assertThrows(IndexOutOfBoundsException.class, () -> view.read(1, 2, new float[4]));
        assertThrows(IllegalArgumentException.class, () -> view.read(0, 2, new float[3]));
        m.data()[7 * 2 + 1] = Float.NaN;
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> RowSource.of(m).select(new long[] {0, 7}).read(0, 2, new float[4]));
        assertTrue(bad.getMessage().contains("row 7 column 1"), bad.getMessage());
    }
}
