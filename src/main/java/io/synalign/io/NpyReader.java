package io.synalign.io;

import io.synalign.kernels.FloatMatrix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.DoubleBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0; float32 or float64, little-,
 * big- or native-endian; C order) into SynAlign's single-precision {@link FloatMatrix}.
 *
 * <p><b>Precision:</b> float64 input is narrowed to float32, the precision every kernel backend
 * computes in, after a {@link NarrowingCentre} is subtracted in float64 when one is given (rows
 * far from the origin keep their spread); a finite float64 value beyond the float32 range is
 * reported as an error rather than silently becoming infinite.
 *
 * <p><b>Memory:</b> the data is read through a {@link FileChannel} in fixed-size chunks (4 MiB by
 * default) and decoded straight into the destination array, so reading a 10^6 x 384 float32 file
 * (1.5 GB) needs the 1.5 GB array plus one chunk, never a second full copy. The header and the
 * file length are checked before the array is allocated. Cost O(file size).
 *
 * <p><b>Validation:</b> every problem is an {@link InputException} with a one-line message that
 * names the file and what is wrong: missing file, bad magic, malformed header, unsupported
 * version, dtype or rank, Fortran order, empty array, truncated data (bytes expected vs
 * present), and the first NaN or infinity (0-based row and column).
 */
public final class NpyReader {

    private static final Logger LOG = LoggerFactory.getLogger(NpyReader.class);

    /** The six magic bytes every {@code .npy} file starts with. */
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Largest array a Java {@code float[]} can hold on common JVMs. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** Default read chunk, 4 MiB. */
    static final int DEFAULT_CHUNK_BYTES = 4 << 20;
    /** Headers beyond this are treated as corrupt (NumPy itself refuses above 10,000 bytes). */
    static final long MAX_HEADER_BYTES = 1 << 20;

    private static final NpyReader DEFAULT = new NpyReader(DEFAULT_CHUNK_BYTES);

    private final int chunkBytes;

    /** A reader with a given chunk size, so tests can exercise chunk boundaries. */
    NpyReader(int chunkBytes) {
        if (chunkBytes < 8) {
            throw new IllegalArgumentException("chunk must hold at least one float64, got " + chunkBytes);
        }
        this.chunkBytes = chunkBytes;
    }

    /**
     * Reads and parses only the header.
     *
     * @throws InputException when the file is missing, not an {@code .npy} or its header is bad
     * @throws IOException on an I/O failure while reading
     */
    public static NpyHeader readHeader(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            return header(file, ch);
        }
    }

    /**
     * Checks everything about a 2-D input that can be checked without reading its values (dtype,
     * order, rank, emptiness, size, file length) and returns the header; cheap even for huge
     * files, so a command can validate all its inputs before reading any of them.
     */
    public static NpyHeader inspectMatrix(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            NpyHeader h = header(file, ch);
            checkMatrix(file, ch, h);
            return h;
        }
    }

    /**
     * Reads a 2-D float32 or float64 array (float64 narrowed to float32).
     *
     * @throws InputException on any problem with the file or its values
     * @throws IOException on an I/O failure while reading
     */
    public static FloatMatrix readMatrix(Path file) throws IOException {
        return DEFAULT.matrix(file, NarrowingCentre.NONE);
    }

    /**
     * Reads a 2-D float32 or float64 array less {@code centre}: each value {@code x} of column j
     * is read as {@code (float) (x - c_j)}, subtracted in double before narrowing (see
     * {@link NarrowingCentre}; {@link NarrowingCentre#NONE} reads as {@link #readMatrix(Path)}).
     *
     * @throws InputException on any problem with the file or its values
     * @throws IllegalArgumentException when the centre has another column count than the file
     * @throws IOException on an I/O failure while reading
     */
    public static FloatMatrix readMatrix(Path file, NarrowingCentre centre) throws IOException {
        return DEFAULT.matrix(file, centre);
    }

    /**
     * Reads a 1-D float32 or float64 array into doubles (float32 widened exactly).
     *
     * @throws InputException on any problem with the file or its values
     * @throws IOException on an I/O failure while reading
     */
    public static double[] readVector(Path file) throws IOException {
        return DEFAULT.vector(file);
    }

    FloatMatrix matrix(Path file) throws IOException {
        return matrix(file, NarrowingCentre.NONE);
    }

    FloatMatrix matrix(Path file, NarrowingCentre centre) throws IOException {
        try (FileChannel ch = open(file)) {
            NpyHeader h = header(file, ch);
            NpyDtype dt = checkMatrix(file, ch, h);
            long[] shape = h.shape();
            int rows = (int) shape[0];
            int cols = (int) shape[1];
            centre.requireColumns(cols, file.toString());
            double[] c = centre.columns();
            float[] data = new float[rows * cols];
            readElements(file, ch, h, dt, data.length,
                    (buf, n, first) -> floats(file, buf, dt.itemSize(), n, first, cols, c, data,
                            (int) first));
            return new FloatMatrix(rows, cols, data);
        }
    }

    double[] vector(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            NpyHeader h = header(file, ch);
            NpyDtype dt = h.requireFloatDtype(file);
            h.requireCOrder(file);
            h.requireRank(file, 1);
            h.requireNonEmpty(file);
            long n = h.shape()[0];
            checkSize(file, ch, h, dt, n);
            double[] data = new double[(int) n];
            readElements(file, ch, h, dt, data.length, (buf, count, first) -> {
                if (dt.itemSize() == 8) {
                    buf.asDoubleBuffer().get(data, (int) first, count);
                } else {
                    for (int k = 0; k < count; k++) {
                        data[(int) first + k] = buf.getFloat(buf.position() + 4 * k);
                    }
                }
                for (int k = 0; k < count; k++) {
                    double v = data[(int) first + k];
                    if (!Double.isFinite(v)) {
                        throw new InputException(file, "array has " + name(v) + " at index "
                                + (first + k));
                    }
                }
            });
            return data;
        }
    }

    private static NpyDtype checkMatrix(Path file, FileChannel ch, NpyHeader h) throws IOException {
        NpyDtype dt = h.requireFloatDtype(file);
        h.requireCOrder(file);
        h.requireRank(file, 2);
        h.requireNonEmpty(file);
        checkSize(file, ch, h, dt, h.elementCount());
        return dt;
    }

    /** Fails unless the element count fits one Java array and the file holds all the data. */
    private static void checkSize(Path file, FileChannel ch, NpyHeader h, NpyDtype dt, long count)
            throws IOException {
        if (count < 0 || count > MAX_ELEMENTS) {
            throw new InputException(file, "array of shape " + h.shapeText() + " has more values"
                    + " than one Java array can hold (" + MAX_ELEMENTS + ")");
        }
        long needed = count * dt.itemSize();
        long present = Math.max(0, ch.size() - h.dataOffset());
        if (present < needed) {
            throw truncated(file, h, dt, needed, present);
        }
        if (present > needed) {
            warnTrailingBytes(file, present - needed);
        }
    }

    /**
     * How many files {@link #warnTrailingBytes} remembers having warned about: far more than one
     * command's inputs, and bounded, since a long-running host may read any number of files.
     */
    static final int WARNED_TRAILING_KEPT = 256;

    /**
     * Files (absolute path and extra bytes) warned about lately, least recently seen first; the
     * eldest is forgotten past {@link #WARNED_TRAILING_KEPT} (then warned about again if read).
     */
    private static final Map<String, Boolean> WARNED_TRAILING = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > WARNED_TRAILING_KEPT;
                }
            });

    /**
     * Warns that {@code extra} bytes follow the array in {@code file} (a file cut from a longer
     * one, or the wrong shape), once per file and length among the files read lately: a command
     * opens an input several times (its header checked, a centre estimated, its rows read), and
     * said it as many times.
     */
    static void warnTrailingBytes(Path file, long extra) {
        if (WARNED_TRAILING.put(file.toAbsolutePath().normalize() + "|" + extra, Boolean.TRUE) == null) {
            LOG.warn("{}: {} bytes after the array data are ignored", file, extra);
        }
    }

    /** The files {@link #warnTrailingBytes} remembers now (for tests). */
    static int warnedTrailingRemembered() {
        return WARNED_TRAILING.size();
    }

    static InputException truncated(Path file, NpyHeader h, NpyDtype dt, long needed,
            long present) {
        return new InputException(file, "truncated: shape " + h.shapeText() + " of "
                + dt.typeName() + " needs " + needed + " bytes of data, but only " + present
                + " are present");
    }

    /**
     * Copies {@code count} float32 or float64 values ({@code itemSize} 4 or 8) from
     * {@code view}'s position (in the file's byte order) to {@code out[at ..]}, narrowing float64
     * and checking each: NaN, an infinity or a value beyond the float32 range is refused naming
     * its row and column ({@code firstIndex} is the first value's index in the array, row-major).
     * With a {@code centre} (null: none; see {@link NarrowingCentre}) each value {@code x} of
     * column j becomes {@code (float) (x - centre[j])}, the subtraction in double, so a float64
     * value keeps its digits below float32's resolution at {@code x} and a float32 value (widened
     * exactly) shifts with it; a difference beyond the float32 range is refused for either
     * dtype (a float32 value near 3.4e38 less a centre of the other sign). The one conversion of {@link #readMatrix} and
     * {@link NpyRowSource}.
     */
    static void floats(Path file, ByteBuffer view, int itemSize, int count, long firstIndex,
            int cols, double[] centre, float[] out, int at) {
        if (itemSize == 4) {
            view.asFloatBuffer().get(out, at, count);
            for (int k = 0; k < count; k++) {
                if (!Float.isFinite(out[at + k])) {
                    throw nonFinite(file, out[at + k], firstIndex + k, cols);
                }
            }
            if (centre != null) {
                // Row by row from the first value's column: counted loops, no wrap test.
                int col = (int) (firstIndex % cols);
                for (int k = 0; k < count; col = 0) {
                    int run = Math.min(count - k, cols - col);
                    for (int j = 0; j < run; j++) {
                        double v = out[at + k + j];
                        float f = (float) (v - centre[col + j]);
                        if (!Float.isFinite(f)) {
                            // A value near the float32 limit less a centre of the other sign:
                            // refused as the float64 path refuses it, naming the stored value.
                            narrowed(file, v, centre[col + j], firstIndex + k + j, cols);
                        }
                        out[at + k + j] = f;
                    }
                    k += run;
                }
            }
        } else if (centre == null) {
            DoubleBuffer doubles = view.asDoubleBuffer();
            for (int k = 0; k < count; k++) {
                out[at + k] = narrowed(file, doubles.get(k), 0, firstIndex + k, cols);
            }
        } else {
            // A row's values at a time, copied in bulk to an array and shifted there in plain
            // array loops: a get per value from the buffer measured slower (docs/RELIABILITY.md,
            // session 19, for the cost of the centred pass).
            DoubleBuffer doubles = view.asDoubleBuffer();
            double[] row = rowScratch(cols);
            int col = (int) (firstIndex % cols);
            for (int k = 0; k < count; col = 0) {
                int run = Math.min(count - k, cols - col);
                doubles.get(k, row, 0, run);
                int o = at + k;
                for (int j = 0; j < run; j++) {
                    out[o + j] = (float) (row[j] - centre[col + j]);
                }
                for (int j = 0; j < run; j++) {
                    if (!Float.isFinite(out[o + j])) {
                        // Throws, naming the stored value.
                        narrowed(file, row[j], centre[col + j], firstIndex + k + j, cols);
                    }
                }
                k += run;
            }
        }
    }

    /** Each thread's row of doubles for {@link #floats} with a centre. */
    private static final ThreadLocal<double[]> ROW = ThreadLocal.withInitial(() -> new double[0]);

    /** The calling thread's scratch of at least {@code cols} doubles. */
    private static double[] rowScratch(int cols) {
        double[] row = ROW.get();
        if (row.length < cols) {
            row = new double[cols];
            ROW.set(row);
        }
        return row;
    }

    /**
     * A float64 value of the array less {@code shift}, as float32; refused when the value is not
     * finite or the difference is beyond the float32 range (the message names the stored value).
     */
    private static float narrowed(Path file, double v, double shift, long index, int cols) {
        float f = (float) (v - shift);
        if (!Float.isFinite(f)) {
            if (!Double.isFinite(v)) {
                throw nonFinite(file, v, index, cols);
            }
            throw new InputException(file, "value " + v + " at row " + index / cols + ", column "
                    + index % cols + (shift == 0 ? "" : " (less the centre " + shift + ")")
                    + " is too large for float32");
        }
        return f;
    }

    static InputException nonFinite(Path file, double v, long index, int cols) {
        return new InputException(file, "array has " + name(v) + " at row " + index / cols
                + ", column " + index % cols);
    }

    private static String name(double v) {
        return Double.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
    }

    /** Receives {@code n} whole elements at the buffer's position; {@code first} is their index. */
    @FunctionalInterface
    private interface ChunkConsumer {
        void accept(ByteBuffer buf, int n, long first);
    }

    /**
     * Streams {@code count} elements through one reusable direct buffer. A chunk that ends
     * part-way through an element keeps the partial bytes for the next read ({@code compact}).
     */
    private void readElements(Path file, FileChannel ch, NpyHeader h, NpyDtype dt, long count,
            ChunkConsumer consumer) throws IOException {
        int item = dt.itemSize();
        ByteBuffer buf = ByteBuffer.allocateDirect(chunkBytes).order(dt.order());
        long filePos = h.dataOffset();
        long done = 0;
        while (done < count) {
            int r = ch.read(buf, filePos);
            if (r < 0) {
                // The length was checked up front, so the file shrank while being read.
                throw truncated(file, h, dt, count * item, done * item + buf.position());
            }
            filePos += r;
            buf.flip();
            int whole = (int) Math.min(buf.remaining() / item, count - done);
            if (whole > 0) {
                consumer.accept(buf.slice().order(dt.order()), whole, done);
                buf.position(buf.position() + whole * item);
                done += whole;
            }
            buf.compact();
        }
    }

    static FileChannel open(Path file) {
        if (Files.isDirectory(file)) {
            throw new InputException(file, "is a directory, not an .npy file");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            // A FIFO would block on open until a writer comes, then fail on the first seek.
            throw new InputException(file, "is not a regular file (a pipe, socket or device);"
                    + " write the data to a file and give that");
        }
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new InputException(file, "file not found");
        } catch (AccessDeniedException e) {
            throw new InputException(file, "permission denied");
        } catch (IOException e) {
            throw new InputException(file, "cannot open: " + e.getMessage());
        }
    }

    static NpyHeader header(Path file, FileChannel ch) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        int got = readFully(ch, prefix, 0);
        if (got < MAGIC.length || !hasMagic(prefix)) {
            throw notNpy(file, prefix, got);
        }
        if (got < 8) {
            throw NpyHeader.malformed(file, "the file ends inside the header (" + got + " bytes)");
        }
        int major = prefix.get(6) & 0xff;
        int minor = prefix.get(7) & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new InputException(file, "unsupported .npy format version " + major + "." + minor
                    + " (1.0, 2.0 and 3.0 are supported)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        if (got < 8 + lengthBytes) {
            throw NpyHeader.malformed(file, "the file ends inside the header (" + got + " bytes)");
        }
        long headerLength = major == 1 ? prefix.getShort(8) & 0xffffL : prefix.getInt(8) & 0xffffffffL;
        if (headerLength > MAX_HEADER_BYTES) {
            throw NpyHeader.malformed(file, "header length " + headerLength
                    + " bytes is implausibly large");
        }
        long dictOffset = 8 + lengthBytes;
        ByteBuffer dict = ByteBuffer.allocate((int) headerLength);
        int dictGot = readFully(ch, dict, dictOffset);
        if (dictGot < headerLength) {
            throw NpyHeader.malformed(file, "the file ends inside the header (header length says "
                    + headerLength + " bytes, only " + dictGot + " are present)");
        }
        dict.flip();
        String text;
        if (major == 3) {
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(dict);
                text = chars.toString();
            } catch (CharacterCodingException e) {
                throw NpyHeader.malformed(file, "a version 3.0 header must be UTF-8");
            }
        } else {
            text = StandardCharsets.ISO_8859_1.decode(dict).toString();
        }
        return NpyHeader.parse(file, major, minor, text, dictOffset + headerLength);
    }

    private static InputException notNpy(Path file, ByteBuffer prefix, int got) {
        if (got == 0) {
            return new InputException(file, "file is empty (0 bytes), not an .npy file");
        }
        if (got >= 4 && prefix.get(0) == 'P' && prefix.get(1) == 'K' && prefix.get(2) == 3
                && prefix.get(3) == 4) {
            return new InputException(file, "is a zip archive (.npz?), not an .npy file; save a"
                    + " single array with np.save");
        }
        return new InputException(file, "not an .npy file (it does not start with the magic"
                + " bytes \\x93NUMPY)");
    }

    private static boolean hasMagic(ByteBuffer prefix) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (prefix.get(i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** Reads until the buffer is full or the file ends; returns the bytes read. */
    private static int readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        int total = 0;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, position + total);
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
    }
}
