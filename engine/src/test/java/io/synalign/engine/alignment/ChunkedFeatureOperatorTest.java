package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The read-ahead of {@link ChunkedFeatureOperator}: recomputed chunks are read one ahead on one
 * reader thread, one read at a time, in the order of the passes, only the chunks a pass uses;
 * the products are bit-identical to reading in line (all kept); a read's exception reaches the
 * caller unchanged; no thread is left after close, and none is started when all is kept.
 */
class ChunkedFeatureOperatorTest {

    private static final int N = 103;
    private static final int D = 6;
    private static final int CHUNK = 10; // 11 chunks, the last of 3 rows

    static List<String> backends() {
        return TestBackends.available();
    }

    @AfterEach
    void clearChunkSize() {
        System.clearProperty("synalign.rff.chunkRows");
    }

    /** One read: who, which rows, and whether another read was running meanwhile. */
    record Read(Thread thread, long start, int count, boolean overlapped) {
    }

    /** A source that records its reads, and throws {@code failure} on reads of {@code badRow}. */
    static final class RecordingSource implements RowSource {
        final FloatMatrix rows;
        final List<Read> reads = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger active = new AtomicInteger();
        long badRow = -1;
        Supplier<RuntimeException> failure;

        RecordingSource(FloatMatrix rows) {
            this.rows = rows;
        }

        @Override
        public long rows() {
            return rows.rows();
        }

        @Override
        public int cols() {
            return rows.cols();
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public void read(long start, int count, float[] out) {
            boolean overlapped = active.incrementAndGet() > 1;
            try {
                Thread.sleep(2); // a slow page fault: lets a read overlap if it can
                reads.add(new Read(Thread.currentThread(), start, count, overlapped));
                if (badRow >= start && badRow < start + count) {
                    throw failure.get();
                }
                System.arraycopy(rows.data(), (int) start * cols(), out, 0, count * cols());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                active.decrementAndGet();
            }
        }
    }

    private static double[] products(ChunkedFeatureOperator op, double[] w, double[] z,
            int passes) {
        double[] out = new double[passes * (op.features() + N)];
        int at = 0;
        for (int p = 0; p < passes; p++) {
            double[] t = new double[op.features()];
            op.transposeTimes(w, t);
            System.arraycopy(t, 0, out, at, t.length);
            at += t.length;
            double[] u = new double[N];
            op.times(z, u);
            System.arraycopy(u, 0, out, at, N);
            at += N;
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void recomputedChunksAreReadAheadInOrderOneAtATimeWithTheSameResults(String backendName) {
        System.setProperty("synalign.rff.chunkRows", Integer.toString(CHUNK));
        Random random = new Random(3);
        FloatMatrix x = TestBackends.gaussian(N, D, random, 1.0, 0.0);
        FourierFeatures map = FourierFeatures.sample(D, 16, 1.3, 7);
        double[] w = TestBackends.randomSimplexPoint(N, random);
        double[] z = new double[16];
        for (int f = 0; f < z.length; f++) {
            z[f] = random.nextGaussian();
        }
        Thread caller = Thread.currentThread();
        try (KernelBackend backend = TestBackends.create(backendName)) {
            long chunkBytes = ChunkedFeatureOperator.chunkBytes(backend, 16, D);
            RecordingSource inLine = new RecordingSource(x);
            double[] expected;
            try (ChunkedFeatureOperator all = new ChunkedFeatureOperator(backend, inLine, map,
                    Long.MAX_VALUE, ProgressListener.NONE)) {
                assertEquals(11, all.chunks());
                assertEquals(11, all.keptChunks());
                expected = products(all, w, z, 3);
                // Everything kept: read once, in line, and no reader thread.
                assertEquals(11, inLine.reads.size());
                for (Read read : inLine.reads) {
                    assertSame(caller, read.thread());
                }
            }
            for (int keep : new int[] {0, 3}) {
                RecordingSource source = new RecordingSource(x);
                Thread reader;
                try (ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, source, map,
                        keep * chunkBytes, ProgressListener.NONE)) {
                    assertEquals(keep, op.keptChunks());
                    int passes = 3;
                    assertArrayEquals(expected, products(op, w, z, passes), "keep " + keep);
                    // The kept chunks once, then every pass reads chunks keep..10 in order.
                    List<Long> starts = new ArrayList<>();
                    for (int c = 0; c < keep; c++) {
                        starts.add((long) c * CHUNK);
                    }
                    for (int p = 0; p < 2 * passes; p++) {
                        for (int c = keep; c < 11; c++) {
                            starts.add((long) c * CHUNK);
                        }
                    }
                    List<Read> reads = new ArrayList<>(source.reads);
                    assertEquals(starts, reads.stream().map(Read::start).toList());
                    reader = null;
                    for (int i = 0; i < reads.size(); i++) {
                        Read read = reads.get(i);
                        assertFalse(read.overlapped(), "one read at a time: " + i);
                        assertEquals(read.start() == 100 ? 3 : CHUNK, read.count());
                        int c = (int) (read.start() / CHUNK);
                        // Kept chunks, and with none kept the first chunk of a pass, are read
                        // by the caller; every other recomputed chunk was read ahead.
                        boolean ahead = i >= keep && (keep > 0 || c > 0);
                        if (ahead) {
                            assertEquals(ChunkedFeatureOperator.READER_THREAD,
                                    read.thread().getName(), "read " + i);
                            assertTrue(read.thread().isDaemon());
                            if (reader == null) {
                                reader = read.thread();
                            }
                            assertSame(reader, read.thread(), "one reader thread");
                        } else {
                            assertSame(caller, read.thread(), "read " + i);
                        }
                    }
                    assertTrue(reader != null && reader.isAlive());
                }
                assertFalse(reader.isAlive(), "the reader thread ends on close");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aReadersExceptionReachesTheCallerUnchanged(String backendName) {
        System.setProperty("synalign.rff.chunkRows", Integer.toString(CHUNK));
        FloatMatrix x = TestBackends.gaussian(N, D, new Random(5), 1.0, 0.0);
        FourierFeatures map = FourierFeatures.sample(D, 8, 1.1, 2);
        List<Supplier<RuntimeException>> failures = List.of(
                () -> new IllegalArgumentException("recording: row 57 column 2 is NaN"),
                () -> new UncheckedIOException("recording: cannot read rows 50..60",
                        new IOException("Input/output error")));
        try (KernelBackend backend = TestBackends.create(backendName)) {
            for (Supplier<RuntimeException> failure : failures) {
                for (int keep : new int[] {0, 2}) {
                    RecordingSource source = new RecordingSource(x);
                    source.badRow = 57; // chunk 5, read ahead while chunk 4 is used
                    source.failure = failure;
                    RuntimeException expected = failure.get();
                    ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, source, map,
                            keep * ChunkedFeatureOperator.chunkBytes(backend, 8, D),
                            ProgressListener.NONE);
                    Thread reader;
                    try {
                        for (int pass = 0; pass < 2; pass++) {
                            RuntimeException e = assertThrows(RuntimeException.class,
                                    () -> op.transposeTimes(new double[N], new double[8]));
                            assertSame(expected.getClass(), e.getClass());
                            assertEquals(expected.getMessage(), e.getMessage());
                            if (e instanceof UncheckedIOException io) {
                                assertEquals("Input/output error", io.getCause().getMessage());
                            }
                            e = assertThrows(RuntimeException.class,
                                    () -> op.times(new double[8], new double[N]));
                            assertEquals(expected.getMessage(), e.getMessage());
                        }
                        Read bad = source.reads.get(source.reads.size() - 1);
                        assertEquals(50, bad.start());
                        reader = bad.thread();
                        assertEquals(ChunkedFeatureOperator.READER_THREAD, reader.getName());
                    } finally {
                        op.close();
                    }
                    assertFalse(reader.isAlive(), "no thread after close");
                    // Chunks past the bad one were never read.
                    for (Read read : source.reads) {
                        assertTrue(read.start() <= 50, "read past the failure: " + read);
                    }
                }
            }
        }
    }

    /**
     * Operators that cannot reload (nystrom's) are built per recomputed chunk and closed after
     * use: none stays open between chunks, and the products equal those of the kept chunks.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void operatorsThatCannotReloadAreClosedAfterEachChunk(String backendName) {
        System.setProperty("synalign.rff.chunkRows", Integer.toString(CHUNK));
        Random random = new Random(5);
        FloatMatrix x = TestBackends.gaussian(N, D, random, 1.0, 0.0);
        double[] w = TestBackends.randomSimplexPoint(N, random);
        double[] z = new double[16];
        for (int f = 0; f < z.length; f++) {
            z[f] = random.nextGaussian();
        }
        try (KernelBackend backend = TestBackends.create(backendName)) {
            RowFeatureMap fourier = RowFeatureMap.fourier(backend,
                    FourierFeatures.sample(D, 16, 1.3, 7));
            AtomicInteger open = new AtomicInteger();
            AtomicInteger mostOpen = new AtomicInteger();
            RowFeatureMap noReload = new OpenCountingFeatureMap(fourier, open, mostOpen);
            double[] expected;
            try (ChunkedFeatureOperator all = new ChunkedFeatureOperator(backend,
                    RowSource.of(x), fourier, Long.MAX_VALUE, ProgressListener.NONE)) {
                expected = products(all, w, z, 2);
            }
            try (ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, RowSource.of(x),
                    noReload, 0, ProgressListener.NONE)) {
                assertArrayEquals(expected, products(op, w, z, 2));
                assertEquals(0, open.get(), "no operator is left open between products");
            }
            assertEquals(1, mostOpen.get(), "one recomputed operator at a time");
            assertEquals(0, open.get());
        }
    }

    /**
     * A chunk's rows are read into one {@code float[]}, whatever the backend's feature budget:
     * cuda's 1 GiB of features at D = 16 is 16.7 M rows, 6.4e9 floats at d = 384, and a chunk
     * that large threw {@code ArithmeticException} (integer overflow) once the synthetic set had
     * more than 5.6 M rows. Below the cap the backend's answer stands.
     */
    @org.junit.jupiter.api.Test
    void aChunksRowsFitOneJavaArrayWhateverTheBackendsFeatureBudget() {
        try (KernelBackend reference = io.synalign.kernels.KernelBackends.create("reference")) {
            KernelBackend roomy = (KernelBackend) java.lang.reflect.Proxy.newProxyInstance(
                    KernelBackend.class.getClassLoader(), new Class<?>[] {KernelBackend.class},
                    (proxy, method, args) -> method.getName().equals("featureChunkRows")
                            ? Integer.MAX_VALUE - 8 : method.invoke(reference, args));
            for (int d : new int[] {1, 7, 384, 4097}) {
                long rows = ChunkedFeatureOperator.chunkRows(roomy, 16, d, false);
                // The array's cap, or the heap's share of a chunk (heap33) where that is less.
                assertEquals(Math.min((Integer.MAX_VALUE - 8L) / d, ChunkedFeatureOperator
                        .heapRows(Runtime.getRuntime().maxMemory(), d)), rows, "d = " + d);
                assertTrue(rows * d <= Integer.MAX_VALUE - 8, "d = " + d);
                // rff, built from pieces: the array's cap alone (helper chunkgrid34).
                assertEquals((Integer.MAX_VALUE - 8L) / d,
                        ChunkedFeatureOperator.chunkRows(roomy, 16, d), "d = " + d);
            }
            long heapRows = ChunkedFeatureOperator.heapRows(Runtime.getRuntime().maxMemory(), 384);
            for (int features : new int[] {2, 16, 1024}) { // D = 1 at d = 384: the cap binds
                assertEquals(Math.min(reference.featureChunkRows(features), heapRows),
                        ChunkedFeatureOperator.chunkRows(reference, features, 384, false));
                assertEquals(reference.featureChunkRows(features),
                        ChunkedFeatureOperator.chunkRows(reference, features, 384));
            }
            // The reference's 16 MiB of double features at D = 1 is 2.1 M rows (chunkgrid34b):
            // 8.6e9 floats at d = 4,097, so the array's cap binds.
            assertEquals(Math.min((Integer.MAX_VALUE - 8L) / 4097, ChunkedFeatureOperator
                    .heapRows(Runtime.getRuntime().maxMemory(), 4097)),
                    ChunkedFeatureOperator.chunkRows(reference, 1, 4097, false));
            assertEquals((Integer.MAX_VALUE - 8L) / 4097,
                    ChunkedFeatureOperator.chunkRows(reference, 1, 4097));
        }
    }
}
