package io.synalign.io;

import java.nio.ByteOrder;
import java.util.Locale;

/**
 * A floating-point {@code .npy} element type: float32 or float64 in a given byte order.
 *
 * @param descr the dtype string as written in the header, e.g. {@code <f4}
 * @param itemSize bytes per element, 4 or 8
 * @param order byte order of the stored elements
 */
public record NpyDtype(String descr, int itemSize, ByteOrder order) {

    /** Little-endian float32, what NumPy writes on x86 and ARM. */
    public static final NpyDtype FLOAT32_LE = new NpyDtype("<f4", 4, ByteOrder.LITTLE_ENDIAN);
    /** Little-endian float64. */
    public static final NpyDtype FLOAT64_LE = new NpyDtype("<f8", 8, ByteOrder.LITTLE_ENDIAN);

    public NpyDtype {
        if (itemSize != 4 && itemSize != 8) {
            throw new IllegalArgumentException("item size must be 4 or 8, got " + itemSize);
        }
    }

    /** {@code float32} or {@code float64}. */
    public String typeName() {
        return itemSize == 4 ? "float32" : "float64";
    }

    /**
     * Parses a header {@code descr} string. Byte order {@code <} is little-endian, {@code >}
     * big-endian, and {@code =} (or {@code |}) the native order of this machine, as NumPy reads
     * it.
     *
     * @throws IllegalArgumentException naming the dtype (and its NumPy name when known) unless it
     *     is float32 or float64
     */
    public static NpyDtype parse(String descr) {
        String d = descr.strip();
        ByteOrder order = ByteOrder.nativeOrder();
        String body = d;
        if (!d.isEmpty() && "<>=|".indexOf(d.charAt(0)) >= 0) {
            char o = d.charAt(0);
            if (o == '<') {
                order = ByteOrder.LITTLE_ENDIAN;
            } else if (o == '>') {
                order = ByteOrder.BIG_ENDIAN;
            }
            body = d.substring(1);
        }
        if (body.equals("f4")) {
            return new NpyDtype(descr, 4, order);
        }
        if (body.equals("f8")) {
            return new NpyDtype(descr, 8, order);
        }
        String known = numpyName(body);
        throw new IllegalArgumentException("unsupported dtype '" + descr + "'"
                + (known == null ? "" : " (" + known + ")")
                + "; float32 or float64 expected ('<f4' or '<f8')");
    }

    /** The NumPy name of a dtype body such as {@code i8}, or null when unknown. */
    static String numpyName(String body) {
        if (body.isEmpty()) {
            return null;
        }
        char kind = body.charAt(0);
        String size = body.substring(1);
        int bytes;
        try {
            bytes = size.isEmpty() ? 0 : Integer.parseInt(size);
        } catch (NumberFormatException e) {
            return body.startsWith("M8") ? "datetime64" : body.startsWith("m8") ? "timedelta64" : null;
        }
        return switch (kind) {
            case 'b' -> "bool";
            case 'i' -> bytes > 0 ? "int" + 8 * bytes : "int";
            case 'u' -> bytes > 0 ? "uint" + 8 * bytes : "uint";
            case 'f' -> bytes > 0 ? "float" + 8 * bytes : "float";
            case 'c' -> bytes > 0 ? "complex" + 8 * bytes : "complex";
            case 'U' -> "unicode string";
            case 'S', 'a' -> "byte string";
            case 'O' -> "Python object";
            case 'V' -> "raw bytes";
            case 'M' -> "datetime64";
            case 'm' -> "timedelta64";
            default -> null;
        };
    }

    @Override
    public String toString() {
        return descr + " (" + typeName() + ", " + order.toString().toLowerCase(Locale.ROOT) + ")";
    }
}
