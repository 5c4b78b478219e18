package io.synalign.io;

import io.synalign.kernels.RowSource;
import io.synalign.kernels.host.ParallelRanges;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A 2-D float32 or float64 {@code .npy} file (C order, either byte order; the checks of
 * {@link NpyReader}) as a {@link RowSource} of any length: {@link #read} reads the rows asked for
 * with positional reads of the file channel, at most {@value #BUFFER_BYTES} bytes at a time into
 * a buffer of the reading thread, and converts them (narrowing float64 to float32), so the rows
 * are read from the file (or the page cache) block by block and never held whole on the heap.
 *
 * <p>Why not a memory mapping (as before): a file truncated under a mapping (an {@code np.save}
 * to the same path during a fit) faults in compiled code, and the JVM raises that fault later, at
 * an unpredictable point: inside the row reader's executor, whose queue lock it left without an
 * owner, so the run hung for good. A positional read of a shortened file returns fewer bytes,
 * which is refused at once naming the file. The reads cost one copy more (kernel to buffer, then
 * to the rows), against a page fault per 4 KiB of a mapping.
 *
 * <p>Values are checked as they are read: NaN, an infinity, or a float64 beyond the float32 range
 * is an {@link InputException} naming the file, the row and the column. Opened with a
 * {@link NarrowingCentre}, every value is read less the centre, subtracted in double block by
 * block as the values are narrowed ({@link NpyReader#floats}), so a float64 file far from the
 * origin keeps its spread. {@link #readExact} reads one row in double, uncentred. Not
 * thread-safe (one reader at a time, as the engine reads; one read may itself be split over
 * threads).
 */
public final class NpyRowSource implements RowSource {

    /** Bytes of one positional read, at most: 1 MiB, a whole number of float64 values. */
    static final int BUFFER_BYTES = 1 << 20;

    /** Each reading thread's buffer (direct: a heap buffer would be copied once more). */
    private static final ThreadLocal<ByteBuffer> BUFFERS =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BUFFER_BYTES));

    private final Path file;
    /** Replaced when an interrupt closed it ({@link #reopen}). */
    private volatile FileChannel channel;
    private volatile boolean closed;
    private final long rows;
    private final int cols;
    private final int itemSize;
    private final ByteOrder order;
    private final long dataOffset;
    private final int bufferBytes;
    /** Subtracted from each row before narrowing; null: none. */
    private final double[] centre;

    private NpyRowSource(Path file, FileChannel channel, long rows, int cols, NpyDtype dtype,
            long dataOffset, int bufferBytes, double[] centre) {
        this.file = file;
        this.channel = channel;
        this.rows = rows;
        this.cols = cols;
        this.itemSize = dtype.itemSize();
        this.order = dtype.order();
        this.dataOffset = dataOffset;
        this.bufferBytes = bufferBytes - bufferBytes % 8;
        this.centre = centre;
    }

    /**
     * Opens {@code file} after checking its header, dtype, order, rank, emptiness and length.
     *
     * @throws InputException on any problem with the file
     * @throws IOException on an I/O failure
     */
    public static NpyRowSource open(Path file) throws IOException {
        return open(file, BUFFER_BYTES, NarrowingCentre.NONE);
    }

    /**
     * Opens {@code file} as {@link #open(Path)} does, its values to be read less {@code centre}
     * ({@link NarrowingCentre}).
     *
     * @throws InputException on any problem with the file
     * @throws IllegalArgumentException when the centre has another column count than the file
     * @throws IOException on an I/O failure
     */
    public static NpyRowSource open(Path file, NarrowingCentre centre) throws IOException {
        return open(file, BUFFER_BYTES, centre);
    }

    /** {@link #open(Path, int, NarrowingCentre)} with no centre. */
    static NpyRowSource open(Path file, int bufferBytes) throws IOException {
        return open(file, bufferBytes, NarrowingCentre.NONE);
    }

    /**
     * With reads of at most {@code bufferBytes} (8 to {@value #BUFFER_BYTES}; rounded down to a
     * multiple of 8), so tests can split rows across reads.
     */
    static NpyRowSource open(Path file, int bufferBytes, NarrowingCentre centre)
            throws IOException {
        if (bufferBytes < 8 || bufferBytes > BUFFER_BYTES) {
            throw new IllegalArgumentException("read size " + bufferBytes);
        }
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
                NpyReader.warnTrailingBytes(file, present - needed);
            }
            centre.requireColumns((int) shape[1], file.toString());
            return new NpyRowSource(file, ch, shape[0], (int) shape[1], dt, h.dataOffset(),
                    bufferBytes, centre.columns());
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
        // copies and checks a few GB/s from the page cache, and on a GPU host the cores are
        // otherwise idle while the device computes. Each task writes its own rows of out; the
        // error reported is the first bad value in row order, as a sequential read gives, and
        // all tasks have finished writing out before this returns.
        ParallelRanges.run(count, tasks, (from, to) -> copy(start + from, to - from, out, from));
    }

    /** Threads a large read is split over. */
    private static final int PARALLELISM = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** Floats per thread, at least, before a read is split (4 MiB of float32). */
    static final long PARALLEL_FLOATS = 1L << 20;

    /**
     * Copies rows {@code [start, start + count)} to {@code out} from row {@code outRow} on,
     * checking every value. Touches only the file (positional reads) and that range of out, so
     * disjoint ranges may be copied concurrently.
     */
    private void copy(long start, int count, float[] out, int outRow) {
        ByteBuffer buffer = BUFFERS.get();
        long first = start * cols; // the first value's index in the array
        long values = (long) count * cols;
        int at = outRow * cols;
        long done = 0;
        while (done < values) {
            int take = (int) Math.min(values - done, bufferBytes / itemSize);
            buffer.clear().limit(take * itemSize);
            fill(buffer, dataOffset + (first + done) * itemSize);
            buffer.flip();
            convert(buffer, 0, take, first + done, out, at);
            at += take;
            done += take;
        }
    }

    /** A gap of at most this many rows between two rows asked for is read through. */
    static final int GAP_READ_THROUGH = 8;

    /**
     * Reads the rows asked for in spans: rows in increasing order with gaps of at most
     * {@value #GAP_READ_THROUGH} rows are read with one positional read of the span (up to the
     * read size) and only the rows asked for are converted and checked. One label's rows
     * scattered through a file (a sixth of 100,000 rows at d = 384) were one system call each,
     * about 2.5 times the time of copying them from a mapping; reading up to 8 times the bytes
     * in large reads costs less than a call per row. Rows wider than a read go one by one.
     */
    @Override
    public void readRows(long[] indices, int from, int count, float[] out) {
        long rowBytes = (long) cols * itemSize;
        int perRead = (int) Math.min(Integer.MAX_VALUE, bufferBytes / rowBytes);
        if (perRead < 2) {
            RowSource.super.readRows(indices, from, count, out);
            return;
        }
        if (out.length < (long) count * cols) {
            throw new IllegalArgumentException("out holds " + out.length + " floats, "
                    + count + " rows of " + cols + " need " + (long) count * cols);
        }
        ByteBuffer buffer = BUFFERS.get();
        int k = 0;
        while (k < count) {
            long first = checkedRow(indices[from + k]);
            long last = first;
            int end = k + 1;
            while (end < count) {
                long next = checkedRow(indices[from + end]);
                if (next <= last || next - last > GAP_READ_THROUGH || next - first >= perRead) {
                    break;
                }
                last = next;
                end++;
            }
            buffer.clear().limit((int) ((last - first + 1) * rowBytes));
            fill(buffer, dataOffset + first * rowBytes);
            buffer.flip();
            for (int j = k; j < end; j++) {
                long row = indices[from + j];
                convert(buffer, (int) ((row - first) * rowBytes), cols, row * cols, out, j * cols);
            }
            k = end;
        }
    }

    private long checkedRow(long row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " of " + file + ", which has "
                    + rows + " rows");
        }
        return row;
    }

    /**
     * Converts {@code take} values at byte {@code byteOffset} of {@code buffer} into
     * {@code out[at ..]}, checking each: {@code firstIndex} is the first value's index in the
     * array, for the row and column an error names.
     */
    private void convert(ByteBuffer buffer, int byteOffset, int take, long firstIndex,
            float[] out, int at) {
        NpyReader.floats(file, buffer.duplicate().position(byteOffset).order(order), itemSize,
                take, firstIndex, cols, centre, out, at);
    }

    /**
     * Row {@code row} as stored, in double (float32 widened exactly; no centre subtracted):
     * what a {@link NarrowingCentre} is estimated from.
     *
     * @throws InputException naming the row and column of a NaN or an infinity
     * @throws IndexOutOfBoundsException when row is not a row of the file
     */
    public void readExact(long row, double[] out) {
        checkedRow(row);
        if (out.length < cols) {
            throw new IllegalArgumentException("out holds " + out.length + " values, a row "
                    + cols);
        }
        ByteBuffer buffer = BUFFERS.get();
        long first = row * cols;
        int done = 0;
        while (done < cols) {
            int take = Math.min(cols - done, bufferBytes / itemSize);
            buffer.clear().limit(take * itemSize);
            fill(buffer, dataOffset + (first + done) * itemSize);
            buffer.flip();
            ByteBuffer view = buffer.duplicate().order(order);
            for (int k = 0; k < take; k++) {
                double v = itemSize == 4 ? view.getFloat(4 * k) : view.getDouble(8 * k);
                if (!Double.isFinite(v)) {
                    throw NpyReader.nonFinite(file, v, first + done + k, cols);
                }
                out[done + k] = v;
            }
            done += take;
        }
    }

    /**
     * Reads {@code buffer}'s remaining bytes from file offset {@code position}.
     *
     * <p>Interrupts: a channel read on an interrupted thread closes the channel for every reader
     * ({@link ClosedByInterruptException}), and a caller may well read on a thread whose flag it
     * restored (the chunk reader does, after waiting). So the flag is cleared for the read and
     * restored after it, and a channel closed under a read anyway (an interrupt during it) is
     * opened again and the read repeated.
     */
    private void fill(ByteBuffer buffer, long position) {
        boolean interrupted = Thread.interrupted();
        try {
            long at = position;
            int start = buffer.position();
            for (int attempt = 0; buffer.hasRemaining(); ) {
                FileChannel ch = channel;
                int n;
                try {
                    n = ch.read(buffer, at);
                } catch (ClosedChannelException e) {
                    interrupted |= Thread.interrupted();
                    if (closed || ++attempt > 3) {
                        throw new IllegalStateException(file + " is closed", e);
                    }
                    reopen(ch);
                    at = position;
                    buffer.position(start);
                    continue;
                }
                if (n < 0) {
                    throw new InputException(file, "changed while being read: it is now "
                            + ch.size() + " bytes, the array it held when opened needs "
                            + (dataOffset + rows * cols * (long) itemSize)
                            + " (was it written again?); nothing was written");
                }
                at += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + (e.getMessage() != null ? e.getMessage()
                    : e.getClass().getSimpleName()), e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Opens the file again in place of {@code failed}, unless another reader already did. */
    private synchronized void reopen(FileChannel failed) throws IOException {
        if (channel == failed && !closed) {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
