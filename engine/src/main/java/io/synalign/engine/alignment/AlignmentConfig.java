package io.synalign.engine.alignment;

import io.synalign.engine.Bandwidth;
import io.synalign.kernels.KernelStorage;

/**
 * Settings of the MMD sampling-weight learner, validated on construction.
 *
 * @param bandwidth RBF bandwidth sigma, or auto (median heuristic over R union S)
 * @param method how kernel products are evaluated
 * @param features D, the number of random Fourier features (rff) or landmarks (nystrom)
 * @param maxIterations optimiser iteration cap, {@code >= 1}
 * @param tolerance stop when the relative objective improvement falls below this, {@code > 0}
 * @param maxWeightRatio B in the cap {@code w_i <= B / n}; {@code B >= n} disables the cap;
 *     must be {@code >= 1} so that the uniform weights are feasible
 * @param memoryBudgetBytes largest kernel matrix {@code exact} (and {@code auto}) may keep in
 *     host memory (a GPU backend bounds a kept matrix by its free device memory instead)
 * @param seed seeds the bandwidth sample and the random features
 * @param kernelStorage the number format of a kept K_SS, or null for the backend's own choice
 *     ({@link io.synalign.kernels.KernelBackend#defaultStorage()}: fp32; on cuda fp16 only
 *     where fp32 does not fit the device)
 */
public record AlignmentConfig(Bandwidth bandwidth, AlignmentMethod method, int features,
        int maxIterations, double tolerance, double maxWeightRatio, long memoryBudgetBytes,
        long seed, KernelStorage kernelStorage) {

    /** Default D for rff and nystrom. */
    public static final int DEFAULT_FEATURES = 1024;
    /** Default iteration cap. */
    public static final int DEFAULT_MAX_ITERATIONS = 500;
    /** Default relative-improvement tolerance. */
    public static final double DEFAULT_TOLERANCE = 1e-6;
    /** Default weight cap ratio B: no synthetic example gets more than 10x the uniform weight. */
    public static final double DEFAULT_MAX_WEIGHT_RATIO = 10;
    /** Default memory budget for a kept kernel matrix: 2 GiB. */
    public static final long DEFAULT_MEMORY_BUDGET = 2L << 30;

    /** Settings with the backend's default kernel storage. */
    public AlignmentConfig(Bandwidth bandwidth, AlignmentMethod method, int features,
            int maxIterations, double tolerance, double maxWeightRatio, long memoryBudgetBytes,
            long seed) {
        this(bandwidth, method, features, maxIterations, tolerance, maxWeightRatio,
                memoryBudgetBytes, seed, null);
    }

    public AlignmentConfig {
        if (bandwidth == null) {
            throw new IllegalArgumentException("bandwidth must not be null");
        }
        if (method == null) {
            throw new IllegalArgumentException("method must not be null");
        }
        if (features < 1) {
            throw new IllegalArgumentException("features must be >= 1, got " + features);
        }
        if (maxIterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + maxIterations);
        }
        if (!(tolerance > 0) || Double.isInfinite(tolerance)) {
            throw new IllegalArgumentException("tolerance must be a positive number, got " + tolerance);
        }
        if (!(maxWeightRatio >= 1) || Double.isNaN(maxWeightRatio)) {
            throw new IllegalArgumentException("max weight ratio must be >= 1, got " + maxWeightRatio);
        }
        if (memoryBudgetBytes < 0) {
            throw new IllegalArgumentException("memory budget must be >= 0, got " + memoryBudgetBytes);
        }
    }

    /** All defaults: auto bandwidth, auto method, seed 0. */
    public static AlignmentConfig defaults() {
        return new AlignmentConfig(Bandwidth.auto(), AlignmentMethod.AUTO, DEFAULT_FEATURES,
                DEFAULT_MAX_ITERATIONS, DEFAULT_TOLERANCE, DEFAULT_MAX_WEIGHT_RATIO,
                DEFAULT_MEMORY_BUDGET, 0L);
    }

    public AlignmentConfig withBandwidth(Bandwidth b) {
        return new AlignmentConfig(b, method, features, maxIterations, tolerance, maxWeightRatio,
                memoryBudgetBytes, seed, kernelStorage);
    }

    public AlignmentConfig withMethod(AlignmentMethod m) {
        return new AlignmentConfig(bandwidth, m, features, maxIterations, tolerance, maxWeightRatio,
                memoryBudgetBytes, seed, kernelStorage);
    }

    public AlignmentConfig withFeatures(int d) {
        return new AlignmentConfig(bandwidth, method, d, maxIterations, tolerance, maxWeightRatio,
                memoryBudgetBytes, seed, kernelStorage);
    }

    public AlignmentConfig withIterations(int n, double tol) {
        return new AlignmentConfig(bandwidth, method, features, n, tol, maxWeightRatio,
                memoryBudgetBytes, seed, kernelStorage);
    }

    public AlignmentConfig withMaxWeightRatio(double b) {
        return new AlignmentConfig(bandwidth, method, features, maxIterations, tolerance, b,
                memoryBudgetBytes, seed, kernelStorage);
    }

    public AlignmentConfig withMemoryBudget(long bytes) {
        return new AlignmentConfig(bandwidth, method, features, maxIterations, tolerance,
                maxWeightRatio, bytes, seed, kernelStorage);
    }

    /** The storage of a kept K_SS; null leaves the choice to the backend. */
    public AlignmentConfig withKernelStorage(KernelStorage storage) {
        return new AlignmentConfig(bandwidth, method, features, maxIterations, tolerance,
                maxWeightRatio, memoryBudgetBytes, seed, storage);
    }

    public AlignmentConfig withSeed(long s) {
        return new AlignmentConfig(bandwidth, method, features, maxIterations, tolerance,
                maxWeightRatio, memoryBudgetBytes, s, kernelStorage);
    }
}
