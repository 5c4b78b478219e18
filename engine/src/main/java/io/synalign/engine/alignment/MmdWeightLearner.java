package io.synalign.engine.alignment;

import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.TilePlan;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns one sampling weight per synthetic row by minimising weighted MMD^2 to the real rows
 * (the synthetic distribution alignment step of "Few-shot LLM Synthetic Data with Distribution
 * Matching", WWW 2025).
 *
 * <p>Problem: with the RBF kernel {@code k(x,y) = exp(-||x-y||^2 / (2 sigma^2))}, synthetic rows
 * S (n) and real rows R (m), minimise the biased V-statistic
 * {@code MMD^2(w) = w^T K_SS w - (2/m) w^T K_SR 1 + (1/m^2) 1^T K_RR 1} over the capped simplex
 * {@code { w >= 0, sum w = 1, w_i <= B/n }} ({@code B = maxWeightRatio}; {@code B >= n} means
 * no cap). Sigma is the configured value or the median heuristic ({@link MedianHeuristic}).
 *
 * <p>Pipeline: resolve the method ({@link MethodSelector}); build the objective once
 * ({@link MmdObjectives}: the linear term and constant by tiled row sums, {@code K_SS} kept for
 * {@code exact}, recomputed per product for {@code tiled}, replaced by random Fourier features
 * for {@code rff} or a Nystrom factorisation for {@code nystrom}); minimise it from the uniform
 * weights with {@link AcceleratedProjectedGradient} (one kernel product per iteration); then
 * renormalise the weights exactly and report MMD^2. For {@code rff} and {@code nystrom} the
 * reported MMD^2 values are recomputed exactly by a tiled pass whenever
 * {@code n^2 + n m + m^2 < }{@value #EXACT_REPORT_MAX_ENTRIES} kernel entries; beyond that they
 * are the approximation's values and {@link AlignmentResult#mmdEstimator()} names it.
 *
 * <p>Cost: exact O(n^2 d + n m d + m^2 d) to build, O(n^2) per iteration, 4 n^2 bytes; tiled
 * O(n^2 d) per iteration, O(n * tile) memory; rff O((n + m) d D) to build and O(n D) per
 * iteration and memory; nystrom O(r^3 + (n + m) r d) to build, O(n r) per iteration and
 * 8 n r bytes ({@code K_SL} and {@code K_LS}) while they fit half the memory budget (see {@link #fit(FloatMatrix, RowSource,
 * ProgressListener)}; beyond it O(n r d) per iteration for the chunks recomputed).
 * The optimiser adds O(n log n) per iteration. The iteration count is governed by the
 * stopping rule documented on {@link AcceleratedProjectedGradient}.
 */
public final class MmdWeightLearner {

    private static final Logger LOG = LoggerFactory.getLogger(MmdWeightLearner.class);

    /**
     * System property capping the bytes of features kept between passes, rff's {@code Phi_S}
     * and nystrom's {@code K_SL} (default: the backend's {@link KernelBackend#featureBudgetBytes}
     * for rff, see {@link #nystromKeepBytes} for nystrom); 0 recomputes every chunk in every
     * pass.
     */
    public static final String FEATURE_BUDGET_PROPERTY = "synalign.rff.featureBudget";

    /**
     * The bound below which ({@code n^2 + n m + m^2 <} it) approximate methods report exact
     * MMD^2; at or above it they report their own estimate.
     */
    public static final double EXACT_REPORT_MAX_ENTRIES = 2e9;

    private static final String CANCELLED = "MMD fit";

    private final KernelBackend backend;
    private final AlignmentConfig config;
    /** Bytes of rff or nystrom features kept between passes; -1: the default. */
    private long featureBudget = -1;
    /** The heap's maximum the heap rules compare against; 0: {@link Runtime#maxMemory}. */
    private long maxHeap;

    public MmdWeightLearner(KernelBackend backend, AlignmentConfig config) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.backend = backend;
        this.config = config;
    }

    /**
     * @param real R, m rows
     * @param synthetic S, n rows, same column count as R
     * @throws IllegalArgumentException on empty input or a dimension mismatch, naming both shapes;
     *     when method exact does not fit the memory budget
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted:
     *     the fit stops within one optimiser iteration (one chunk of rows while rff or nystrom
     *     features are built, one kernel stage before), with the interrupt status kept set,
     *     nothing returned and its backend memory, operators and row sources closed
     *     ({@link io.synalign.kernels.Cancellation}); parallel work inside an iteration finishes it
     */
    public AlignmentResult fit(FloatMatrix real, FloatMatrix synthetic, ProgressListener progress) {
        validate(real, synthetic);
        return fit(real, RowSource.of(synthetic), synthetic, progress);
    }

    /**
     * The same for synthetic rows of any length (a file read block by block, in-memory blocks):
     * {@code rff} and {@code nystrom} stream them through {@link ChunkedFeatureOperator},
     * keeping as much of {@code Phi_S} (rff: as the backend's feature budget allows,
     * {@link KernelBackend#featureBudgetBytes}) or of {@code K_SL} (nystrom: see
     * {@link #nystromKeepBytes}) as fits and recomputing the rest from the source in every
     * pass, and state that plan (kept bytes, expected peak, passes) before they start; nystrom
     * reads only its landmark rows from the source beyond that. The other methods, and the exact
     * MMD^2 report (below {@value #EXACT_REPORT_MAX_ENTRIES} kernel entries), read the rows into
     * one matrix, which must fit one Java array (and, for a named exact or tiled, the heap's
     * maximum with R, a K_SS kept on the heap and the optimiser's vectors,
     * {@link #heapBytes}: refused before any row is read otherwise); {@code auto} does so only
     * once its plan has chosen exact or tiled, and only where the rows fit one array and that
     * fit fits half of the heap's maximum (else it takes rff, which streams them, as it does on
     * a matrix too), and then plans again with
     * the resident row copies those methods share ({@link KernelBackend#keepResident}) open, as
     * on a matrix, where the copies are made before the plan (if that second plan streams, rff
     * or nystrom read their chunks from the matrix already read, not from the source again).
     * The source checks its own values as it reads them.
     *
     * @param synthetic S, n rows (n below 2^31 - 8), same column count as R
     */
    public AlignmentResult fit(FloatMatrix real, RowSource synthetic, ProgressListener progress) {
        if (real == null || synthetic == null) {
            throw new IllegalArgumentException("real and synthetic must not be null");
        }
        if (synthetic.inMemory() != null) {
            // One matrix: checked up front, whole, as always.
            return fit(real, synthetic.inMemory(), progress);
        }
        if (real.rows() == 0 || synthetic.rows() == 0 || real.cols() != synthetic.cols()) {
            String problem = real.cols() != synthetic.cols() ? "column counts differ"
                    : "need at least one row in each";
            throw new IllegalArgumentException(problem + ": real is " + shape(real)
                    + ", synthetic (" + synthetic.name() + ") is " + synthetic.rows() + " x "
                    + synthetic.cols());
        }
        if (synthetic.rows() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(synthetic.name() + ": " + synthetic.rows()
                    + " synthetic rows are more than one weight vector holds ("
                    + (Integer.MAX_VALUE - 8) + ")");
        }
        real.requireFinite("real");
        return fit(real, synthetic, null, progress);
    }

    /**
     * The median heuristic; where every real and synthetic row is the same point (an LLM that
     * copied its one demonstration), 1: every kernel value is then 1 at any bandwidth, so any
     * gives the same, exact fit (uniform weights, MMD^2 0). Such a label stopped a per-label run
     * of every label with exit 2 ("give --bandwidth", which would have forced one bandwidth on
     * all labels). Rows merely sampled alike, but not all alike, still fail as before.
     */
    private double autoBandwidth(FloatMatrix real, RowSource syntheticRows) {
        try {
            return MedianHeuristic.estimate(backend, MedianHeuristic.DEFAULT_SAMPLE, config.seed(),
                    RowSource.of(real), syntheticRows);
        } catch (MedianHeuristic.Unusable e) {
            if (MedianHeuristic.allRowsEqual(RowSource.of(real), syntheticRows)) {
                return 1.0;
            }
            throw e;
        }
    }

    /**
     * The kernel value at the 10th percentile of the distances of the median heuristic's sample
     * ({@link MedianHeuristic#quantile}), {@code exp(-q^2 / (2 sigma^2))}: near 1 where many
     * pairs' values are (a wide bandwidth, tight clusters); NaN where every sampled row is alike.
     */
    private double closeKernel(double sigma, FloatMatrix real, RowSource syntheticRows) {
        double q = MedianHeuristic.quantile(backend, MedianHeuristic.DEFAULT_SAMPLE,
                config.seed(), 0.1, RowSource.of(real), syntheticRows);
        return Math.exp(-q * q / (2 * sigma * sigma));
    }

    /** The fit, with the synthetic rows as a matrix already when the caller had one. */
    private AlignmentResult fit(FloatMatrix real, RowSource syntheticRows,
            FloatMatrix syntheticMatrix, ProgressListener progress) {
        long started = System.nanoTime();
        checkStorage();
        Cancellation.stopIfInterrupted(CANCELLED);
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        int n = (int) syntheticRows.rows();
        int m = real.rows();
        int d = syntheticRows.cols();
        // The median heuristic's sample (bandwidth auto), and where it stands beside S: S is the
        // caller's matrix. On a source it is taken beside R alone, before S is read.
        long sample = sampleBytes(syntheticRows, real);
        long sampleBesideS = syntheticRows.inMemory() != null ? sample : 0;
        if (!streams(config.method()) && config.method() != AlignmentMethod.AUTO) {
            // A named exact or tiled reads S whole below: refused now, before the median
            // heuristic or anything else reads the source, where it cannot be (helper heap32),
            // or where S with R, a K_SS kept on the heap and the optimiser's vectors cannot all
            // be on the heap at once (helper heap33), or, on a matrix, S and R with the
            // heuristic's sample (helper median34: it ran out of memory in the heuristic).
            if (syntheticMatrix == null) {
                requireWhole(syntheticRows, config.method());
            }
            requireHeap(config.method(), config.kernelStorage() != null ? config.kernelStorage()
                    : backend.defaultStorage(), syntheticRows, real, sampleBesideS);
        }
        // Every method takes the sample first, beside R and (on a matrix) S: none avoids it.
        // On a source too (helper heap35: at -Xmx96m a 2,000 x 8,000 exact fit on a source
        // passed every rule and ran out of memory in the heuristic, its sample beside R).
        requireSampleRoom(syntheticRows, real, sample);
        double sigma = config.bandwidth().isAuto() ? autoBandwidth(real, syntheticRows)
                : config.bandwidth().value();
        // Methods other than rff and nystrom need S as one matrix.
        FloatMatrix synthetic = syntheticMatrix;
        if (synthetic == null && !streams(config.method())
                && config.method() != AlignmentMethod.AUTO) {
            synthetic = whole(syntheticRows, config.method());
        }
        WeightSolver.Solution outcome;
        String estimator;
        String held;
        AlignmentMethod method;
        double[] uniform = new double[n];
        Arrays.fill(uniform, 1.0 / n);
        ConvergenceTrace.Recorder trace = new ConvergenceTrace.Recorder(started);
        // One device copy of each row set for every kernel operator of the fit, made before the
        // plan so that the plan sees the memory those copies take; rff and nystrom read the rows
        // chunk by chunk (to build their features) and do not keep them.
        try (Residency rows = new Residency(!streams(config.method()) && synthetic != null,
                synthetic, real)) {
            // The close pairs' kernel value, for the plan's fp16 rule, drawn only if asked (and
            // once: a second plan below asks again).
            double bandwidth = sigma;
            double[] close = {Double.NaN};
            boolean[] drawn = {false};
            DoubleSupplier closeKernel = () -> {
                if (!drawn[0]) {
                    close[0] = closeKernel(bandwidth, real, syntheticRows);
                    drawn[0] = true;
                }
                return close[0];
            };
            MethodSelector.Choice choice = MethodSelector.choose(config.method(), n, backend,
                    config.memoryBudgetBytes(), config.kernelStorage(), closeKernel);
            method = choice.method();
            // Where rff and nystrom read S's chunks from.
            RowSource featureRows = syntheticRows;
            if (config.method() == AlignmentMethod.AUTO && !streams(method)
                    && !fitsHalfTheHeap(method, choice.storage(), syntheticRows, real)) {
                // auto whose K_SS fits the budget but whose fit does not fit half the heap
                // (heapBytes: S, R, a K_SS kept on the heap, the optimiser's vectors), or whose
                // S on a source is more than one Java array: the plan counted K_SS against the
                // budget, not the heap; reading S or keeping K_SS would end the fit in
                // OutOfMemoryError (or refuse it, naming exact, which the user did not ask for)
                // where rff streams S (issue 12: a source larger than the heap is never read
                // whole). Only auto has that choice; a named exact or tiled is refused by
                // requireHeap. Review32e; on a matrix too, and by a rule of the sizes and the
                // heap's maximum, not of the heap's state at the moment, since helper heap33.
                choice = streamedInstead(choice, syntheticRows, real);
                method = choice.method();
            } else if (!streams(method)) {
                // A named exact or tiled, now that the plan has fixed K_SS's storage: refused
                // before K_SS or anything else of the objective is allocated (helper heap33).
                // auto's kernel method fits half the heap (above) and passes.
                // The heuristic's sample is gone by now (checked above, before it was taken).
                requireHeap(method, choice.storage(), syntheticRows, real, 0);
            }
            if (streams(method)) {
                rows.release();
            } else if (synthetic == null) {
                // auto on a source (a named exact or tiled read S above), resolved to a method
                // that keeps kernel operators: S is read whole now, its copies and R's are made
                // as auto on a matrix makes them, and the plan is asked again so that it sees
                // their memory, as it does there. Without the copies each of the fit's kernel
                // operators kept its own upload of S on a device backend (cuda: two of S and
                // one of R, none of them seen by the plan; helper fwd32).
                synthetic = whole(syntheticRows, method);
                rows.keep(synthetic, real);
                choice = MethodSelector.choose(config.method(), n, backend,
                        config.memoryBudgetBytes(), config.kernelStorage(), closeKernel);
                method = choice.method();
                if (streams(method)) {
                    rows.release();
                    // S is on the heap now, whole (and stays for the exact report): rff or
                    // nystrom recompute their chunks from it rather than read the source again
                    // in every pass. The chunk grid depends on n, d, D and the backend only
                    // (and, for nystrom or a backend that cannot build from pieces, the heap's
                    // maximum: heapRows, fixed for a JVM; helpers heap33, chunkgrid34), never on
                    // the source, so the weights are the re-reading path's bit for bit
                    // (helper heap32).
                    featureRows = RowSource.of(synthetic);
                }
            }
            KernelStorage storage = choice.storage();
            if (config.method() == AlignmentMethod.AUTO) {
                LOG.info("method auto: using {} ({})", method.cliName(), choice.reason());
            } else if (method == AlignmentMethod.EXACT) {
                LOG.info("method exact: {}", choice.reason());
            }
            LOG.info("MMD alignment: n={} synthetic, m={} real, d={}, sigma={}{}, method={},"
                    + " backend={}",
                    n, m, d, fmt(sigma), config.bandwidth().isAuto() ? " (median heuristic)" : "",
                    method.cliName(), backend.name());
            try (MmdObjective objective = buildObjective(method, featureRows, synthetic, real,
                    sigma, storage, listener)) {
                estimator = objective.estimator();
                held = objective.formDescription();
                LOG.info("H: {}", held);
                int total = config.maxIterations();
                // The working sets share the budget the plan measured K_SS against: not the host
                // budget, which the memory the process runs in may have lowered.
                outcome = WeightSolver.solve(objective, config, (it, value) -> {
                    trace.record(value);
                    if (it > 0) {
                        listener.onProgress("optimise", it, total, "mmd2=" + fmt(value));
                    }
                }, choice.residentBudgetBytes());
            }
        }
        double[] weights = outcome.weights();

        double mmd2Uniform = outcome.initialValue();
        double mmd2Weighted = outcome.value();
        boolean approximate = method == AlignmentMethod.RFF || method == AlignmentMethod.NYSTROM;
        if (approximate) {
            double entries = (double) n * n + (double) n * m + (double) m * m;
            long rowBytes = 4L * n * d;
            // Beside R only: the median heuristic's sample and the fit's objective are gone.
            if (entries < EXACT_REPORT_MAX_ENTRIES && synthetic == null
                    && !readsWhole(n, d, real, false, 0)) {
                // Streamed rows: the exact report would read S whole into the heap, which the
                // fit itself never needed (nor its plan counted); the fit's own estimate stands.
                LOG.info("exact MMD^2 report skipped: it would read the {} synthetic rows into"
                        + " {} of heap, with the real rows more than half of its maximum ({});"
                        + " the {} estimate is reported", n, MethodSelector.human(rowBytes),
                        MethodSelector.human(Runtime.getRuntime().maxMemory()), method.cliName());
            } else if (entries < EXACT_REPORT_MAX_ENTRIES) {
                if (synthetic == null) {
                    synthetic = syntheticRows.toMatrix();
                }
                Cancellation.stopIfInterrupted(CANCELLED);
                listener.onProgress("evaluate", 0, 1, "exact MMD^2");
                double[] exact = WeightedMmd.values(backend, synthetic, real, sigma,
                        uniform, weights);
                listener.onProgress("evaluate", 1, 1, "exact MMD^2");
                mmd2Uniform = exact[0];
                mmd2Weighted = exact[1];
                estimator = "exact";
            }
        }
        // MMD^2 is a squared RKHS norm, >= 0; a negative value is float rounding (K close to
        // all ones at a bandwidth far above the rows' spread) and is reported as 0.
        mmd2Uniform = Math.max(0, mmd2Uniform);
        mmd2Weighted = Math.max(0, mmd2Weighted);
        double sumSquares = 0;
        for (double w : weights) {
            sumSquares += w * w;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        LOG.info("MMD alignment done: {} iterations ({}), {} products, MMD^2 {} -> {} ({}),"
                + " effective sample size {} of {}, {} s",
                outcome.iterations(), outcome.converged() ? "converged" : "iteration cap",
                outcome.products(), fmt(mmd2Uniform), fmt(mmd2Weighted), estimator,
                fmt(1 / sumSquares), n, String.format(Locale.ROOT, "%.2f", seconds));
        return new AlignmentResult(weights, sigma, mmd2Uniform, mmd2Weighted, estimator,
                outcome.iterations(), outcome.converged(), 1 / sumSquares, method, backend.name(),
                seconds, trace.build(), held);
    }

    /**
     * This learner with rff's or nystrom's kept features capped at {@code bytes} (0: recompute
     * every chunk in every pass) instead of the default budget; for tests of the streamed path.
     */
    MmdWeightLearner withFeatureBudget(long bytes) {
        MmdWeightLearner copy = new MmdWeightLearner(backend, config);
        copy.featureBudget = bytes;
        copy.maxHeap = maxHeap;
        return copy;
    }

    /**
     * This learner with its heap rules ({@link #requireHeap}, {@link #requireSampleRoom},
     * {@link #requireWhole}, auto's {@link #fitsHalfTheHeap}) measured against a heap of at most
     * {@code bytes} instead of {@link Runtime#maxMemory}; for tests, which cross the rules'
     * limits with small rows instead of allocating past a real heap.
     */
    MmdWeightLearner withMaxHeap(long bytes) {
        MmdWeightLearner copy = new MmdWeightLearner(backend, config);
        copy.featureBudget = featureBudget;
        copy.maxHeap = bytes;
        return copy;
    }

    /** The heap's maximum the rules compare against ({@link #withMaxHeap}). */
    private long maxHeap() {
        return maxHeap > 0 ? maxHeap : Runtime.getRuntime().maxMemory();
    }

    /** The fit's resident row sets (see {@link KernelBackend#keepResident}), released once. */
    private final class Residency implements AutoCloseable {
        private KernelBackend.Residency synthetic = KernelBackend.Residency.NONE;
        private KernelBackend.Residency real = KernelBackend.Residency.NONE;

        Residency(boolean keep, FloatMatrix syntheticRows, FloatMatrix realRows) {
            if (keep) {
                keep(syntheticRows, realRows);
            }
        }

        /**
         * Opens the two copies (none may be open); a refused second closes the first, whatever
         * the refusal (an Error too: an OutOfMemoryError of R's staging, an assertion; before
         * review32e only a RuntimeException did, and S's device copy stayed held until the
         * backend closed).
         */
        void keep(FloatMatrix syntheticRows, FloatMatrix realRows) {
            KernelBackend.Residency s = backend.keepResident(syntheticRows);
            try {
                real = backend.keepResident(realRows);
            } catch (RuntimeException | Error e) {
                try {
                    s.close();
                } catch (RuntimeException | Error suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            synthetic = s;
        }

        void release() {
            try {
                real.close();
            } finally {
                synthetic.close();
                real = KernelBackend.Residency.NONE;
                synthetic = KernelBackend.Residency.NONE;
            }
        }

        @Override
        public void close() {
            release();
        }
    }

    /** Whether the method streams S from its source (rff, nystrom) rather than needing it whole. */
    private static boolean streams(AlignmentMethod method) {
        return method == AlignmentMethod.RFF || method == AlignmentMethod.NYSTROM;
    }

    /**
     * The Java heap a fit by the kernel method {@code method} holds at once, in bytes: S's rows
     * as floats (read whole, or the caller's matrix), R's, K_SS where the backend keeps it on the
     * heap ({@link KernelBackend#keepsKernelsOnHeap}; exact only: tiled keeps none) and the
     * optimiser's vectors (about 14 of n doubles, as the rff plan counts them). O(1).
     *
     * <p>What it leaves out: a backend's own working copies (nd4j's centre sample, row copies
     * off the heap on nd4j and cuda), the working sets' kept submatrices (bounded by the memory
     * budget), the caller's other data and the JVM's own. It is a floor of what the fit needs,
     * so a fit refused by it cannot run; one accepted can still run out of memory by those.
     * Saturates at {@code Long.MAX_VALUE} (a K_SS beyond what the backend addresses).
     */
    static long heapBytes(KernelBackend backend, AlignmentMethod method, KernelStorage storage,
            long n, int d, FloatMatrix real) {
        return heapBytes(backend, method, storage, n, d, real, 0);
    }

    /**
     * {@link #heapBytes(KernelBackend, AlignmentMethod, KernelStorage, long, int, FloatMatrix)}
     * with the median heuristic's {@code sample} bytes where the sample stands beside S (S the
     * caller's matrix and the bandwidth auto: {@link #sampleBytes}; 0 elsewhere): it is taken
     * and freed before K_SS or the optimiser's vectors exist, so the peak is S + R + the larger
     * of the sample and K_SS with the vectors. On a source the sample is taken before S is read
     * whole and never stands beside it (helper median34); it stands beside R alone there, which
     * {@link #requireSampleRoom} counts (helper heap35). O(1).
     */
    static long heapBytes(KernelBackend backend, AlignmentMethod method, KernelStorage storage,
            long n, int d, FloatMatrix real, long sample) {
        return heapBytes(backend, method, storage, n, d, real.bytes(), sample);
    }

    /**
     * {@link #heapBytes(KernelBackend, AlignmentMethod, KernelStorage, long, int, FloatMatrix,
     * long)} with R's bytes given: 0 where R is the very matrix S is ({@link #realBytes}).
     */
    private static long heapBytes(KernelBackend backend, AlignmentMethod method,
            KernelStorage storage, long n, int d, long realBytes, long sample) {
        long kept = method == AlignmentMethod.EXACT && backend.keepsKernelsOnHeap()
                ? backend.keptKernelBytes(n, n, true, storage) : 0;
        long vectors = 14L * Double.BYTES * n;
        long fit = kept > Long.MAX_VALUE - vectors ? Long.MAX_VALUE : kept + vectors;
        long larger = Math.max(sample, fit);
        long rows = Float.BYTES * n * d + realBytes;
        return larger > Long.MAX_VALUE - rows ? Long.MAX_VALUE : larger + rows;
    }

    /**
     * R's bytes on the heap beside S: 0 where the caller passed one matrix as both (the same
     * object, S's {@link RowSource#inMemory}), which S's bytes already count; counted twice it
     * refused fits at half the size that runs (review34b). An identity check: two equal but
     * distinct matrices are two arrays.
     */
    private static long realBytes(RowSource rows, FloatMatrix real) {
        return rows.inMemory() == real ? 0 : real.bytes();
    }

    /**
     * The bytes of the median heuristic's sample ({@link MedianHeuristic#heapBytes} of the
     * union's rows) where the bandwidth is auto, else 0. It stands beside R and, where S is the
     * caller's matrix, beside S ({@link #sampleRoomBytes}). O(1).
     */
    private long sampleBytes(RowSource rows, FloatMatrix real) {
        return config.bandwidth().isAuto()
                ? MedianHeuristic.heapBytes(rows.rows() + real.rows(), rows.cols(),
                        MedianHeuristic.DEFAULT_SAMPLE)
                : 0;
    }

    /**
     * What stands on the heap while the median heuristic holds its {@code sample}: the sample,
     * R (once, where R is S: {@link #realBytes}) and S where it is the caller's matrix; on a
     * source S is read only after the sample is freed. Saturates at {@code Long.MAX_VALUE}.
     * O(1).
     */
    private static long sampleRoomBytes(RowSource rows, FloatMatrix real, long sample) {
        long s = rows.inMemory() != null ? Float.BYTES * rows.rows() * rows.cols() : 0;
        long total = s + realBytes(rows, real);
        return sample > Long.MAX_VALUE - total ? Long.MAX_VALUE : total + sample;
    }

    /**
     * The most the median heuristic's phase ({@link #sampleRoomBytes}) may hold: three quarters
     * of the heap's maximum. Not the whole heap: the sample (k x d floats) and its squared
     * distances (k x k floats) are each one large array, which G1 places in whole contiguous
     * regions beside the JVM's own data, none of which the count holds. Measured (helper
     * heap35: the command line, 2,000 x 8,000 synthetic rows on a source and 200 real, exact,
     * nd4j): R and the sample counted 87.5 MB (before the selection's kept pairs were counted:
     * 88.1 MB since); the run ran out of memory in the heuristic at -Xmx96m and -Xmx100m (the
     * count 87 and 83 % of the heap) and ran at -Xmx104m (80 %).
     * Not half, the read rule's share ({@link #readsWhole}): that refused a named fit where it
     * runs at twice the margin it needs (there up to -Xmx167m; it ran at -Xmx128m). O(1).
     */
    static long sampleLimit(long maxHeap) {
        return maxHeap / 4 * 3;
    }

    /**
     * Refuses a fit whose median heuristic's {@code sample} cannot be on the heap beside what
     * stands there while it is taken ({@link #sampleRoomBytes}: R, and S where it is the
     * caller's matrix) within {@link #sampleLimit} of the heap's maximum, whatever the method:
     * the sample is taken first, so no method avoids it, and the run ended in OutOfMemoryError
     * inside the heuristic (helper median34 on a matrix; helper heap35 on a source, where the
     * sample stands beside R alone and no rule counted it). O(1), before the heuristic.
     *
     * @throws IllegalArgumentException naming the bytes, the limit and the ways out
     */
    private void requireSampleRoom(RowSource rows, FloatMatrix real, long sample) {
        if (sample > 0 && sampleRoomBytes(rows, real, sample) > sampleLimit(maxHeap())) {
            throw sampleBeyondTheHeap(rows, real, sample);
        }
    }

    /** The refusal of a median heuristic's sample beyond {@link #sampleLimit}, in one line. */
    private IllegalArgumentException sampleBeyondTheHeap(RowSource rows, FloatMatrix real,
            long sample) {
        long n = rows.rows();
        long total = sampleRoomBytes(rows, real, sample);
        long k = Math.min(MedianHeuristic.DEFAULT_SAMPLE, n + real.rows());
        long heap = maxHeap();
        String beside;
        if (rows.inMemory() == null) {
            // A source: S is read after the sample is freed (if at all).
            beside = "the " + real.rows() + " real rows (" + MethodSelector.human(real.bytes())
                    + ")";
        } else {
            beside = "the " + n + " x " + rows.cols() + " synthetic rows ("
                    + MethodSelector.human(Float.BYTES * n * rows.cols()) + ")"
                    + (rows.inMemory() == real ? ", which are also the real rows"
                            : " and the " + real.rows() + " real ("
                                    + MethodSelector.human(real.bytes()) + ")");
        }
        return new IllegalArgumentException("the median heuristic (bandwidth auto) would hold its"
                + " sample of " + k + " rows and their distances ("
                + MethodSelector.human(sample) + ") beside " + beside + ", "
                + MethodSelector.human(total) + " (" + total + " bytes) on the Java heap"
                + " at once, more than three quarters of the JVM's heap ("
                + MethodSelector.human(sampleLimit(heap)) + " of " + MethodSelector.human(heap)
                + " at most; the rest is the JVM's own); give the bandwidth (--bandwidth) so"
                + " that no sample is taken, or give the JVM a larger heap with -Xmx");
    }

    /**
     * Whether auto may take the kernel method its plan chose: S within one Java array (on a
     * source it is read into one) and {@link #heapBytes} within half of the heap's maximum
     * ({@link Runtime#maxMemory}). Sizes and the JVM's options only, never the heap's state at
     * the moment (what is free depends on when the collector last ran, so a rule of it took
     * exact in one run and rff in the next near its edge); the half leaves the rest of the
     * heap for what {@link #heapBytes} does not count and for the collector's own room. The
     * benchmark's 16,000 x 384 rows with 4,000 real (nd4j: K_SS off the heap) hold 33 MiB, far
     * within any default heap.
     */
    private boolean fitsHalfTheHeap(AlignmentMethod method, KernelStorage storage,
            RowSource rows, FloatMatrix real) {
        // Without the median heuristic's sample, even beside a matrix: auto chooses after the
        // heuristic has run and freed it, and rff would take the same sample beside S, so
        // counting it here would trade exact for rff and spare nothing (requireSampleRoom
        // refuses the fit before the heuristic where the sample cannot fit; helper median34).
        return rows.rows() * (long) rows.cols() <= ChunkedFeatureOperator.MAX_ARRAY
                && heapBytes(backend, method, storage, rows.rows(), rows.cols(),
                        realBytes(rows, real), 0) <= maxHeap() / 2;
    }

    /**
     * auto's plan when its kernel method does not fit ({@link #fitsHalfTheHeap}): rff, which
     * streams S and keeps no K_SS, with the first plan's reason and why it was not taken.
     */
    private MethodSelector.Choice streamedInstead(MethodSelector.Choice kernel, RowSource rows,
            FloatMatrix real) {
        long values = rows.rows() * (long) rows.cols();
        String why;
        if (values > ChunkedFeatureOperator.MAX_ARRAY) {
            why = "needs the " + rows.rows() + " x " + rows.cols() + " synthetic rows of "
                    + rows.name() + " (" + MethodSelector.human(Float.BYTES * values)
                    + ") in one Java array, which holds fewer values";
        } else {
            why = "would hold " + heapDetail(kernel.method(), kernel.storage(), rows, real)
                    + " on the Java heap, more than half of its maximum ("
                    + MethodSelector.human(maxHeap()) + "; -Xmx gives"
                    + " more)";
        }
        return new MethodSelector.Choice(AlignmentMethod.RFF, kernel.storage(), kernel.reason()
                + ", but " + kernel.method().cliName() + " " + why + ": rff streams the rows",
                kernel.residentBudgetBytes());
    }

    /** {@link #heapBytes} in words: the total and its parts. */
    private String heapDetail(AlignmentMethod method, KernelStorage storage, RowSource rows,
            FloatMatrix real) {
        long n = rows.rows();
        long total = heapBytes(backend, method, storage, n, rows.cols(), realBytes(rows, real),
                0);
        boolean kept = method == AlignmentMethod.EXACT && backend.keepsKernelsOnHeap();
        long keptBytes = kept ? backend.keptKernelBytes(n, n, true, storage) : 0;
        return (total == Long.MAX_VALUE ? "more than any heap holds"
                : MethodSelector.human(total) + " (" + total + " bytes)") + ": the " + n + " x "
                + rows.cols() + " synthetic rows (" + MethodSelector.human(Float.BYTES * n
                * rows.cols()) + "), " + (rows.inMemory() == real ? "which are also the real"
                        + " rows, " : "the " + real.rows() + " real ("
                + MethodSelector.human(real.bytes()) + "), ")
                + (!kept ? "" : keptBytes == Long.MAX_VALUE
                        // Long.MAX_VALUE is the SPI's "beyond what it addresses", not a size
                        // ("8.0 EiB" said so before; review33).
                        ? "K_SS, " + n + " x " + n + ", beyond what " + backend.name()
                                + " addresses, "
                        : "K_SS as " + backend.name() + " keeps it on the heap ("
                                + MethodSelector.human(keptBytes) + "), ")
                + "the optimiser's vectors (" + MethodSelector.human(14L * Double.BYTES * n)
                + ")";
    }

    /**
     * Refuses a named exact or tiled whose {@link #heapBytes} exceed the heap's maximum
     * ({@link Runtime#maxMemory}): S, R, a K_SS kept on the heap and the optimiser's vectors
     * are all live at once, so such a fit cannot run whatever the collector frees; it ended in
     * OutOfMemoryError (the command line's exit 1, "out of memory") once the heap was spent,
     * after the median heuristic's reads and K_SS's build. Measured against the maximum, not
     * the heap free at the moment, so that a fit that fits once garbage is collected runs (a
     * named method is not second-guessed; what {@link #heapBytes} leaves out can still run
     * out). With {@code sample} (the median heuristic's sample beside the caller's matrix S,
     * {@link #sampleBytes}) the peak counts it too, and where the sample alone is what does not
     * fit, the refusal says so and offers a given bandwidth instead (helper median34); where
     * the fit and the sample are both past the heap, its ways out (rff, tiled) are offered with
     * the bandwidth, since each takes the same sample first (review34b). O(1), before anything
     * is allocated.
     *
     * @throws IllegalArgumentException naming the bytes, their parts, the heap and the ways out
     */
    private void requireHeap(AlignmentMethod method, KernelStorage storage, RowSource rows,
            FloatMatrix real, long sample) {
        long realBytes = realBytes(rows, real);
        long need = heapBytes(backend, method, storage, rows.rows(), rows.cols(), realBytes,
                sample);
        long heap = maxHeap();
        if (need <= heap) {
            return;
        }
        if (heapBytes(backend, method, storage, rows.rows(), rows.cols(), realBytes, 0)
                <= heap) {
            // The fit itself would fit; the median heuristic's sample beside S does not, and no
            // method avoids it (rff and tiled take the same sample first).
            throw sampleBeyondTheHeap(rows, real, sample);
        }
        boolean kept = method == AlignmentMethod.EXACT && backend.keepsKernelsOnHeap();
        // tiled is a way out only where its own heap (the same less K_SS) fits: where the rows
        // and vectors alone are past the heap, tiled would be refused in turn (review33).
        boolean tiledFits = kept && heapBytes(backend, AlignmentMethod.TILED, storage,
                rows.rows(), rows.cols(), realBytes, 0) <= heap;
        // Where the median heuristic's sample cannot stand beside the caller's S and R either,
        // rff and tiled are refused for it in turn (requireSampleRoom, sampleBeyondTheHeap):
        // each is a way out only with the bandwidth given (review34b; the message offered them
        // plainly, and following it was refused).
        // No sample (a source, a given bandwidth): nothing to say of it, even where the rows
        // alone are past the heap. The sample's own rule (requireSampleRoom), so that the
        // message offers tiled and rff plainly only where they would pass it.
        boolean sampleFits = sample == 0
                || sampleRoomBytes(rows, real, sample) <= sampleLimit(heap);
        String ways = "method rff (--method rff) streams the rows"
                + (tiledFits ? ", method tiled (--method tiled) keeps no K_SS" : "");
        // A source is named (a file); the caller's own matrix has no name to give.
        throw new IllegalArgumentException((rows.inMemory() == null ? rows.name() + ": " : "")
                + "method " + method.cliName()
                + " on the " + backend.name() + " backend would hold "
                + heapDetail(method, storage, rows, real) + " on the Java heap at once, more"
                + " than the JVM's whole heap (" + MethodSelector.human(heap) + " at most);"
                + (sampleFits ? " " + ways : " with the bandwidth auto, the median heuristic's"
                        + " sample (" + MethodSelector.human(sample) + ") cannot stand beside"
                        + " the rows either: give the bandwidth (--bandwidth), then " + ways)
                + ", or give the JVM a larger heap with -Xmx");
    }

    /**
     * The synthetic rows as one matrix, for the methods that need them whole (exact, tiled);
     * beyond one Java array the error says which methods stream instead.
     */
    private FloatMatrix whole(RowSource rows, AlignmentMethod method) {
        requireWhole(rows, method);
        return rows.toMatrix();
    }

    /**
     * Refuses a source that {@code method} cannot read into one matrix whatever the heap holds:
     * more values than one Java array, or more bytes than the heap's maximum
     * ({@link Runtime#maxMemory}). The second is a property of the rows and the JVM's options
     * alone, so the refusal is repeatable, unlike half of the free heap (the read rule before
     * helper median34), which would also refuse runs that fit once the heap has collected
     * (a named method is not second-guessed; nd4j keeps K_SS off the heap). Without it such a
     * read ended the fit in OutOfMemoryError after the median heuristic's reads (helper heap32).
     *
     * @throws IllegalArgumentException naming the rows, the method and what streams them
     */
    private void requireWhole(RowSource rows, AlignmentMethod method) {
        long values = rows.rows() * (long) rows.cols();
        if (values > ChunkedFeatureOperator.MAX_ARRAY) {
            throw new IllegalArgumentException(rows.name() + ": " + rows.rows() + " x "
                    + rows.cols() + " synthetic values are more than one Java array holds, and"
                    + " method " + method.cliName() + " needs them in one; methods rff and"
                    + " nystrom stream rows of any number");
        }
        long bytes = Float.BYTES * values;
        long heap = maxHeap();
        if (bytes > heap) {
            throw new IllegalArgumentException(rows.name() + ": " + rows.rows() + " x "
                    + rows.cols() + " synthetic rows take " + MethodSelector.human(bytes) + " ("
                    + bytes + " bytes) as floats, more than the JVM's whole heap ("
                    + MethodSelector.human(heap) + " at most), and method " + method.cliName()
                    + " reads them whole into it; method rff (--method rff) streams them, or"
                    + " give the JVM a larger heap with -Xmx");
        }
    }

    /**
     * Bytes of nystrom's {@code K_SL} chunks kept between passes, counted once (each chunk is
     * kept twice, as {@code K_SL} and {@code K_LS}): the test override, else
     * {@value #FEATURE_BUDGET_PROPERTY}, else half the configured memory budget, the rule that
     * bounded nystrom's two kept kernel operators before it streamed.
     */
    private long nystromKeepBytes() {
        if (featureBudget >= 0) {
            return featureBudget;
        }
        // The budget counts a chunk once and a kept chunk holds two copies (K_cL, K_Lc): half
        // the memory budget, and half of what the backend can hold besides (its off-heap cap,
        // JavaCPP's maxbytes on nd4j), where a larger budget ran out of native memory mid-build
        // instead of recomputing chunks.
        return Long.getLong(FEATURE_BUDGET_PROPERTY,
                Math.min(config.memoryBudgetBytes(), backend.featureBudgetBytes()) / 2);
    }

    /** A configured kernel storage is refused when the backend cannot keep it. */
    private void checkStorage() {
        KernelStorage storage = config.kernelStorage();
        if (storage != null && !backend.keptStorages().contains(storage)) {
            throw new IllegalArgumentException("kernel storage " + storage.cliName() + ": the "
                    + backend.name() + " backend keeps kernel matrices in "
                    + backend.keptStorages().stream().map(KernelStorage::cliName)
                            .collect(java.util.stream.Collectors.joining(" or ")) + " only");
        }
    }

    private MmdObjective buildObjective(AlignmentMethod method, RowSource syntheticRows,
            FloatMatrix synthetic, FloatMatrix real, double sigma, KernelStorage storage,
            ProgressListener listener) {
        int n = (int) syntheticRows.rows();
        switch (method) {
            case EXACT:
                return MmdObjectives.kernel(backend, synthetic, real, sigma,
                        new TilePlan(true, TilePlan.tileRowsFor(n, n, TilePlan.DEFAULT_TILE_BYTES),
                                storage), listener);
            case TILED:
                return MmdObjectives.kernel(backend, synthetic, real, sigma,
                        MmdObjectives.tiledPlan(n, n), listener);
            case RFF: {
                long keep = featureBudget >= 0 ? featureBudget
                        : Long.getLong(FEATURE_BUDGET_PROPERTY, backend.featureBudgetBytes());
                String plan = ChunkedFeatureOperator.plan(backend, syntheticRows,
                        config.features(), keep, real);
                LOG.info("rff plan: {}", plan);
                if (ChunkedFeatureOperator.streams(backend, n, config.features(),
                        syntheticRows.cols(), keep, backend.featureRowsInPieces())) {
                    listener.onPlan("rff " + plan);
                }
                return MmdObjectives.fourier(backend, syntheticRows, real,
                        fourierMap(syntheticRows.cols(), real, sigma), keep, listener);
            }
            case NYSTROM: {
                long keep = nystromKeepBytes();
                long total = syntheticRows.rows() + real.rows();
                int r = (int) Math.min(config.features(), total);
                // Each chunk keeps K_cL and K_Lc (two backend operators): 2 copies.
                String plan = ChunkedFeatureOperator.nystromPlan(backend, syntheticRows, r, keep,
                        real);
                LOG.info("nystrom plan: {}", plan);
                if (ChunkedFeatureOperator.streams(n, ChunkedFeatureOperator.landmarkChunkRows(
                        backend, r, syntheticRows.cols()), r, keep)) {
                    listener.onPlan("nystrom " + plan);
                }
                return MmdObjectives.nystrom(backend, syntheticRows, real, sigma,
                        config.features(), config.seed(), keep, listener);
            }
            default:
                throw new IllegalStateException("unresolved method " + method);
        }
    }

    /**
     * The rff method's map: drawn from the seed, and centred where the real rows lie far from
     * the origin ({@link FeatureCentre}), which is said in the log.
     */
    private FourierFeatures fourierMap(int dim, FloatMatrix real, double sigma) {
        FourierFeatures map = FourierFeatures.sample(dim, config.features(), sigma,
                config.seed());
        float[] centre = FeatureCentre.choose(real, sigma);
        if (centre == null) {
            return map;
        }
        double norm = 0;
        for (float c : centre) {
            norm += (double) c * c;
        }
        LOG.info(String.format(Locale.ROOT, "rff: the median of nine real rows spread through"
                + " them lies %.3g from the origin, %.3g bandwidths (past %.2g): the features are taken about"
                + " it, cos(w.(x - c) + b')", Math.sqrt(norm), Math.sqrt(norm) / sigma,
                FeatureCentre.FAR_BANDWIDTHS));
        return map.centredAt(centre);
    }

    private static void validate(FloatMatrix real, FloatMatrix synthetic) {
        if (real == null || synthetic == null) {
            throw new IllegalArgumentException("real and synthetic must not be null (real "
                    + shape(real) + ", synthetic " + shape(synthetic) + ")");
        }
        if (real.rows() == 0 || synthetic.rows() == 0 || real.cols() != synthetic.cols()) {
            String problem = real.cols() != synthetic.cols() ? "column counts differ"
                    : "need at least one row in each";
            throw new IllegalArgumentException(problem + ": real is " + shape(real)
                    + ", synthetic is " + shape(synthetic));
        }
        real.requireFinite("real");
        synthetic.requireFinite("synthetic");
    }

    private static String shape(FloatMatrix x) {
        return x == null ? "null" : x.rows() + " x " + x.cols();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }

    /**
     * The Java heap that reading {@code rows} x {@code cols} synthetic rows whole (as floats)
     * takes together with what stands beside them by then, counted by size: the real rows R, the
     * median heuristic's sample where it is taken while those rows are held
     * ({@link MedianHeuristic#heapBytes} of {@code rows + R's rows}, only with
     * {@code medianHeuristic}), and {@code beside} bytes more (a copy's parent matrix, say).
     * Saturates at {@code Long.MAX_VALUE}. O(1).
     */
    public static long wholeReadBytes(long rows, int cols, FloatMatrix real,
            boolean medianHeuristic, long beside) {
        long[] parts = {Float.BYTES * rows * cols, real.bytes(), medianHeuristic
                ? MedianHeuristic.heapBytes(rows + real.rows(), cols, MedianHeuristic.DEFAULT_SAMPLE)
                : 0, beside};
        long total = 0;
        for (long part : parts) {
            total = part > Long.MAX_VALUE - total ? Long.MAX_VALUE : total + part;
        }
        return total;
    }

    /**
     * Whether streamed synthetic rows are read whole into the heap: {@link #wholeReadBytes}
     * within half of the heap's maximum ({@link Runtime#maxMemory}). The one rule of the command
     * line's read of {@code --synthetic-embeddings}, of the held-out check's read of a group
     * ({@code HeldOutCheck}) and of this learner's exact report, each counting what stands beside
     * the rows there, so that they give up on the same rows. A rule of sizes and {@code -Xmx}
     * only, as auto's choice of method ({@link #fitsHalfTheHeap}): it read half of the heap
     * free at that moment before (helper median34), which depends on when the collector last
     * ran, so two runs of one command could read S whole in one and stream it in the other, and
     * an exact report or a held-out group was skipped after garbage that a collection would
     * have freed. The half leaves the rest for what is not counted (the fit's own objective,
     * the JVM's classes) and for the collector's room. O(1).
     */
    public static boolean readsWhole(long rows, int cols, FloatMatrix real,
            boolean medianHeuristic, long beside) {
        return readsWhole(wholeReadBytes(rows, cols, real, medianHeuristic, beside),
                Runtime.getRuntime().maxMemory());
    }

    /** {@link #readsWhole} for {@code bytes} under a heap of at most {@code maxHeap}. */
    public static boolean readsWhole(long bytes, long maxHeap) {
        return bytes <= maxHeap / 2;
    }

    /** {@code bytes} as the heap rules' messages write sizes ("23.4 MiB"). */
    public static String heapSize(long bytes) {
        return MethodSelector.human(bytes);
    }
}
