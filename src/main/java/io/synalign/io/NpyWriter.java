package io.synalign.io;

import io.synalign.kernels.FloatMatrix;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Writes little-endian float32/float64 arrays of rank 1 or 2 in NumPy {@code .npy} format 1.0.
 *
 * <p>The header is byte-for-byte what {@code numpy.save} writes: the dict
 * {@code {'descr': '<f8', 'fortran_order': False, 'shape': (n,), }}, then spare spaces for the
 * length of axis 0 to grow (NumPy's {@code GROWTH_AXIS_MAX_DIGITS}), then spaces and a final
 * newline so that magic + version + length field + header is a multiple of 64 bytes and the data
 * starts aligned. Values are streamed through a 64 KiB buffer; cost O(values).
 *
 * <p>The {@code Path} overloads write atomically via {@link AtomicOutputs#writeAtomically}.
 */
public final class NpyWriter {

    /** NumPy aligns the data start to this many bytes. */
    static final int ARRAY_ALIGN = 64;
    /** NumPy leaves room for axis 0 to grow to this many digits. */
    static final int GROWTH_AXIS_MAX_DIGITS = 21;
    private static final int BUFFER_BYTES = 1 << 16;

    private NpyWriter() {
    }

    /** Writes a 1-D float64 array ({@code <f8}, shape {@code (n,)}). */
    public static void writeVector(OutputStream out, double[] values) throws IOException {
        out.write(header("<f8", values.length));
        writeDoubles(out, values);
    }

    /** Writes a 1-D float32 array ({@code <f4}, shape {@code (n,)}). */
    public static void writeVector(OutputStream out, float[] values) throws IOException {
        out.write(header("<f4", values.length));
        writeFloats(out, values);
    }

    /** Writes a 2-D float32 array ({@code <f4}, shape {@code (rows, cols)}). */
    public static void writeMatrix(OutputStream out, FloatMatrix m) throws IOException {
        out.write(header("<f4", m.rows(), m.cols()));
        writeFloats(out, m.data());
    }

    /** Writes a 2-D float64 array ({@code <f8}) from row-major values. */
    public static void writeMatrix(OutputStream out, int rows, int cols, double[] rowMajor)
            throws IOException {
        if ((long) rows * cols != rowMajor.length) {
            throw new IllegalArgumentException(rowMajor.length + " values do not make a " + rows
                    + " x " + cols + " matrix");
        }
        out.write(header("<f8", rows, cols));
        writeDoubles(out, rowMajor);
    }

    /**
     * Starts a 2-D float32 array of {@code rows x cols} whose rows are appended block by block
     * ({@link Rows#append}), for arrays of any number of rows (more than one Java array holds).
     */
    public static Rows rows(OutputStream out, long rows, int cols) throws IOException {
        out.write(header("<f4", rows, cols));
        return new Rows(out, rows, cols);
    }

    /** The rows of a float32 matrix written as they come; {@link #finish} checks the count. */
    public static final class Rows {
        private final OutputStream out;
        private final long rows;
        private final int cols;
        private long written;

        private Rows(OutputStream out, long rows, int cols) {
            this.out = out;
            this.rows = rows;
            this.cols = cols;
        }

        /**
         * Appends the rows of {@code block}.
         *
         * @throws IllegalArgumentException when its columns differ or it passes the row count
         */
        public void append(FloatMatrix block) throws IOException {
            if (block.cols() != cols || written + block.rows() > rows) {
                throw new IllegalArgumentException("a block of " + block.rows() + " x "
                        + block.cols() + " does not fit a " + rows + " x " + cols + " array with "
                        + written + " rows written");
            }
            writeFloats(out, block.data());
            written += block.rows();
        }

        /** The rows appended so far. */
        public long written() {
            return written;
        }

        /** @throws IllegalStateException when fewer rows were appended than the header says */
        public void finish() throws IOException {
            if (written != rows) {
                throw new IllegalStateException(written + " rows written of the " + rows
                        + " the header promises");
            }
            out.flush();
        }
    }

    /** Atomically writes a 1-D float64 array to {@code file}. */
    public static void writeVector(Path file, double[] values) throws IOException {
        AtomicOutputs.writeAtomically(file, out -> writeVector(out, values));
    }

    /** Atomically writes a 2-D float32 array to {@code file}. */
    public static void writeMatrix(Path file, FloatMatrix m) throws IOException {
        AtomicOutputs.writeAtomically(file, out -> writeMatrix(out, m));
    }

    /**
     * The complete version 1.0 preamble: magic, version, little-endian uint16 header length and
     * the padded header dict ending in a newline.
     */
    static byte[] header(String descr, long... shape) {
        StringBuilder dict = new StringBuilder();
        dict.append("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': ")
                .append(NpyHeader.shapeText(shape)).append(", }");
        if (shape.length > 0) {
            dict.append(" ".repeat(Math.max(0,
                    GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length())));
        }
        int preamble = NpyReader.MAGIC.length + 2 + 2;
        int unpadded = preamble + dict.length() + 1; // + the final newline
        int pad = ARRAY_ALIGN - unpadded % ARRAY_ALIGN; // NumPy pads a full 64 when aligned
        dict.append(" ".repeat(pad)).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (text.length > 0xffff) {
            throw new IllegalArgumentException("header of " + text.length + " bytes needs format 2.0");
        }
        ByteBuffer b = ByteBuffer.allocate(preamble + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(NpyReader.MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return b.array();
    }

    private static void writeDoubles(OutputStream out, double[] values) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int per = BUFFER_BYTES / 8;
        for (int from = 0; from < values.length; from += per) {
            int n = Math.min(per, values.length - from);
            buf.clear();
            buf.asDoubleBuffer().put(values, from, n);
            out.write(buf.array(), 0, 8 * n);
        }
    }

    private static void writeFloats(OutputStream out, float[] values) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int per = BUFFER_BYTES / 4;
        for (int from = 0; from < values.length; from += per) {
            int n = Math.min(per, values.length - from);
            buf.clear();
            buf.asFloatBuffer().put(values, from, n);
            out.write(buf.array(), 0, 4 * n);
        }
    }
}
