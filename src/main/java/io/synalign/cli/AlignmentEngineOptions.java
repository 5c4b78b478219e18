package io.synalign.cli;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.labelled.LabelledAlignment;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.TilePlan;
import io.synalign.pipeline.TextAlignment;
import picocli.CommandLine.Option;

/** The MMD weight learner's settings, shared by {@code align} and {@code run}. */
final class AlignmentEngineOptions {

    @Option(names = "--bandwidth", paramLabel = "auto|SIGMA",
            converter = Converters.BandwidthConverter.class,
            description = "RBF bandwidth sigma > 0, or auto: the median pairwise distance of a"
                    + " seeded sample of R and S. Default: ${DEFAULT-VALUE}.")
    Bandwidth bandwidth = AlignmentConfig.defaults().bandwidth();

    @Option(names = "--method", paramLabel = "METHOD", converter = Converters.MethodConverter.class,
            description = "auto, exact (keep K_SS; O(n^2) memory), tiled (recompute K_SS in"
                    + " tiles), rff (random Fourier features), nystrom (landmarks). auto picks"
                    + " exact when K_SS fits --memory-budget. Default: auto.")
    AlignmentMethod method = AlignmentConfig.defaults().method();

    @Option(names = "--features", paramLabel = "D", converter = Converters.PositiveInt.class,
            description = "Random features (rff) or landmarks (nystrom). Default: ${DEFAULT-VALUE}.")
    int features = AlignmentConfig.defaults().features();

    @Option(names = "--iterations", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Optimiser iteration cap. Default: ${DEFAULT-VALUE}.")
    int iterations = AlignmentConfig.defaults().maxIterations();

    @Option(names = "--tolerance", paramLabel = "T", converter = Converters.PositiveDouble.class,
            description = "Stop when the relative objective improvement falls below T."
                    + " Default: 1e-6.")
    double tolerance = AlignmentConfig.defaults().tolerance();

    @Option(names = "--max-weight-ratio", paramLabel = "B",
            converter = Converters.AtLeastOneDouble.class,
            description = "Weight cap: no synthetic row gets more than B times the uniform weight"
                    + " 1/n (B >= 1; a value >= n disables the cap). Default: 10.")
    double maxWeightRatio = AlignmentConfig.defaults().maxWeightRatio();

    @Option(names = "--memory-budget", paramLabel = "SIZE",
            converter = Converters.ByteSizeConverter.class,
            description = "Largest kernel matrix exact (and auto, and nystrom) may keep in memory,"
                    + " and what tiled may keep of its optimiser's working sets (cuda keeps"
                    + " none: there tiled does not read it, and a warning says so), e.g. 512MB,"
                    + " 2GiB, 1g, 1073741824 (MB = 10^6, MiB = m = 2^20); on --backend cuda K"
                    + " is kept in device memory, bounded by the free device memory instead;"
                    + " on nd4j at most half of what the process may still take of the memory"
                    + " it runs in (a container's limit; -v says when). Default: ${DEFAULT-VALUE}.")
    ByteSize memoryBudget = new ByteSize(AlignmentConfig.defaults().memoryBudgetBytes());

    @Option(names = "--kernel-storage", paramLabel = "auto|fp32|fp16",
            converter = Converters.KernelStorageConverter.class,
            description = "Number format of a kept K_SS (method exact): fp32, fp16 (half the"
                    + " memory and time per product; cuda only), or auto: the backend's own"
                    + " choice (fp32; on cuda fp16 only where fp32 does not fit the device)."
                    + " Default: auto.")
    KernelStorage kernelStorage = AlignmentConfig.defaults().kernelStorage();

    /**
     * The engine settings from the options, with {@code seed}. An option given on the command
     * line that the chosen {@code --method} never reads is refused (it would otherwise be
     * ignored silently): {@code --features} by exact and tiled, {@code --kernel-storage} by all
     * but exact and auto, {@code --memory-budget} by rff.
     *
     * @param given whether an option was given on the command line
     * @throws IllegalArgumentException naming the option and the method
     */
    AlignmentConfig config(long seed, java.util.function.Predicate<String> given) {
        for (String option : unused()) {
            if (given.test(option)) {
                throw new IllegalArgumentException(option + " does not apply to --method "
                        + method.cliName() + ": " + WHY.get(option));
            }
        }
        return config(seed);
    }

    private static final java.util.Map<String, String> WHY = java.util.Map.of(
            "--features", "random features or landmarks are of rff and nystrom (and of auto,"
                    + " which falls back to rff)",
            "--kernel-storage", "it is the number format of a kept K_SS (exact, or auto choosing"
                    + " exact)",
            "--memory-budget", "it bounds a kept K_SS (exact, auto), the optimiser's kept"
                    + " working sets (exact, tiled) or the landmark matrices (nystrom)");

    /**
     * {@code learner}, saying on {@code err} which given option the fit's backend leaves unread
     * once that backend is opened ({@link TextAlignment.WeightLearner#checked}, called once per
     * backend by every fit and held-out check of a run): {@code --memory-budget} with
     * {@code --method tiled} on a backend whose tiled self-kernel gives no principal
     * submatrices (cuda), where the fit keeps no working sets for the budget to bound
     * ({@link #unreadOn}). A warning, the exit status unchanged, not a refusal as for an option
     * the method never reads ({@link #config(long, java.util.function.Predicate)}): that refusal
     * depends on the command line alone, this on the backend, which is resolved at run time
     * ({@code --backend auto} is cuda on one machine and nd4j on the next), so a script that
     * passes the same options everywhere would fail only where a GPU happens to be.
     *
     * @param given whether an option was given on the command line
     */
    TextAlignment.WeightLearner warningUnread(TextAlignment.WeightLearner learner,
            java.util.function.Predicate<String> given, java.io.PrintWriter err) {
        return new TextAlignment.WeightLearner() {
            @Override
            public AlignmentResult fit(KernelBackend backend, AlignmentConfig config,
                    FloatMatrix real, RowSource synthetic, ProgressListener progress) {
                return learner.fit(backend, config, real, synthetic, progress);
            }

            @Override
            public LabelledAlignment.Fitter checked(KernelBackend backend) {
                String unread = unreadOn(backend, method, given.test("--memory-budget"));
                if (unread != null) {
                    err.println("synalign: warning: " + unread);
                    err.flush();
                }
                return learner.checked(backend);
            }
        };
    }

    /**
     * Why {@code backend} leaves {@code --memory-budget} unread under {@code method}, or null
     * where it reads it or the option was not given. Only {@code tiled} is asked here: its only
     * use of the budget is the optimiser's working sets, which exist where the fit's
     * self-kernel offers principal submatrices ({@link KernelOperator#offersPrincipalSubmatrix},
     * what the fit itself asks: {@code KernelQuadraticForm.restricts}). The backend is asked
     * by a tiled self-kernel of one row made as the fit makes its own (the answer is constant
     * for a backend and plan kind): O(1) work, on cuda a few bytes of device memory. (exact
     * and auto on cuda keep K_SS in device memory, bounded by its free memory, which the
     * option's help says.)
     */
    static String unreadOn(KernelBackend backend, AlignmentMethod method, boolean budgetGiven) {
        if (!budgetGiven || method != AlignmentMethod.TILED) {
            return null;
        }
        FloatMatrix one = FloatMatrix.zeros(1, 1);
        boolean workingSets;
        try (KernelOperator probe = backend.rbfOperator(one, one, 1.0, TilePlan.tiled(1))) {
            workingSets = probe.offersPrincipalSubmatrix();
        }
        return workingSets ? null : "--memory-budget is not read with --method tiled on the "
                + backend.name() + " backend: its kernel operators give no principal"
                + " submatrices, so the fit keeps no working sets for the budget to bound (it"
                + " bounds them on backends that keep them, such as nd4j); the fit goes on";
    }

    /** The options the chosen {@code --method} never reads. */
    java.util.List<String> unused() {
        return switch (method) {
            case EXACT -> java.util.List.of("--features");
            // tiled reads --memory-budget: it bounds the optimiser's kept working sets.
            case TILED -> java.util.List.of("--features", "--kernel-storage");
            case RFF -> java.util.List.of("--kernel-storage", "--memory-budget");
            case NYSTROM -> java.util.List.of("--kernel-storage");
            default -> java.util.List.of();
        };
    }

    /**
     * The engine settings a run document states differently from their parsed value: a
     * {@code --kernel-storage} left to the backend is {@code auto} (each fit says what it kept).
     */
    java.util.Map<String, Object> effective() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("--kernel-storage", kernelStorage == null ? "auto" : kernelStorage);
        return m;
    }

    /** The engine settings from the options, with {@code seed}, unchecked. */
    AlignmentConfig config(long seed) {
        return AlignmentConfig.defaults().withBandwidth(bandwidth)
                .withMethod(method).withFeatures(features).withIterations(iterations, tolerance)
                .withMaxWeightRatio(maxWeightRatio).withMemoryBudget(memoryBudget.bytes())
                .withKernelStorage(kernelStorage).withSeed(seed);
    }

    /**
     * Refuses a --features count whose random features (D x d frequencies) or landmarks (r x d)
     * cannot be one array at dimension {@code dim}, before any row is read: it failed inside the
     * engine with "integer overflow", exit 1.
     */
    static void checkFeatures(io.synalign.engine.alignment.AlignmentConfig config, long dim) {
        io.synalign.engine.alignment.AlignmentMethod m = config.method();
        boolean uses = m == io.synalign.engine.alignment.AlignmentMethod.RFF
                || m == io.synalign.engine.alignment.AlignmentMethod.NYSTROM
                || m == io.synalign.engine.alignment.AlignmentMethod.AUTO;
        long values = dim * config.features();
        if (uses && values > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("--features " + config.features() + ": at dimension "
                    + dim + " that is " + values + " values, more than one array holds ("
                    + (Integer.MAX_VALUE - 8) + "); give fewer features");
        }
    }
}
