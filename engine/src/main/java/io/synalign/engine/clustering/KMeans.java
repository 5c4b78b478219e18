package io.synalign.engine.clustering;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;

/** k-means with k-means++ initialisation and batched GEMM assignment. */
public final class KMeans {

    private final KernelBackend backend;
    private final KMeansConfig config;

    public KMeans(KernelBackend backend, KMeansConfig config) {
        this.backend = backend;
        this.config = config;
    }

    /** @throws IllegalArgumentException when x has fewer rows than k */
    public KMeansResult fit(FloatMatrix x) {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
