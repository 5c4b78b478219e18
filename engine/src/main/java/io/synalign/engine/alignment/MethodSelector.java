package io.synalign.engine.alignment;

import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelStorage;
import java.util.Locale;

/**
 * Resolves the configured {@link AlignmentMethod} for a problem size against the memory the
 * backend may keep K_SS in: {@code auto} keeps {@code K_SS} (exact) when the bytes the backend
 * needs for it ({@link KernelBackend#keptKernelBytes}: a triangle on the CPU and GPU backends, in
 * the chosen storage) fit the backend's resident budget ({@link KernelBackend#residentBudgetBytes}:
 * the host memory budget on the CPU, free device memory on a GPU), else uses random Fourier
 * features; an explicit {@code exact} that does not fit fails with the bytes needed, the budget
 * and the alternatives. The reason is logged, so a user sees which plan was taken and why.
 */
final class MethodSelector {

    /** The method chosen and why, for the log. */
    record Choice(AlignmentMethod method, String reason) {
    }

    private MethodSelector() {
    }

    static Choice choose(AlignmentMethod configured, int n, KernelBackend backend,
            long hostBudgetBytes, KernelStorage storage) {
        long bytes = backend.keptKernelBytes(n, n, true, storage);
        long budget = backend.residentBudgetBytes(hostBudgetBytes);
        boolean addressable = bytes != Long.MAX_VALUE;
        boolean fits = addressable && bytes <= budget;
        String where = budget == hostBudgetBytes ? "the memory budget of " + human(budget)
                : human(budget) + " of free " + backend.name() + " device memory";
        String needs = "K_SS (" + storage.cliName() + ", as " + backend.name() + " keeps it) "
                + (addressable ? "needs " + human(bytes) : "is beyond what "
                        + backend.name() + " can address");
        switch (configured) {
            case AUTO:
                if (fits) {
                    return new Choice(AlignmentMethod.EXACT, needs + ", within " + where);
                }
                return new Choice(AlignmentMethod.RFF, needs + (addressable ? ", over " + where
                        : ""));
            case EXACT:
                if (!fits) {
                    String why = !addressable ? "beyond what the " + backend.name()
                            + " backend can address (n = " + n + ")"
                            : "over " + where + " (" + budget + " bytes)";
                    throw new IllegalArgumentException("method exact keeps the " + n + " x " + n
                            + " synthetic kernel matrix: " + (addressable ? bytes + " bytes ("
                            + human(bytes) + "), " : "") + why
                            + "; raise --memory-budget or use --method tiled or rff");
                }
                return new Choice(AlignmentMethod.EXACT, "requested; " + needs + ", within "
                        + where);
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
