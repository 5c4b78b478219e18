package io.synalign.io;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The parsed header of an {@code .npy} file (NumPy format versions 1.0, 2.0 and 3.0, see
 * {@code numpy.lib.format}): the dtype string, the memory order and the shape, plus where the
 * data starts. Parsing never fails on an unsupported dtype or rank; the {@code require...}
 * methods do, so that a caller controls which problem it reports first.
 *
 * @param majorVersion format major version, 1 to 3
 * @param minorVersion format minor version, 0
 * @param descr the {@code descr} value: a dtype string such as {@code <f4}, or the Python repr
 *     of a structured dtype
 * @param fortranOrder whether the data is stored column-major
 * @param shape the array shape, one entry per axis (empty for a scalar)
 * @param dataOffset byte offset of the first element
 */
public record NpyHeader(int majorVersion, int minorVersion, String descr, boolean fortranOrder,
        long[] shape, long dataOffset) {

    public NpyHeader {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of axes. */
    public int rank() {
        return shape.length;
    }

    /** The shape as Python prints it: {@code (3, 4)}, {@code (5,)}, {@code ()}. */
    public String shapeText() {
        return shapeText(shape);
    }

    /** Formats a shape as Python prints a tuple. */
    public static String shapeText(long... shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(')').toString();
    }

    /**
     * The product of the shape, or -1 when it overflows a long (which no real file can hold).
     */
    public long elementCount() {
        long n = 1;
        for (long s : shape) {
            try {
                n = Math.multiplyExact(n, s);
            } catch (ArithmeticException e) {
                return -1;
            }
        }
        return n;
    }

    /**
     * The element type.
     *
     * @throws InputException naming the dtype unless it is float32 or float64
     */
    public NpyDtype requireFloatDtype(Path file) {
        try {
            return NpyDtype.parse(descr);
        } catch (IllegalArgumentException e) {
            throw new InputException(file, e.getMessage());
        }
    }

    /** @throws InputException when the data is stored in Fortran (column-major) order */
    public void requireCOrder(Path file) {
        if (fortranOrder) {
            throw new InputException(file, "array " + shapeText() + " is stored in Fortran"
                    + " (column-major) order, which is not supported; save it in C order, e.g."
                    + " np.save(f, np.ascontiguousarray(a))");
        }
    }

    /**
     * @throws InputException naming the shape when the array does not have {@code rank} axes
     */
    public void requireRank(Path file, int rank) {
        if (shape.length != rank) {
            String expected = rank == 2 ? "a 2-D array (rows, columns)" : rank + "-D array";
            throw new InputException(file, "array has shape " + shapeText() + " (" + shape.length
                    + "-D); " + expected + " expected");
        }
    }

    /** @throws InputException naming the shape when any axis has length zero */
    public void requireNonEmpty(Path file) {
        for (long s : shape) {
            if (s == 0) {
                throw new InputException(file, "array is empty (shape " + shapeText()
                        + "); at least one row and one column are needed");
            }
        }
    }

    /**
     * Parses the header dict text of a file.
     *
     * @param dict the header text after the length field (a Python dict literal, space padded)
     * @throws InputException when the dict is malformed or lacks a key
     */
    static NpyHeader parse(Path file, int major, int minor, String dict, long dataOffset) {
        Object parsed;
        try {
            parsed = PythonLiteral.parse(dict);
        } catch (IllegalArgumentException e) {
            throw malformed(file, e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw malformed(file, "expected a dict, found " + abbreviate(PythonLiteral.repr(parsed)));
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!map.containsKey(key)) {
                throw malformed(file, "the key '" + key + "' is missing");
            }
        }
        Object descr = map.get("descr");
        String descrText = descr instanceof String s ? s : PythonLiteral.repr(descr);
        if (!(map.get("fortran_order") instanceof Boolean fortran)) {
            throw malformed(file, "'fortran_order' must be True or False, found "
                    + abbreviate(PythonLiteral.repr(map.get("fortran_order"))));
        }
        Object shapeValue = map.get("shape");
        if (!(shapeValue instanceof PythonLiteral.Tuple tuple)) {
            throw malformed(file, "'shape' must be a tuple of integers, found "
                    + abbreviate(PythonLiteral.repr(shapeValue)));
        }
        List<Long> dims = new ArrayList<>();
        for (Object o : tuple.items()) {
            if (o instanceof BigInteger) {
                throw malformed(file, "'shape' " + PythonLiteral.repr(tuple) + " has an axis too long");
            }
            if (!(o instanceof Long dim) || dim < 0) {
                throw malformed(file, "'shape' must be a tuple of non-negative integers, found "
                        + abbreviate(PythonLiteral.repr(tuple)));
            }
            dims.add(dim);
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        return new NpyHeader(major, minor, descrText, fortran, shape, dataOffset);
    }

    static InputException malformed(Path file, String what) {
        return new InputException(file, "malformed .npy header: " + what);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyHeader h && h.majorVersion == majorVersion
                && h.minorVersion == minorVersion && h.descr.equals(descr)
                && h.fortranOrder == fortranOrder && Arrays.equals(h.shape, shape)
                && h.dataOffset == dataOffset;
    }

    @Override
    public int hashCode() {
        return 31 * descr.hashCode() + Arrays.hashCode(shape) + (int) dataOffset;
    }

    @Override
    public String toString() {
        return "NpyHeader[v" + majorVersion + "." + minorVersion + " " + descr + " "
                + (fortranOrder ? "F " : "") + shapeText() + " @" + dataOffset + "]";
    }
}
