package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

/**
 * The split heap/native copy against element-by-element reads and writes of the native memory;
 * needs only JavaCPP's own natives (plain {@code malloc}ed memory stands in for pinned memory).
 */
class HostCopyTest {

    /** Copy sizes: empty, one, below and above a task, ragged splits. */
    private static final int[] COUNTS = {0, 1, 6, 7, 97, 1_000, 4_099};
    /** (threads, minFloats): in line, split in 2, 3 and 7 tasks, capped by count/minFloats. */
    private static final int[][] SPLITS = {{1, 1}, {2, 1}, {3, 5}, {7, 1}, {16, 100}};

    @Test
    void putWritesExactlyTheRangeAtTheOffset() {
        SplittableRandom random = new SplittableRandom(11);
        for (int count : COUNTS) {
            for (int[] split : SPLITS) {
                int from = random.nextInt(5);
                float[] src = randomFloats(random, from + count + random.nextInt(4));
                long at = random.nextInt(9);
                int capacity = (int) at + count + 3;
                try (FloatPointer native_ = new FloatPointer(capacity)) {
                    for (int i = 0; i < capacity; i++) {
                        native_.put(i, -1f);
                    }
                    HostCopy.put(src, from, count, native_, at, split[0], split[1]);
                    String where = "count " + count + ", threads " + split[0] + ", min "
                            + split[1];
                    for (int i = 0; i < capacity; i++) {
                        float expected = i >= at && i < at + count ? src[from + i - (int) at]
                                : -1f;
                        assertEquals(expected, native_.get(i), where + ", float " + i);
                    }
                }
            }
        }
    }

    @Test
    void getReadsExactlyTheRangeIntoTheOffset() {
        SplittableRandom random = new SplittableRandom(12);
        for (int count : COUNTS) {
            for (int[] split : SPLITS) {
                long at = random.nextInt(9);
                int capacity = (int) at + count + random.nextInt(4);
                float[] values = randomFloats(random, capacity);
                int to = random.nextInt(5);
                float[] dst = new float[to + count + 2];
                java.util.Arrays.fill(dst, -1f);
                try (FloatPointer native_ = new FloatPointer(capacity)) {
                    for (int i = 0; i < capacity; i++) {
                        native_.put(i, values[i]);
                    }
                    HostCopy.get(native_, at, dst, to, count, split[0], split[1]);
                }
                String where = "count " + count + ", threads " + split[0] + ", min " + split[1];
                for (int i = 0; i < dst.length; i++) {
                    float expected = i >= to && i < to + count ? values[(int) at + i - to] : -1f;
                    assertEquals(expected, dst[i], where + ", element " + i);
                }
            }
        }
    }

    @Test
    void theDefaultSplitCopiesALargeTile() {
        // Above PARALLEL_FLOATS per core on any machine with two or more: the pooled path.
        int count = (int) (2 * HostCopy.PARALLEL_FLOATS + 13);
        SplittableRandom random = new SplittableRandom(13);
        float[] src = randomFloats(random, count);
        float[] back = new float[count];
        try (FloatPointer native_ = new FloatPointer(count)) {
            HostCopy.put(src, 0, count, native_, 0);
            for (int i = 0; i < count; i += 9_973) {
                assertEquals(src[i], native_.get(i), "float " + i);
            }
            assertEquals(src[count - 1], native_.get(count - 1));
            HostCopy.get(native_, 0, back, 0, count);
        }
        for (int i = 0; i < count; i++) {
            if (back[i] != src[i]) {
                assertEquals(src[i], back[i], "element " + i);
            }
        }
    }

    /**
     * A centred map's rows: element (i, k) written is {@code x[first + i][k] - c[k]} in float32
     * (and the row itself for an uncentred map), at the offset, nothing outside the range; row
     * counts below, at and above a task and a batch ({@link HostCopy#CENTRED_BATCH_FLOATS}).
     */
    @Test
    void putCentredWritesEachRowLessTheCentre() {
        SplittableRandom random = new SplittableRandom(14);
        int[] dims = {1, 7, 384};
        int[] rowCounts = {0, 1, 5, 43, 97};
        for (int d : dims) {
            io.synalign.kernels.FourierFeatures plain =
                    io.synalign.kernels.FourierFeatures.sample(d, 3, 1, d);
            float[] c = randomFloats(random, d);
            for (int k = 0; k < d; k++) {
                c[k] += 1e4f;
            }
            for (io.synalign.kernels.FourierFeatures map : new io.synalign.kernels.FourierFeatures[] {
                    plain, plain.centredAt(c)}) {
                for (int count : rowCounts) {
                    for (int[] split : SPLITS) {
                        int first = random.nextInt(3);
                        float[] src = randomFloats(random, (first + count + 1) * d);
                        for (int i = 0; i < src.length; i++) {
                            src[i] += 1e4f;
                        }
                        long at = random.nextInt(9);
                        int capacity = (int) at + count * d + 3;
                        try (FloatPointer native_ = new FloatPointer(capacity)) {
                            for (int i = 0; i < capacity; i++) {
                                native_.put(i, -1f);
                            }
                            HostCopy.putCentred(map, src, first, count, native_, at, split[0],
                                    split[1] * d);
                            String where = "d " + d + ", centred " + map.centred() + ", rows "
                                    + count + ", threads " + split[0];
                            for (int i = 0; i < capacity; i++) {
                                float expected = -1f;
                                if (i >= at && i < at + (long) count * d) {
                                    int e = i - (int) at;
                                    float x = src[first * d + e];
                                    expected = map.centred() ? x - c[e % d] : x;
                                }
                                assertEquals(expected, native_.get(i), where + ", float " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void badRangesAreRefusedBeforeAnyCopy() {
        float[] src = {1, 2, 3};
        try (FloatPointer native_ = new FloatPointer(8)) {
            native_.put(0, 9f);
            assertThrows(IndexOutOfBoundsException.class,
                    () -> HostCopy.put(src, 1, 3, native_, 0, 2, 1));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> HostCopy.get(native_, 0, src, -1, 2, 2, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> HostCopy.put(src, 0, 3, native_, -1, 2, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> HostCopy.put(src, 0, 3, new FloatPointer(), 0, 2, 1));
            assertEquals(9f, native_.get(0), "nothing written");
        }
    }

    private static float[] randomFloats(SplittableRandom random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian() * 100;
        }
        return out;
    }
}
