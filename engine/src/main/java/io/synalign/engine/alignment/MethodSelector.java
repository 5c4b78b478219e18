package io.synalign.engine.alignment;

import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelStorage;
import java.util.Locale;
import java.util.function.DoubleSupplier;

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
 * entries err by 2.4e-4 at most, rff's by about 1/sqrt(D)), except for a wide bandwidth (below).
 * An explicit {@code exact} that does not fit fails with the bytes needed, the budget and the
 * alternatives. The reason is logged, so a user sees which plan was taken and why.
 *
 * <p><b>No fp16 where many kernel values lie near 1.</b> Where the closest tenth of a sample
 * of pairs of rows have kernel values of {@value #FP16_MAX_CLOSE_KERNEL} or more (a wide
 * bandwidth, a flat kernel; or tight clusters at the median bandwidth), fp16's rounding (of k,
 * 2^-12 absolute near 1; of a flat tile's {@code g = k - 1}, 2^-12 relative, subnormal below
 * 6.1e-5) is large beside the small MMD^2 the fit reaches, and the fit on it ends far above the
 * fp32 fit's. Simulated in float64 (docs/PERFORMANCE.md, helper cudaplan31;
 * {@code benchmarks/accuracy/fp16flat.py}: 1,500 x 500 rows, three data sets, bandwidths 0.5 to
 * 100 times the median distance): of the 16 cases at or above the line 11 lost 1.47 to 43
 * times, 5 at most 1.041; of the 3 below it none lost more than 1.18 times, about what a tiled
 * fit without working sets costs (below). There the
 * half-precision fallback is not taken: {@code auto} runs {@code tiled} (each product recomputes
 * K in float32, flat terms summed in double; on cuda without working sets, which cost 1.17 to
 * 1.21 times the exact fit's MMD^2 at 3 to 5 times the median: helper gemv29), and an explicit
 * {@code exact} fails naming the value, unless fp16 was asked for. The value is
 * {@code exp(-q^2 / (2 sigma^2))} for the 10th percentile q of the distances of the median
 * heuristic's own seeded sample ({@code MedianHeuristic.quantile}), asked for only when the
 * fallback would be taken (at most 2,000 rows: O(2,000^2 d), negligible beside a K_SS too large
 * for fp32). The bandwidth against the median alone told the cases apart less well: fp16 lost
 * 3.3 times on clustered rows at the median bandwidth and 1.04 times at 10 times it on others.
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

    /**
     * The kernel value of the closest tenth of sampled pairs from which a kept K_SS is not put
     * in fp16 when fp32 does not fit (see the class comment).
     */
    static final double FP16_MAX_CLOSE_KERNEL = 0.85;

    private MethodSelector() {
    }

    /**
     * {@link #choose(AlignmentMethod, int, KernelBackend, long, KernelStorage, DoubleSupplier)}
     * with the close pairs' kernel value unknown.
     */
    static Choice choose(AlignmentMethod configured, int n, KernelBackend backend,
            long hostBudgetBytes, KernelStorage requested) {
        return choose(configured, n, backend, hostBudgetBytes, requested, () -> Double.NaN);
    }

    /**
     * @param requested the configured storage, or null for the backend's default (which may
     *     then fall back to half precision to fit)
     * @param closeKernel the kernel value at the 10th percentile of the sampled distances,
     *     asked for only when the half-precision fallback would be taken; NaN where unknown
     *     (every sampled row alike: the fallback is then taken as before)
     */
    static Choice choose(AlignmentMethod configured, int n, KernelBackend backend,
            long hostBudgetBytes, KernelStorage requested, DoubleSupplier closeKernel) {
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
                double close = closeKernel.getAsDouble();
                if (close >= FP16_MAX_CLOSE_KERNEL) {
                    String wide = "K_SS in " + storage.cliName() + " needs " + human(bytes)
                            + ", over " + where(backend, budget, hostBudgetBytes) + "; in fp16 ("
                            + human(halfBytes) + ") it would fit, but the closest tenth of"
                            + " sampled pairs of rows have kernel values of "
                            + String.format(Locale.ROOT, "%.6g", close) + " or more (from "
                            + FP16_MAX_CLOSE_KERNEL + " on fp16 is not taken), where fp16's rounding"
                            + " of the values near 1 swamps the MMD^2 the fit minimises";
                    if (configured == AlignmentMethod.AUTO) {
                        return new Choice(AlignmentMethod.TILED, storage, wide
                                + ": tiled, recomputed in " + storage.cliName(), budget);
                    }
                    throw new MemoryBudgetException("method exact keeps the " + n + " x " + n
                            + " synthetic kernel matrix: " + wide + " (ask for kernel storage"
                            + " fp16 to keep it so anyway)");
                }
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
