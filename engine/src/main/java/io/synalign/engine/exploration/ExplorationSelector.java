package io.synalign.engine.exploration;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;

/** GP exploration-aware selection of demonstration rows. */
public final class ExplorationSelector {

    private final KernelBackend backend;
    private final SelectionConfig config;

    public ExplorationSelector(KernelBackend backend, SelectionConfig config) {
        this.backend = backend;
        this.config = config;
    }

    /**
     * @param x the rows to select from
     * @param count number of picks, {@code 1 <= count <= x.rows()}
     * @throws IllegalArgumentException when count is out of range or {@code first} is not a row
     */
    public SelectionResult select(FloatMatrix x, int count, ProgressListener progress) {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
