package io.synalign.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Builds and takes apart {@code .npy} files byte by byte, independently of {@link NpyWriter} and
 * {@link NpyReader}, following the format description in {@code numpy.lib.format}.
 */
public final class NpyFixtures {

    private NpyFixtures() {
    }

    /** The header dict NumPy would write. */
    public static String dict(String descr, boolean fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False")
                + ", 'shape': " + shape + ", }";
    }

    /**
     * A whole file: magic, version {@code major}.0, header length (uint16 for 1.0, uint32
     * otherwise, little-endian), the dict padded with spaces and a newline to a multiple of
     * {@code align} bytes, then {@code data}. Version 3.0 headers are UTF-8, others Latin-1.
     */
    public static byte[] file(int major, String dict, byte[] data, int align) {
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int unpadded = 8 + lengthBytes + text.length + 1;
        int pad = (align - unpadded % align) % align;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x93);
        out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        out.write(major);
        out.write(0);
        int headerLength = text.length + pad + 1;
        out.write(headerLength & 0xff);
        out.write((headerLength >>> 8) & 0xff);
        if (lengthBytes == 4) {
            out.write((headerLength >>> 16) & 0xff);
            out.write((headerLength >>> 24) & 0xff);
        }
        out.writeBytes(text);
        for (int i = 0; i < pad; i++) {
            out.write(' ');
        }
        out.write('\n');
        out.writeBytes(data);
        return out.toByteArray();
    }

    /** A version 1.0 file with 64-byte alignment. */
    public static byte[] file(String dict, byte[] data) {
        return file(1, dict, data, 64);
    }

    /** Encodes values as float32 ({@code itemSize} 4) or float64 (8) in the given order. */
    public static byte[] data(double[] values, int itemSize, ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(values.length * itemSize).order(order);
        for (double v : values) {
            if (itemSize == 4) {
                b.putFloat((float) v);
            } else {
                b.putDouble(v);
            }
        }
        return b.array();
    }

    /** A little-endian float32 2-D file holding {@code values} (row-major). */
    public static byte[] float32Matrix(int rows, int cols, double[] values) {
        return file(dict("<f4", false, "(" + rows + ", " + cols + ")"),
                data(values, 4, ByteOrder.LITTLE_ENDIAN));
    }

    /** Seeded Gaussian values, scaled by {@code scale}. */
    public static double[] gaussian(int n, long seed, double scale) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = scale * r.nextGaussian();
        }
        return v;
    }

    public static Path write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The parts of a version 1.0 file. */
    public record Parsed(int major, int minor, int headerLength, String dict, byte[] data) {
    }

    /** Takes a version 1.0 file apart; fails unless it starts with the magic. */
    public static Parsed parse(byte[] file) {
        if ((file[0] & 0xff) != 0x93 || !new String(file, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new AssertionError("no .npy magic");
        }
        int major = file[6];
        int minor = file[7];
        if (major != 1) {
            throw new AssertionError("expected version 1.0, got " + major + "." + minor);
        }
        int headerLength = (file[8] & 0xff) | (file[9] & 0xff) << 8;
        String dict = new String(file, 10, headerLength, StandardCharsets.ISO_8859_1);
        byte[] data = new byte[file.length - 10 - headerLength];
        System.arraycopy(file, 10 + headerLength, data, 0, data.length);
        return new Parsed(major, minor, headerLength, dict, data);
    }

    /** Decodes little-endian float64 values. */
    public static double[] float64(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[data.length / 8];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getDouble();
        }
        return v;
    }

    /** Decodes little-endian float32 values. */
    public static float[] float32(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[data.length / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat();
        }
        return v;
    }
}
