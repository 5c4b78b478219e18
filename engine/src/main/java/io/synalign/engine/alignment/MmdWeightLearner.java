package io.synalign.engine.alignment;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;

/** Learns one sampling weight per synthetic row by minimising weighted MMD^2 to the real rows. */
public final class MmdWeightLearner {

    private final KernelBackend backend;
    private final AlignmentConfig config;

    public MmdWeightLearner(KernelBackend backend, AlignmentConfig config) {
        this.backend = backend;
        this.config = config;
    }

    /**
     * @param real R, m rows
     * @param synthetic S, n rows, same column count as R
     * @throws IllegalArgumentException on empty input or a dimension mismatch, naming both shapes
     */
    public AlignmentResult fit(FloatMatrix real, FloatMatrix synthetic, ProgressListener progress) {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
