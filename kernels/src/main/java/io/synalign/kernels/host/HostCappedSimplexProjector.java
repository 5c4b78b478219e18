package io.synalign.kernels.host;

import io.synalign.kernels.CappedSimplexProjector;
import io.synalign.kernels.DeviceVector;
import java.util.Arrays;

/**
 * {@link CappedSimplexProjector} over {@code double[]}: {@link CappedSimplexThreshold} warm-started
 * from the previous threshold, then one clipping pass. O(n) per round, nothing allocated.
 */
public final class HostCappedSimplexProjector implements CappedSimplexProjector {

    private final int n;
    private final double cap;
    private final boolean singlePoint;
    private double threshold = Double.NaN;
    private int rounds;

    /**
     * @param n dimension, {@code >= 1}
     * @param cap c; {@code c n >= 1} (else the set is empty), {@code c >= 1} means no cap
     */
    public HostCappedSimplexProjector(int n, double cap) {
        if (n < 1) {
            throw new IllegalArgumentException("dimension must be >= 1, got " + n);
        }
        if (!(cap > 0) || cap * n < 1 - 1e-12) {
            throw new IllegalArgumentException("cap " + cap + " times dimension " + n
                    + " is below 1: the capped simplex is empty");
        }
        this.n = n;
        this.cap = cap >= 1 ? Double.POSITIVE_INFINITY : cap;
        this.singlePoint = cap * n <= 1 + 1e-12;
    }

    @Override
    public long dimension() {
        return n;
    }

    @Override
    public double cap() {
        return cap;
    }

    @Override
    public void project(DeviceVector v, DeviceVector out) {
        project(HostVector.array(v), HostVector.array(out));
    }

    /** {@link #project(DeviceVector, DeviceVector)} on arrays; v and out may be the same. */
    public void project(double[] v, double[] out) {
        if (v.length != n || out.length != n) {
            throw new IllegalArgumentException("projection of dimension " + n + " got vectors of "
                    + v.length + " and " + out.length);
        }
        if (singlePoint) {
            Arrays.fill(out, 1.0 / n);
            threshold = Double.NaN;
            rounds = 0;
            return;
        }
        CappedSimplexThreshold.Result found = CappedSimplexThreshold.find(v, cap, threshold);
        double origin = found.origin();
        double tau = found.threshold();
        for (int i = 0; i < n; i++) {
            out[i] = Math.min(Math.max((v[i] - origin) - tau, 0.0), cap);
        }
        threshold = found.absolute();
        rounds = found.rounds();
    }

    @Override
    public double threshold() {
        return threshold;
    }

    @Override
    public int rounds() {
        return rounds;
    }

    @Override
    public void close() {
    }
}
