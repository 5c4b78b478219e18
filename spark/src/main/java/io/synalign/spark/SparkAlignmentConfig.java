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
 * @param aggregationDepth depth of the treeAggregate of {@code Phi^T w}, {@code >= 1}
 */
public record SparkAlignmentConfig(AlignmentConfig alignment, LabelMode mode, String backend,
        int aggregationDepth) {

    /** Default treeAggregate depth. */
    public static final int DEFAULT_DEPTH = 2;

    public SparkAlignmentConfig {
        if (alignment == null || mode == null) {
            throw new IllegalArgumentException("alignment config and mode must not be null");
        }
        if (backend == null || backend.isBlank()) {
            throw new IllegalArgumentException("backend must be named, got '" + backend + "'");
        }
        if (aggregationDepth < 1) {
            throw new IllegalArgumentException("aggregation depth must be >= 1, got "
                    + aggregationDepth);
        }
    }
}
