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

    /**
     * Shards of awkward, uneven sizes (empty ones too) read as the whole: every range that
     * starts in or spans any part, and a view over the concatenation.
     */
    @Test
    void aConcatenationReadsEveryRangeAcrossItsPartsAsTheWhole() {
        FloatMatrix m = TestRows.clustered(97, 5, 7);
        FloatMatrix none = FloatMatrix.zeros(0, 5);
        List<FloatMatrix> blocks = split(m, 13, 17, 1, 39, 27);
        List<RowSource> parts = List.of(RowSource.of(none),
                RowSource.ofBlocks(blocks.subList(0, 2)), RowSource.of(none),
                RowSource.of(blocks.get(2)), RowSource.ofBlocks(blocks.subList(3, 5)),
                RowSource.of(none));
        // The default buffer, and one of two rows (later parts read in slices, ragged too).
        for (RowSource whole : List.of(RowSource.concat(parts), new ConcatenatedRows(parts, 12))) {
            readsAsTheWhole(m, whole);
        }
    }

    private static void readsAsTheWhole(FloatMatrix m, RowSource whole) {
        assertEquals(97, whole.rows());
        assertEquals(5, whole.cols());
        for (int start = 0; start <= 97; start++) {
            for (int count = 0; start + count <= 97; count += count < 4 ? 1 : 9) {
                float[] out = new float[count * 5 + 3];
                java.util.Arrays.fill(out, -9f);
                whole.read(start, count, out);
                for (int k = 0; k < count; k++) {
                    assertArrayEquals(row(m, start + k),
                            java.util.Arrays.copyOfRange(out, k * 5, k * 5 + 5),
                            "rows [" + start + ", +" + count + ") row " + k);
                }
                for (int k = count * 5; k < out.length; k++) {
                    assertEquals(-9f, out[k], "past the rows read");
                }
            }
        }
        assertArrayEquals(m.data(), whole.toMatrix().data());
        FloatMatrix picked = whole.select(new long[] {96, 29, 30, 31, 0}).toMatrix();
        assertArrayEquals(row(m, 30), row(picked, 2));
        assertArrayEquals(row(m, 96), row(picked, 0));
    }

    @Test
    void aConcatenationNamesABadPartAndClosesEveryPart() {
        FloatMatrix a = TestRows.clustered(6, 3, 1);
        FloatMatrix b = TestRows.clustered(4, 3, 2);
        IllegalArgumentException cols = assertThrows(IllegalArgumentException.class,
                () -> RowSource.concat(List.of(RowSource.of(a), named(TestRows.clustered(2, 4, 3),
                        "second.npy", new int[1]))));
        assertTrue(cols.getMessage().contains("second.npy has 4 columns"), cols.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RowSource.concat(List.of()));
        int[] closed = new int[1];
        b.data()[2 * 3 + 1] = Float.NaN;
        RowSource both = RowSource.concat(List.of(named(a, "first.npy", closed),
                named(b, "second.npy", closed)));
        assertTrue(both.name().contains("first.npy") && both.name().contains("second.npy"),
                both.name());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> both.read(5, 4, new float[12]));
        assertTrue(bad.getMessage().contains("second.npy row 2 column 1"), bad.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> both.read(8, 3, new float[9]));
        assertThrows(IllegalArgumentException.class, () -> both.read(0, 3, new float[8]));
        both.close();
        assertEquals(2, closed[0], "both parts closed");
        RowSource one = RowSource.of(a);
        assertTrue(RowSource.concat(List.of(one)) == one, "a single part is itself");
    }

    @Test
    void aFailingCloseOfOnePartStillClosesTheOthers() {
        FloatMatrix a = TestRows.clustered(3, 2, 1);
        int[] closed = new int[1];
        InternalError first = new InternalError("unmapping first.npy");
        IllegalStateException second = new IllegalStateException("closing third.npy");
        RowSource all = RowSource.concat(List.of(failingClose(a, first, closed),
                named(a, "second.npy", closed), failingClose(a, second, closed),
                named(a, "fourth.npy", closed)));
        InternalError thrown = assertThrows(InternalError.class, all::close);
        assertTrue(thrown == first, "the first failure is thrown");
        assertEquals(List.of(second), List.of(thrown.getSuppressed()), "the later one suppressed");
        assertEquals(4, closed[0], "every part's close was called");
    }

    @Test
    void aRangeBeyondTheLastRowIsNamedWithoutOverflow() {
        RowSource rows = RowSource.of(TestRows.clustered(4, 2, 1));
        IndexOutOfBoundsException huge = assertThrows(IndexOutOfBoundsException.class,
                () -> rows.read(Long.MAX_VALUE, 1, new float[2]));
        assertTrue(huge.getMessage().startsWith("rows [" + Long.MAX_VALUE + ", " + Long.MAX_VALUE
                + " + 1) of 4"), huge.getMessage());
        IndexOutOfBoundsException past = assertThrows(IndexOutOfBoundsException.class,
                () -> rows.read(3, 2, new float[4]));
        assertTrue(past.getMessage().startsWith("rows [3, 5) of 4"), past.getMessage());
    }

    /** {@code m}'s rows whose close counts in {@code closed[0]}, then throws {@code failure}. */
    private static RowSource failingClose(FloatMatrix m, Throwable failure, int[] closed) {
        return named(m, "failing", () -> {
            closed[0]++;
            if (failure instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) failure;
        });
    }

    /** {@code m}'s rows under {@code name}, counting closes in {@code closed[0]}. */
    private static RowSource named(FloatMatrix m, String name, int[] closed) {
        return named(m, name, () -> closed[0]++);
    }

    /** {@code m}'s rows under {@code name}, running {@code onClose} when closed. */
    private static RowSource named(FloatMatrix m, String name, Runnable onClose) {
        RowSource inner = RowSource.ofBlocks(List.of(m, FloatMatrix.zeros(0, m.cols())));
        return new RowSource() {
            @Override
            public long rows() {
                return inner.rows();
            }

            @Override
            public int cols() {
                return inner.cols();
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public void read(long start, int count, float[] out) {
                try {
                    inner.read(start, count, out);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(e.getMessage().replace(inner.name(), name));
                }
            }

            @Override
            public void close() {
                onClose.run();
            }
        };
    }
}
