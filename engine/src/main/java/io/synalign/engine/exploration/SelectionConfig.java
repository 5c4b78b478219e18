package io.synalign.engine.exploration;

import io.synalign.engine.Bandwidth;

/**
 * Settings of the GP exploration-aware selector, validated on construction.
 *
 * @param lengthScale GP length scale l, or auto (median heuristic over the rows)
 * @param noise observation noise variance s^2 on the conditioning set, {@code >= 0}
 * @param first index of the first pick, or -1 for the row nearest the mean
 * @param groupSize G: each pick also covers its G-1 nearest uncovered neighbours, {@code >= 1}
 * @param seed seeds the length-scale sample
 */
public record SelectionConfig(Bandwidth lengthScale, double noise, int first, int groupSize,
        long seed) {

    /** Default observation noise, 1e-6. */
    public static final double DEFAULT_NOISE = 1e-6;

    public SelectionConfig {
        if (lengthScale == null) {
            throw new IllegalArgumentException("length scale must not be null");
        }
        if (!(noise >= 0) || Double.isInfinite(noise)) {
            throw new IllegalArgumentException("noise must be a finite number >= 0, got " + noise);
        }
        if (first < -1) {
            throw new IllegalArgumentException("first must be a row index >= 0 (or -1 for the row"
                    + " nearest the mean), got " + first);
        }
        if (groupSize < 1) {
            throw new IllegalArgumentException("group size must be >= 1, got " + groupSize);
        }
    }

    /** Auto length scale, noise 1e-6, first = nearest the mean, G = 1, seed 0. */
    public static SelectionConfig defaults() {
        return new SelectionConfig(Bandwidth.auto(), DEFAULT_NOISE, -1, 1, 0L);
    }
}
