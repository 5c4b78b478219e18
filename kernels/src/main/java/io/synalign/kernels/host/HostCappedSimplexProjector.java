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
        if (v == out && unresolved(found, clippedSum(v, found))) {
            v = v.clone(); // in place, the re-search below must still read the input
        }
        double sum = clip(v, found, out);
        int spent = found.rounds();
        for (int again = 0; again < RESEARCHES && unresolved(found, sum); again++) {
            // Values spread beyond what the doubles near the threshold resolve ([1, 1e16] with
            // cap 1 came out [0, 0]; three equal values at 1e29 shared 1 as 0.33398, 0.33398
            // and 0.33203): search again about the value nearest the threshold (found in the
            // last search's coordinates, which resolve it best), where the differences that
            // decide the projection are exact (Sterbenz).
            double origin = found.origin();
            double t = found.threshold();
            double nearest = origin;
            double distance = Double.POSITIVE_INFINITY;
            for (double value : v) {
                double d = Math.abs((value - origin) - t);
                if (d < distance) {
                    distance = d;
                    nearest = value;
                }
            }
            if (nearest == origin) {
                break; // no value nearer the threshold than the origin itself
            }
            found = CappedSimplexThreshold.find(v, cap, Double.NaN, nearest);
            sum = clip(v, found, out);
            spent += found.rounds();
        }
        threshold = found.absolute();
        rounds = spent;
    }

    /** A projection's sum this far from 1 is a failure of resolution, not of rounding. */
    static final double OFF_SIMPLEX = 1e-6;

    /**
     * A threshold this many caps (or units, uncapped) from its origin rounds the free weights at
     * its own scale: about a value nearer it they are exact. In an optimiser's projection the
     * threshold lies within a few caps of the values, and this never fires.
     */
    static final double FAR_THRESHOLD = 1e3;

    /** Searches about a nearer origin at most (each moves to a value nearer the threshold). */
    static final int RESEARCHES = 4;

    private boolean unresolved(CappedSimplexThreshold.Result found, double sum) {
        return !(Math.abs(sum - 1) <= OFF_SIMPLEX)
                || Math.abs(found.threshold()) > FAR_THRESHOLD * Math.min(cap, 1);
    }

    /** The sum of clip((v - origin) - threshold, 0, cap), nothing written. */
    private double clippedSum(double[] v, CappedSimplexThreshold.Result found) {
        double origin = found.origin();
        double tau = found.threshold();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.min(Math.max((v[i] - origin) - tau, 0.0), cap);
        }
        return sum;
    }

    /** out = clip((v - origin) - threshold, 0, cap); returns the sum of out. */
    private double clip(double[] v, CappedSimplexThreshold.Result found, double[] out) {
        double origin = found.origin();
        double tau = found.threshold();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            out[i] = Math.min(Math.max((v[i] - origin) - tau, 0.0), cap);
            sum += out[i];
        }
        return sum;
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
