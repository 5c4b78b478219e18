package io.synalign.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.RowSource;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@code .npy} row source (positional reads): the same rows as {@link NpyReader} for float32
 * and float64 in either byte order, read in ranges that cross reads of any size, values checked as
 * they are read; and rff aligned from it, with the chunk grid forced small and the features
 * recomputed every pass, gives the weights of the whole-array path.
 */
class NpyRowSourceTest {

    @TempDir
    Path dir;

    @AfterEach
    void clear() {
        System.clearProperty("synalign.rff.chunkRows");
    }

    private Path write(String name, String descr, ByteOrder order, int itemSize, int rows,
            int cols, double[] values) {
        return NpyFixtures.write(dir.resolve(name), NpyFixtures.file(NpyFixtures.dict(descr,
                false, "(" + rows + ", " + cols + ")"), NpyFixtures.data(values, itemSize, order)));
    }

    @ParameterizedTest(name = "{0}, reads of {1} bytes")
    @CsvSource({"<f4, 64", "<f4, 1000", ">f4, 200", "<f8, 64", ">f8, 1000000", "<f8, 8", "<f4, 12"})
    void readsTheRowsNpyReaderReadsInAnyRange(String descr, int segment) throws Exception {
        int rows = 53;
        int cols = 7;
        double[] values = NpyFixtures.gaussian(rows * cols, 5, 3.0);
        int item = descr.endsWith("4") ? 4 : 8;
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        Path file = write("m.npy", descr, order, item, rows, cols, values);
        FloatMatrix want = NpyReader.readMatrix(file);
        try (NpyRowSource source = NpyRowSource.open(file, segment)) {
            assertEquals(rows, source.rows());
            assertEquals(cols, source.cols());
            assertEquals(item, source.bytesPerStoredValue());
            assertEquals(want, source.toMatrix());
            Random random = new Random(1);
            for (int k = 0; k < 40; k++) {
                int start = random.nextInt(rows);
                int count = random.nextInt(rows - start + 1);
                float[] got = new float[count * cols + 3];
                source.read(start, count, got);
                for (int i = 0; i < count * cols; i++) {
                    assertEquals(want.data()[start * cols + i], got[i], 0f);
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> source.read(50, 4, new float[28]));
            // Split over up to 7 tasks of at least one float (ragged, across segments), and
            // with the production defaults: the same floats, and nothing past the range.
            for (int k = 0; k < 40; k++) {
                int start = random.nextInt(rows);
                int count = random.nextInt(rows - start + 1);
                for (int threads : new int[] {2, 7}) {
                    float[] got = new float[count * cols + 3];
                    java.util.Arrays.fill(got, -9f);
                    source.read(start, count, got, threads, 1 + k % 5);
                    float[] expected = java.util.Arrays.copyOfRange(want.data(), start * cols,
                            (start + count) * cols + 3);
                    java.util.Arrays.fill(expected, count * cols, expected.length, -9f);
                    assertArrayEquals(expected, got, "rows [" + start + ", +" + count + "), "
                            + threads + " threads");
                }
            }
        }
    }

    /**
     * A view of scattered rows (one label's rows) reads nearby rows together: the rows asked for,
     * in any order (ascending with gaps of every size, descending, repeated, beyond a read's
     * span), equal NpyReader's; a bad value in a row read through but not asked for is not
     * reported, one in a row asked for is, under the file's row.
     */
    @ParameterizedTest(name = "{0}, reads of {1} bytes")
    @CsvSource({"<f4, 1048576", "<f4, 200", ">f8, 4096", "<f8, 56", "<f4, 8"})
    void scatteredRowsReadTogetherAreTheRowsAskedFor(String descr, int readBytes) throws Exception {
        int rows = 97;
        int cols = 5;
        double[] values = NpyFixtures.gaussian(rows * cols, 12, 2.0);
        values[41 * cols + 3] = Double.NaN; // row 41: never asked for below, read through
        int item = descr.endsWith("4") ? 4 : 8;
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        Path file = write("scattered.npy", descr, order, item, rows, cols, values);
        float[] all = new float[rows * cols];
        for (int i = 0; i < all.length; i++) {
            all[i] = (float) values[i];
        }
        Random random = new Random(4);
        try (NpyRowSource source = NpyRowSource.open(file, readBytes)) {
            for (int trial = 0; trial < 30; trial++) {
                java.util.List<Long> picked = new java.util.ArrayList<>();
                for (long r = random.nextInt(3); r < rows; r += 1 + random.nextInt(trial % 3 == 0 ? 12 : 4)) {
                    if (r != 41) {
                        picked.add(r);
                    }
                }
                if (trial % 5 == 1) {
                    java.util.Collections.reverse(picked);
                } else if (trial % 5 == 2 && picked.size() > 2) {
                    picked.add(1, picked.get(0)); // a repeat
                }
                long[] indices = picked.stream().mapToLong(Long::longValue).toArray();
                float[] got = new float[indices.length * cols + 2];
                java.util.Arrays.fill(got, -5f);
                try (RowSource view = source.select(indices)) {
                    view.read(0, indices.length, got);
                }
                for (int k = 0; k < indices.length; k++) {
                    for (int c = 0; c < cols; c++) {
                        assertEquals(all[(int) indices[k] * cols + c], got[k * cols + c], 0f,
                                "trial " + trial + ", row " + indices[k]);
                    }
                }
                assertEquals(-5f, got[indices.length * cols], "nothing past the rows");
            }
            InputException e = assertThrows(InputException.class,
                    () -> source.select(new long[] {40, 41, 43}).read(0, 3, new float[15]));
            assertTrue(e.getMessage().contains("NaN at row 41, column 3"), e.getMessage());
        }
    }

    /** Split over tasks, the first bad value in row order is the one reported. */
    @Test
    void aSplitReadReportsTheFirstNonFiniteValue() throws Exception {
        double[] values = NpyFixtures.gaussian(40 * 3, 4, 1.0);
        values[31 * 3 + 1] = Double.POSITIVE_INFINITY;
        values[12 * 3 + 2] = Double.NaN;
        Path file = write("two.npy", "<f4", ByteOrder.LITTLE_ENDIAN, 4, 40, 3, values);
        try (NpyRowSource source = NpyRowSource.open(file, 90)) {
            InputException e = assertThrows(InputException.class,
                    () -> source.read(0, 40, new float[120], 8, 3));
            assertTrue(e.getMessage().contains("NaN at row 12, column 2"), e.getMessage());
        }
    }

    @Test
    void aNonFiniteValueIsReportedWithItsRowAndColumnWhenRead() throws Exception {
        double[] values = NpyFixtures.gaussian(30 * 4, 2, 1.0);
        values[17 * 4 + 2] = Double.NaN;
        Path file = write("nan.npy", "<f8", ByteOrder.LITTLE_ENDIAN, 8, 30, 4, values);
        try (NpyRowSource source = NpyRowSource.open(file, 100)) {
            source.read(0, 17, new float[17 * 4]);
            InputException e = assertThrows(InputException.class,
                    () -> source.read(10, 10, new float[40]));
            assertTrue(e.getMessage().contains("row 17") && e.getMessage().contains("column 2")
                    && e.getMessage().contains("nan.npy"), e.getMessage());
        }
    }

    /**
     * A file written again during a fit (np.save to the same path truncates it first): under a
     * memory mapping the fault came out later, inside the row reader's executor, and the run hung
     * for good in 4 of 5 tries. Read positionally, the shortened file is refused at the read,
     * naming it, and the source still answers for the rows that remain.
     */
    @Test
    void aFileShortenedWhileOpenIsRefusedAtTheReadNamingIt() throws Exception {
        double[] values = NpyFixtures.gaussian(64 * 8, 6, 1.0);
        Path file = write("shrinks.npy", "<f4", ByteOrder.LITTLE_ENDIAN, 4, 64, 8, values);
        FloatMatrix want = NpyReader.readMatrix(file);
        try (NpyRowSource source = NpyRowSource.open(file, 256)) {
            long keep = java.nio.file.Files.size(file) - 40 * 8 * 4 - 5;
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(keep);
            }
            float[] head = new float[10 * 8];
            source.read(0, 10, head);
            assertArrayEquals(java.util.Arrays.copyOf(want.data(), 80), head);
            for (int threads : new int[] {1, 3}) {
                InputException e = assertThrows(InputException.class,
                        () -> source.read(0, 64, new float[64 * 8], threads, 8));
                assertTrue(e.getMessage().contains("shrinks.npy")
                        && e.getMessage().contains("changed while being read"), e.getMessage());
            }
        }
    }

    /**
     * A read on a thread whose interrupt flag is set (the chunk reader restores the flag after
     * a wait, and a library caller may do anything): the channel read closed the file for every
     * later reader ("s.npy: null"). The read succeeds, the flag is kept, other threads read on.
     */
    @Test
    void aReadOnAnInterruptedThreadLeavesTheFileReadable() throws Exception {
        double[] values = NpyFixtures.gaussian(40 * 6, 8, 1.0);
        Path file = write("s.npy", "<f4", ByteOrder.LITTLE_ENDIAN, 4, 40, 6, values);
        FloatMatrix want = NpyReader.readMatrix(file);
        try (NpyRowSource source = NpyRowSource.open(file, 64)) {
            float[] got = new float[40 * 6];
            Thread.currentThread().interrupt();
            try {
                source.read(0, 40, got);
                assertTrue(Thread.currentThread().isInterrupted(), "the flag is kept");
            } finally {
                Thread.interrupted();
            }
            assertArrayEquals(want.data(), got);
            float[] other = new float[40 * 6];
            Thread reader = new Thread(() -> source.read(0, 40, other));
            reader.start();
            reader.join();
            assertArrayEquals(want.data(), other, "another thread reads on");
        }
    }

    @Test
    void aTruncatedFileIsRefusedWhenOpened() {
        Path file = NpyFixtures.write(dir.resolve("short.npy"), NpyFixtures.file(
                NpyFixtures.dict("<f4", false, "(10000000, 384)"), new byte[64]));
        InputException e = assertThrows(InputException.class, () -> NpyRowSource.open(file));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    /**
     * A header may claim any shape. Its byte count used to wrap: (2^30, 2^30) of float64 is 2^63
     * bytes, which wrapped to a negative count, passed the length check and mapped 2^30 segments
     * of a 192-byte file; (2^63 - 1, 4) wrapped and failed to map with a JVM message. Refused
     * when opened, naming the file and the shape.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = ';', value = {"<f8; (1073741824, 1073741824)",
            "<f4; (9223372036854775807, 4)", "<f4; (4611686018427387904, 4)",
            "<f4; (4, 4611686018427387904)", "<f8; (2305843009213693952, 1)"})
    void anAbsurdShapeIsRefusedWhenOpened(String descr, String shape) {
        Path file = NpyFixtures.write(dir.resolve("huge.npy"), NpyFixtures.file(
                NpyFixtures.dict(descr, false, shape), new byte[64]));
        InputException e = assertThrows(InputException.class, () -> NpyRowSource.open(file));
        assertTrue(e.getMessage().contains("huge.npy") && e.getMessage().contains(shape)
                && (e.getMessage().contains("more bytes than any file")
                        || e.getMessage().contains("more columns")), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"<f4", "<f8"})
    void rffFromTheStreamedFileEqualsTheWholeArrayPath(String descr) throws Exception {
        streamedFileEqualsTheWholeArrayPath(descr, AlignmentMethod.RFF);
    }

    /** nystrom streams the file too: its landmarks and K_SL chunks read from it. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"<f4", "<f8"})
    void nystromFromTheStreamedFileEqualsTheWholeArrayPath(String descr) throws Exception {
        streamedFileEqualsTheWholeArrayPath(descr, AlignmentMethod.NYSTROM);
    }

    private void streamedFileEqualsTheWholeArrayPath(String descr, AlignmentMethod method)
            throws Exception {
        int n = 701;
        int d = 16;
        Random random = new Random(9);
        double[] s = new double[n * d];
        for (int i = 0; i < n; i++) {
            double shift = i % 3 == 0 ? 2.0 : 0.0;
            for (int k = 0; k < d; k++) {
                s[i * d + k] = shift + random.nextGaussian();
            }
        }
        double[] r = NpyFixtures.gaussian(150 * d, 3, 1.0);
        int item = descr.endsWith("4") ? 4 : 8;
        Path sFile = write("s.npy", descr, ByteOrder.LITTLE_ENDIAN, item, n, d, s);
        FloatMatrix real = new FloatMatrix(150, d, NpyFixtures.float32(NpyFixtures.data(r, 4,
                ByteOrder.LITTLE_ENDIAN)));
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(method)
                .withFeatures(128).withSeed(2).withIterations(80, 1e-9);
        System.setProperty("synalign.rff.chunkRows", "64");
        try (KernelBackend backend = KernelBackends.create("nd4j");
                NpyRowSource source = NpyRowSource.open(sFile, 1000)) {
            AlignmentResult whole = new MmdWeightLearner(backend, config).fit(real,
                    NpyReader.readMatrix(sFile), ProgressListener.NONE);
            AlignmentResult streamed = new MmdWeightLearner(backend, config).fit(real,
                    (RowSource) source, ProgressListener.NONE);
            double largest = 0;
            for (double w : whole.weights()) {
                largest = Math.max(largest, w);
            }
            assertArrayEquals(whole.weights(), streamed.weights(), 1e-12 * largest);
            assertTrue(streamed.mmd2Weighted() < streamed.mmd2Uniform());
        }
    }
}
