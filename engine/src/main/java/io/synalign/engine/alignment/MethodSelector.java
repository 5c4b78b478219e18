package io.synalign.engine.alignment;

import io.synalign.kernels.TilePlan;
import java.util.Locale;

/**
 * Resolves the configured {@link AlignmentMethod} for a problem size against the memory budget:
 * {@code auto} keeps {@code K_SS} (exact) when its {@code 4 n^2} bytes fit the budget (and one
 * Java array), else uses random Fourier features; an explicit {@code exact} that does not fit
 * fails with the bytes needed, the budget and the alternatives.
 */
final class MethodSelector {

    /** The method chosen and why, for the log. */
    record Choice(AlignmentMethod method, String reason) {
    }

    private MethodSelector() {
    }

    /** Bytes a kept float32 {@code K_SS} needs. */
    static long exactBytes(int n) {
        return 4L * n * n;
    }

    /** Whether {@code K_SS} may be kept: within the budget and addressable as one array. */
    static boolean exactFits(int n, long budgetBytes) {
        return TilePlan.forBudget(n, n, budgetBytes).materialise();
    }

    static Choice choose(AlignmentMethod configured, int n, long budgetBytes) {
        long bytes = exactBytes(n);
        boolean fits = exactFits(n, budgetBytes);
        switch (configured) {
            case AUTO:
                if (fits) {
                    return new Choice(AlignmentMethod.EXACT, "K_SS needs " + human(bytes)
                            + ", within the memory budget of " + human(budgetBytes));
                }
                return new Choice(AlignmentMethod.RFF, "K_SS would need " + human(bytes)
                        + (bytes <= budgetBytes ? ", more than one array holds"
                                : ", over the memory budget of " + human(budgetBytes)));
            case EXACT:
                if (!fits) {
                    String why = bytes <= budgetBytes
                            ? "more than one float array can hold (n = " + n + ")"
                            : "over the memory budget of " + budgetBytes + " bytes ("
                                    + human(budgetBytes) + ")";
                    throw new IllegalArgumentException("method exact keeps the " + n + " x " + n
                            + " synthetic kernel matrix: " + bytes + " bytes (" + human(bytes)
                            + "), " + why + "; raise --memory-budget or use --method tiled or rff");
                }
                return new Choice(AlignmentMethod.EXACT, "requested");
            default:
                return new Choice(configured, "requested");
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
