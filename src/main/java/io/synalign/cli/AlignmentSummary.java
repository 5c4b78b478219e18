package io.synalign.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.pipeline.RealRowsFingerprint;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@code --summary} JSON of {@code synalign align}: what went in (sizes, settings) and what
 * came out (MMD^2 before and after, effective sample size, method, backend, time).
 * {@code mmd2_reduction} is {@code 1 - mmd2_weighted / mmd2_uniform}, null when the uniform
 * MMD^2 is not positive. {@code trace} is the optimiser's path: {@code seconds} since the start
 * of the fit and the objective {@code mmd2} (as the method estimates it) after set-up and after
 * every iteration. {@code peak_rss_bytes} is the process's peak resident memory (Linux
 * {@code VmHWM}; -1 where unknown) when the fit's outputs are written, to hold against the plan
 * a streamed rff run states; a held-out check's K fits per label come after it, and
 * {@code held_out.peak_rss_bytes} is the peak through them.
 * {@code synthetic_embeddings_files} lists the synthetic files in the order their rows were
 * taken (several when the rows came in shards); {@code synthetic_embeddings} is the same as one
 * string, the paths joined by the platform's path separator (the file itself for one file).
 * {@code real_rows} is the fingerprint of the real embeddings ({@link RealRowsFingerprint}, kind
 * {@value RealRowsFingerprint#EMBEDDINGS}), so that a later check can tell the same real set.
 * The MMD^2 figures are to the real rows the weights were fitted to (in-sample);
 * {@code held_out} ({@link HeldOutSummary}, null without {@code --holdout-folds};
 * {@link HeldOutFailed} where the check was asked for and failed) gives them on real rows each
 * fit did not see.
 */
@JsonPropertyOrder(alphabetic = false)
record AlignmentSummary(
        @JsonProperty("synalign_version") String synalignVersion,
        @JsonProperty("real_embeddings") String realEmbeddings,
        @JsonProperty("synthetic_embeddings") String syntheticEmbeddings,
        @JsonProperty("synthetic_embeddings_files") List<String> syntheticEmbeddingsFiles,
        @JsonProperty("n_real") int nReal,
        @JsonProperty(RealRowsFingerprint.KEY) Map<String, Object> realRows,
        @JsonProperty("n_synthetic") int nSynthetic,
        @JsonProperty("dim") int dim,
        @JsonProperty("bandwidth") double bandwidth,
        @JsonProperty("bandwidth_auto") boolean bandwidthAuto,
        @JsonProperty("mmd2_uniform") double mmd2Uniform,
        @JsonProperty("mmd2_weighted") double mmd2Weighted,
        @JsonProperty("mmd2_reduction") Double mmd2Reduction,
        @JsonProperty("mmd_estimator") String mmdEstimator,
        @JsonProperty("iterations") int iterations,
        @JsonProperty("max_iterations") int maxIterations,
        @JsonProperty("tolerance") double tolerance,
        @JsonProperty("converged") boolean converged,
        @JsonProperty("effective_sample_size") double effectiveSampleSize,
        @JsonProperty("method") String method,
        @JsonProperty("method_requested") String methodRequested,
        @JsonProperty("features") int features,
        @JsonProperty("memory_budget_bytes") long memoryBudgetBytes,
        @JsonProperty("max_weight_ratio") double maxWeightRatio,
        @JsonProperty("backend") String backend,
        @JsonProperty("kernel_storage") String kernelStorage,
        @JsonProperty("seed") long seed,
        @JsonProperty("seconds") double seconds,
        @JsonProperty("peak_rss_bytes") long peakRssBytes,
        @JsonProperty("trace") Trace trace,
        @JsonProperty("held_out") HeldOutRecord heldOut) {

    /** The convergence trace as two parallel arrays. */
    record Trace(@JsonProperty("seconds") double[] seconds, @JsonProperty("mmd2") double[] mmd2) {
    }

    static AlignmentSummary of(Path real, RealRowsFingerprint realRows, List<Path> synthetic,
            int nReal, long nSynthetic, int dim, AlignmentConfig config, AlignmentResult result,
            long peakRssBytes, HeldOutRecord heldOut) {
        List<String> files = synthetic.stream().map(Path::toString).toList();
        return new AlignmentSummary(VersionProvider.version(), real.toString(),
                String.join(java.io.File.pathSeparator, files), files,
                nReal, realRows.json(), (int) nSynthetic, dim, result.bandwidth(), config.bandwidth().isAuto(),
                result.mmd2Uniform(), result.mmd2Weighted(),
                reduction(result.mmd2Uniform(), result.mmd2Weighted()), result.mmdEstimator(),
                result.iterations(), config.maxIterations(), config.tolerance(),
                result.converged(), result.effectiveSampleSize(), result.method().cliName(),
                config.method().cliName(), config.features(), config.memoryBudgetBytes(),
                config.maxWeightRatio(), result.backend(), result.kernelStorage(), config.seed(),
                result.seconds(), peakRssBytes,
                new Trace(result.trace().seconds(), result.trace().objective()), heldOut);
    }

    /**
     * This summary with {@code held_out} set to {@code heldOut}: the check's figures, or that it
     * failed; null: no check.
     */
    AlignmentSummary withHeldOut(HeldOutRecord heldOut) {
        return new AlignmentSummary(synalignVersion, realEmbeddings, syntheticEmbeddings,
                syntheticEmbeddingsFiles, nReal, realRows, nSynthetic, dim, bandwidth, bandwidthAuto,
                mmd2Uniform, mmd2Weighted, mmd2Reduction, mmdEstimator, iterations,
                maxIterations, tolerance, converged, effectiveSampleSize, method,
                methodRequested, features, memoryBudgetBytes, maxWeightRatio, backend,
                kernelStorage, seed, seconds, peakRssBytes, trace, heldOut);
    }

    /** Relative MMD^2 reduction, or null when there was nothing to reduce. */
    static Double reduction(double uniform, double weighted) {
        return uniform > 0 && Double.isFinite(uniform) && Double.isFinite(weighted)
                ? 1 - weighted / uniform : null;
    }
}
