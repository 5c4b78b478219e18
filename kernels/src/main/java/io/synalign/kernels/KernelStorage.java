package io.synalign.kernels;

import java.util.Locale;

/**
 * The number format a kept (materialised) kernel matrix is stored in. Kernel values lie in
 * [0, 1], so half precision keeps about 3.3 significant digits per entry (relative spacing
 * 2^-11, absolute at most 2^-12 near 1); products still accumulate in float and double. Halving
 * the bytes halves the time of a memory-bound product and doubles the n whose K fits.
 */
public enum KernelStorage {
    /** IEEE binary32, 4 bytes per entry. */
    FLOAT32("fp32", 4),
    /** IEEE binary16, 2 bytes per entry (round to nearest even). */
    FLOAT16("fp16", 2);

    private final String cliName;
    private final int bytes;

    KernelStorage(String cliName, int bytes) {
        this.cliName = cliName;
        this.bytes = bytes;
    }

    /** {@code fp32} or {@code fp16}, as on the command line. */
    public String cliName() {
        return cliName;
    }

    /** Bytes per stored entry. */
    public int bytes() {
        return bytes;
    }

    /** The storage named {@code name} ({@code fp32}, {@code fp16}, case-insensitive). */
    public static KernelStorage parse(String name) {
        for (KernelStorage s : values()) {
            if (s.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown kernel storage '" + name
                + "' (expected fp32 or fp16)");
    }
}
