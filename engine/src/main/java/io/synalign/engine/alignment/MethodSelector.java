package io.synalign.engine.alignment;

import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelStorage;
import java.util.Locale;

/**
 * Resolves the configured {@link AlignmentMethod} and the storage of a kept K_SS for a problem
 * size against the memory the backend may keep K_SS in: {@code auto} keeps {@code K_SS} (exact)
 * when the bytes the backend needs for it ({@link KernelBackend#keptKernelBytes}: a triangle on
 * the CPU and GPU backends) fit the backend's resident budget
 * ({@link KernelBackend#residentBudgetBytes}: the host memory budget on the CPU, or less where
 * the process may not take that much more of the memory it runs in; free device memory on a
 * GPU), else uses random Fourier features. The storage is the configured one, or the
 * backend's default ({@link KernelBackend#defaultStorage()}); when neither was asked for and the
 * default does not fit, a half-precision K_SS that fits is taken before falling back to rff (its
 * entries err by 2.4e-4 at most, rff's by about 1/sqrt(D)). An explicit {@code exact} that does
 * not fit fails with the bytes needed, the budget and the alternatives. The reason is logged, so
 * a user sees which plan was taken and why.
 */
final class MethodSelector {

    /**
     * The method chosen, the storage of a kept K_SS, why (for the log), and the memory the plan
     * measured it against ({@link KernelBackend#residentBudgetBytes} of the host budget): what
     * K_SS and the optimiser's working sets (its principal submatrices) may keep together, as
     * the host budget was before the memory the process runs in lowered it.
     */
    record Choice(AlignmentMethod method, KernelStorage storage, String reason,
            long residentBudgetBytes) {
    }

    private MethodSelector() {
    }

    /**
     * @param requested the configured storage, or null for the backend's default (which may
     *     then fall back to half precision to fit)
     */
    static Choice choose(AlignmentMethod configured, int n, KernelBackend backend,
            long hostBudgetBytes, KernelStorage requested) {
        KernelStorage storage = requested != null ? requested : backend.defaultStorage();
        long budget = backend.residentBudgetBytes(hostBudgetBytes);
        long bytes = backend.keptKernelBytes(n, n, true, storage);
        if (requested == null && !fits(bytes, budget)
                && backend.keptStorages().contains(KernelStorage.FLOAT16)
                && storage != KernelStorage.FLOAT16) {
            long halfBytes = backend.keptKernelBytes(n, n, true, KernelStorage.FLOAT16);
            if (fits(halfBytes, budget)
                    && (configured == AlignmentMethod.AUTO || configured == AlignmentMethod.EXACT)) {
                String reason = "K_SS in " + storage.cliName() + " needs " + human(bytes)
                        + ", in fp16 " + human(halfBytes) + ", within "
                        + where(backend, budget, hostBudgetBytes);
                return new Choice(AlignmentMethod.EXACT, KernelStorage.FLOAT16,
                        configured == AlignmentMethod.EXACT ? "requested; " + reason : reason,
                        budget);
            }
        }
        boolean addressable = bytes != Long.MAX_VALUE;
        boolean fits = fits(bytes, budget);
        String where = where(backend, budget, hostBudgetBytes);
        String needs = "K_SS (" + storage.cliName() + ", as " + backend.name() + " keeps it) "
                + (addressable ? "needs " + human(bytes) : "is beyond what "
                        + backend.name() + " can address");
        switch (configured) {
            case AUTO:
                if (fits) {
                    return new Choice(AlignmentMethod.EXACT, storage, needs + ", within " + where,
                            budget);
                }
                return new Choice(AlignmentMethod.RFF, storage, needs
                        + (addressable ? ", over " + where : ""), budget);
            case EXACT:
                if (!fits) {
                    String why = !addressable ? "beyond what the " + backend.name()
                            + " backend can address (n = " + n + ")"
                            : "over " + where + " (" + budget + " bytes)";
                    throw new MemoryBudgetException("method exact keeps the " + n + " x " + n
                            + " synthetic kernel matrix: " + (addressable ? bytes + " bytes ("
                            + human(bytes) + "), " : "") + why);
                }
                return new Choice(AlignmentMethod.EXACT, storage, "requested; " + needs
                        + ", within " + where, budget);
            default:
                return new Choice(configured, storage, "requested", budget);
        }
    }

    private static boolean fits(long bytes, long budget) {
        return bytes != Long.MAX_VALUE && bytes <= budget;
    }

    private static String where(KernelBackend backend, long budget, long hostBudgetBytes) {
        if (budget == hostBudgetBytes) {
            return "the memory budget of " + human(budget);
        }
        String reason = backend.residentBudgetReason();
        return reason != null ? human(budget) + " (" + reason + ")"
                : human(budget) + " of free " + backend.name() + " device memory";
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
