package io.synalign.io;

import io.synalign.kernels.RowSource;
import io.synalign.kernels.host.ParallelRanges;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A 2-D float32 or float64 {@code .npy} file (C order, either byte order; the checks of
 * {@link NpyReader}) as a {@link RowSource} of any length: the data is memory-mapped in segments
 * of whole rows of at most {@value #DEFAULT_SEGMENT_BYTES} bytes, mapped once when opened, and
 * {@link #read} copies rows out of the mapping (narrowing float64 to float32), so the rows are
 * read from the file (or the page cache) block by block and never held whole on the heap. A
 * 10^7 x 384 float32 file (15.4 GB) is 15 mappings of address space, not of memory.
 *
 * <p>Values are checked as they are read: NaN, an infinity, or a float64 beyond the float32 range
 * is an {@link InputException} naming the file, the row and the column. Not thread-safe (one
 * reader at a time, as the engine reads).
 */
public final class NpyRowSource implements RowSource {

    private static final org.slf4j.Logger LOG =
            org.slf4j.LoggerFactory.getLogger(NpyRowSource.class);

    /** Largest mapped segment: 1 GiB (a mapping may not exceed 2 GiB). */
    static final long DEFAULT_SEGMENT_BYTES = 1L << 30;

    private final Path file;
    private final FileChannel channel;
    private final long rows;
    private final int cols;
    private final int itemSize;
    private final ByteOrder order;
    private final long rowsPerSegment;
    private final MappedByteBuffer[] segments;

    private NpyRowSource(Path file, FileChannel channel, long rows, int cols, NpyDtype dtype,
            long dataOffset, long segmentBytes) throws IOException {
        this.file = file;
        this.channel = channel;
        this.rows = rows;
        this.cols = cols;
        this.itemSize = dtype.itemSize();
        this.order = dtype.order();
        long rowBytes = (long) cols * itemSize;
        this.rowsPerSegment = Math.max(1, segmentBytes / rowBytes);
        int count = (int) ((rows + rowsPerSegment - 1) / rowsPerSegment);
        this.segments = new MappedByteBuffer[count];
        for (int s = 0; s < count; s++) {
            long first = s * rowsPerSegment;
            long length = Math.min(rowsPerSegment, rows - first) * rowBytes;
            segments[s] = channel.map(FileChannel.MapMode.READ_ONLY, dataOffset + first * rowBytes,
                    length);
        }
    }

    /**
     * Opens {@code file} after checking its header, dtype, order, rank, emptiness and length.
     *
     * @throws InputException on any problem with the file
     * @throws IOException on an I/O failure
     */
    public static NpyRowSource open(Path file) throws IOException {
        return open(file, DEFAULT_SEGMENT_BYTES);
    }

    /** With a given segment size, so tests can put rows across many segments. */
    static NpyRowSource open(Path file, long segmentBytes) throws IOException {
        FileChannel ch = NpyReader.open(file);
        try {
            NpyHeader h = NpyReader.header(file, ch);
            NpyDtype dt = h.requireFloatDtype(file);
            h.requireCOrder(file);
            h.requireRank(file, 2);
            h.requireNonEmpty(file);
            long[] shape = h.shape();
            if (shape[1] > Integer.MAX_VALUE - 8) {
                throw new InputException(file, "array of shape " + h.shapeText()
                        + " has more columns than SynAlign takes");
            }
            // A header may claim any shape: its byte count is computed without wrapping, so
            // a short file with an absurd shape is refused as truncated, not mapped.
            long count = h.elementCount();
            long needed = count < 0 || count > Long.MAX_VALUE / dt.itemSize()
                    ? -1 : count * dt.itemSize();
            if (needed < 0) {
                throw new InputException(file, "array of shape " + h.shapeText() + " of "
                        + dt.typeName() + " has more bytes than any file can hold");
            }
            long present = Math.max(0, ch.size() - h.dataOffset());
            if (present < needed) {
                throw NpyReader.truncated(file, h, dt, needed, present);
            }
            if (present > needed) {
                // As NpyReader says it: a file cut from a longer one, or the wrong shape.
                LOG.warn("{}: {} bytes after the array data are ignored", file, present - needed);
            }
            return new NpyRowSource(file, ch, shape[0], (int) shape[1], dt, h.dataOffset(),
                    segmentBytes);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public long rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public String name() {
        return file.toString();
    }

    /** 4 for float32, 8 for float64: the bytes a value takes in the file. */
    @Override
    public int bytesPerStoredValue() {
        return itemSize;
    }

    @Override
    public void read(long start, int count, float[] out) {
        RowSource.checkRead(this, start, count, out);
        read(start, count, out, PARALLELISM, PARALLEL_FLOATS);
    }

    /**
     * {@link #read} split over at most {@code threads} tasks of at least {@code minFloats}
     * floats each (tests force small tasks).
     */
    void read(long start, int count, float[] out, int threads, long minFloats) {
        int tasks = ParallelRanges.tasks((long) count * cols, threads, minFloats);
        // A large read (a GPU chunk is up to 10^8 floats) is split over threads: one thread
        // copies and checks about 2.8 GB/s from the page cache, and on a GPU host the cores are
        // otherwise idle while the device computes. Each task writes its own rows of out; the
        // error reported is the first bad value in row order, as a sequential read gives, and
        // all tasks have finished writing out before this returns (a mapped file truncated
        // under the mapping raises InternalError, which is caught like the rest).
        ParallelRanges.run(count, tasks, (from, to) -> copy(start + from, to - from, out, from));
    }

    /** Threads a large read is split over. */
    private static final int PARALLELISM = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** Floats per thread, at least, before a read is split (4 MiB of float32). */
    static final long PARALLEL_FLOATS = 1L << 20;

    /**
     * Copies rows {@code [start, start + count)} to {@code out} from row {@code outRow} on,
     * checking every value. Touches only the mapping and that range of out, so disjoint
     * ranges may be copied concurrently.
     */
    private void copy(long start, int count, float[] out, int outRow) {
        long row = start;
        int written = 0;
        while (written < count) {
            int s = (int) (row / rowsPerSegment);
            long local = row - s * rowsPerSegment;
            int take = (int) Math.min(count - written, rowsPerSegment - local);
            ByteBuffer view = segments[s].duplicate().order(order);
            view.position((int) (local * cols * itemSize));
            int values = take * cols;
            int at = (outRow + written) * cols;
            if (itemSize == 4) {
                FloatBuffer floats = view.asFloatBuffer();
                floats.get(out, at, values);
                for (int k = 0; k < values; k++) {
                    if (!Float.isFinite(out[at + k])) {
                        throw NpyReader.nonFinite(file, out[at + k], row * cols + k, cols);
                    }
                }
            } else {
                DoubleBuffer doubles = view.asDoubleBuffer();
                for (int k = 0; k < values; k++) {
                    double v = doubles.get(k);
                    float f = (float) v;
                    if (!Float.isFinite(f)) {
                        long i = row * cols + k;
                        if (!Double.isFinite(v)) {
                            throw NpyReader.nonFinite(file, v, i, cols);
                        }
                        throw new InputException(file, "value " + v + " at row " + i / cols
                                + ", column " + i % cols + " is too large for float32");
                    }
                    out[at + k] = f;
                }
            }
            written += take;
            row += take;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
