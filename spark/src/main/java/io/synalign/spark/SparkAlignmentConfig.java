package io.synalign.spark;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.labelled.LabelMode;

/**
 * Settings of the distributed RFF-MMD weight learner, validated on construction.
 *
 * @param alignment the single-machine learner's settings (bandwidth, D, iterations, tolerance,
 *     weight cap B, seed); the method is always rff and the memory budget unused
 * @param mode per-label or global
 * @param backend the kernel backend name used on executors and driver (as the CLI's
 *     {@code --backend}: auto, nd4j, reference)
 * @param partitions how many partitions the row blocks of the learner's sums are spread over
 *     at most, {@code >= 0}; 0: Spark's default parallelism (the executors' cores). The weights
 *     do not depend on it.
 */
public record SparkAlignmentConfig(AlignmentConfig alignment, LabelMode mode, String backend,
        int partitions) {

    public SparkAlignmentConfig {
        if (alignment == null || mode == null) {
            throw new IllegalArgumentException("alignment config and mode must not be null");
        }
        if (backend == null || backend.isBlank()) {
            throw new IllegalArgumentException("backend must be named, got '" + backend + "'");
        }
        // Not a backend of this build anywhere (the executors run the same jars): refused with
        // the options, not as every task's failure after the reading and bandwidths.
        io.synalign.kernels.KernelBackends.requireKnown(backend);
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0 (0: Spark's default"
                    + " parallelism), got " + partitions);
        }
    }
}
