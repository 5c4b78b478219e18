package io.synalign.kernels.cuda;

/**
 * The C types a kernel parameter may have, with the size and alignment the CUDA ABI gives them
 * on a 64-bit host (a device pointer is 8 bytes, as on the host).
 */
enum ArgKind {
    /** Any {@code T*}: a 64-bit device address. */
    POINTER(8),
    /** {@code int}. */
    I32(4),
    /** {@code long long} (a 64-bit length or index). */
    I64(8),
    /** {@code float}. */
    F32(4),
    /** {@code double}. */
    F64(8);

    private final int bytes;

    ArgKind(int bytes) {
        this.bytes = bytes;
    }

    /** Size, which is also the alignment. */
    int bytes() {
        return bytes;
    }

    /** The kind of a parameter declared with C type {@code type} (e.g. "const float* __restrict__"). */
    static ArgKind ofCType(String type) {
        String t = type.strip();
        if (t.contains("*")) {
            return POINTER;
        }
        String base = t.replace("const", "").strip();
        switch (base) {
            case "int":
                return I32;
            case "long long":
                return I64;
            case "float":
                return F32;
            case "double":
                return F64;
            default:
                throw new IllegalArgumentException("unsupported kernel parameter type '" + type
                        + "'");
        }
    }
}
