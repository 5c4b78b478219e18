package io.synalign.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A memory size given on the command line: a plain byte count ({@code 1073741824}) or a number
 * with a unit. SI units with a B are decimal ({@code kB}, {@code MB}, {@code GB}, {@code TB} =
 * 10^3 ... 10^12); IEC units ({@code KiB} ... {@code TiB}) and the JVM-style single letters
 * ({@code k}, {@code m}, {@code g}, {@code t}) are binary (2^10 ... 2^40). Units are
 * case-insensitive and fractions are allowed ({@code 1.5GiB}), rounded down to whole bytes.
 *
 * @param bytes the size in bytes, {@code >= 0}
 */
public record ByteSize(long bytes) {

    private static final Pattern SYNTAX = Pattern.compile("([0-9]+(?:\\.[0-9]*)?)\\s*([a-zA-Z]*)");
    private static final Map<String, Long> UNITS = Map.ofEntries(
            Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("k", 1L << 10), Map.entry("kib", 1L << 10), Map.entry("kb", 1_000L),
            Map.entry("m", 1L << 20), Map.entry("mib", 1L << 20), Map.entry("mb", 1_000_000L),
            Map.entry("g", 1L << 30), Map.entry("gib", 1L << 30), Map.entry("gb", 1_000_000_000L),
            Map.entry("t", 1L << 40), Map.entry("tib", 1L << 40), Map.entry("tb", 1_000_000_000_000L));

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size must be >= 0 bytes, got " + bytes);
        }
    }

    /**
     * @throws IllegalArgumentException naming the text when it is not a size
     */
    public static ByteSize parse(String text) {
        Matcher m = SYNTAX.matcher(text.strip());
        Long unit = null;
        if (m.matches()) {
            unit = UNITS.get(m.group(2).toLowerCase(Locale.ROOT));
        }
        if (unit == null) {
            throw new IllegalArgumentException("'" + text + "' is not a memory size (examples:"
                    + " 512MB, 2GiB, 1g, 1073741824)");
        }
        BigDecimal value = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
        if (value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large a memory size");
        }
        return new ByteSize(value.longValue());
    }

    /** The shortest exact binary rendering, e.g. {@code 2GiB}, {@code 1536MiB}, {@code 1000}. */
    @Override
    public String toString() {
        String[] names = {"TiB", "GiB", "MiB", "KiB"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < names.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes >= unit && bytes % unit == 0) {
                return bytes / unit + names[i];
            }
        }
        return Long.toString(bytes);
    }
}
