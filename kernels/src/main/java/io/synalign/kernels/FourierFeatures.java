package io.synalign.kernels;

import java.util.Random;

/**
 * A random Fourier feature map for the RBF kernel (Rahimi &amp; Recht, "Random Features for
 * Large-Scale Kernel Machines", NIPS 2007):
 * {@code phi(x) = sqrt(2/D) cos(Omega^T x + b)} with {@code Omega[:, f] ~ N(0, I / sigma^2)} and
 * {@code b_f ~ U[0, 2 pi)}, so that {@code E[phi(x)^T phi(y)] = exp(-||x-y||^2 / (2 sigma^2))}.
 *
 * <p><b>A centre.</b> A map may carry a centre {@code c} ({@link #centredAt}): it is then
 * evaluated as {@code sqrt(2/D) cos(Omega^T (x - c) + b')} with {@code b' = (b + Omega^T c) mod
 * 2 pi}, taken in double once per feature. In exact arithmetic that is the same function (up to
 * the float32 rounding of {@code b'}, at most 2.4e-7 radians, as of {@code b} itself); in float32
 * it is not: a backend forms the phases in one float32 GEMM, whose error grows with
 * {@code |Omega^T x|}, that is with the rows' distance from the origin (nd4j, rows at +1,000 in
 * every coordinate, d = 384: features 2.2e-4 normwise and {@code Phi^T w} 1.3e-5, past the
 * contract's 1e-5; at +10,000, d = 53: 1.2e-3 and 1.7e-4).
 * About a centre among the rows the phases are as small as the rows' spread makes them. Every
 * backend subtracts the centre from a row (one float32 subtraction per entry, correctly rounded)
 * before its GEMM; an uncentred map ({@link #centre()} null) reads the rows as they are.
 *
 * <p>The map is a pure function of (dim, features, sigma, seed): draws come from
 * {@link java.util.Random}, whose sequence is specified by the JDK, so every JVM (and every Spark
 * executor) builds the same map from the same seed.
 *
 * @param dim input dimension d
 * @param features number of features D
 * @param omega d x D row-major frequencies ({@code omega[k * D + f]})
 * @param phase D phases in [0, 2 pi]
 * @param centre the d values subtracted from every row before the phases are formed, or null
 *     for none (the rows as they are)
 */
public record FourierFeatures(int dim, int features, float[] omega, float[] phase,
        float[] centre) {

    public FourierFeatures {
        if (dim < 1) {
            throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        }
        if (features < 1) {
            throw new IllegalArgumentException("features must be >= 1, got " + features);
        }
        if (omega.length != (long) dim * features) {
            throw new IllegalArgumentException("omega has " + omega.length + " values, expected "
                    + (long) dim * features);
        }
        if (phase.length != features) {
            throw new IllegalArgumentException("phase has " + phase.length + " values, expected "
                    + features);
        }
        if (centre != null) {
            if (centre.length != dim) {
                throw new IllegalArgumentException("centre has " + centre.length
                        + " values, expected " + dim);
            }
            for (int k = 0; k < dim; k++) {
                if (!Float.isFinite(centre[k])) {
                    throw new IllegalArgumentException("centre value " + k + " is " + centre[k]
                            + "; a centre must be finite");
                }
            }
        }
    }

    /** An uncentred map: the rows are read as they are. */
    public FourierFeatures(int dim, int features, float[] omega, float[] phase) {
        this(dim, features, omega, phase, null);
    }

    /** Whether this map subtracts a centre from every row. */
    public boolean centred() {
        return centre != null;
    }

    /**
     * This map evaluated about {@code c}: the same frequencies, the centre {@code c} (copied)
     * and the phases {@code b_f + Omega[:, f]^T c} reduced to [0, 2 pi] in double, then rounded
     * to float32 once. Cost d x D multiply-adds in double.
     *
     * @throws IllegalStateException if this map is centred already
     * @throws IllegalArgumentException if {@code c} does not have d finite values
     */
    public FourierFeatures centredAt(float[] c) {
        if (centred()) {
            throw new IllegalStateException("this feature map is centred already");
        }
        if (c.length != dim) {
            throw new IllegalArgumentException("centre has " + c.length + " values, expected "
                    + dim);
        }
        double[] shifted = new double[features];
        for (int f = 0; f < features; f++) {
            shifted[f] = phase[f];
        }
        for (int k = 0; k < dim; k++) {
            double ck = c[k];
            int base = k * features;
            for (int f = 0; f < features; f++) {
                shifted[f] += (double) omega[base + f] * ck;
            }
        }
        float[] reduced = new float[features];
        double period = 2 * Math.PI;
        for (int f = 0; f < features; f++) {
            // floor, not %: a negative phase maps into [0, 2 pi) too. The double's own error
            // here is |b'| x 1.1e-16, 1e-12 radians at |b'| = 1e4.
            reduced[f] = (float) (shifted[f] - period * Math.floor(shifted[f] / period));
        }
        return new FourierFeatures(dim, features, omega, reduced, c.clone());
    }

    /**
     * Writes row {@code i} of {@code rows} (row-major, d columns) less this map's centre, if any,
     * into {@code out[at, at + d)}: the operand of the phase GEMM. One correctly rounded float32
     * subtraction per entry (a plain copy for an uncentred map).
     */
    public void centreRow(float[] rows, int i, float[] out, int at) {
        int from = i * dim;
        if (centre == null) {
            System.arraycopy(rows, from, out, at, dim);
            return;
        }
        for (int k = 0; k < dim; k++) {
            out[at + k] = rows[from + k] - centre[k];
        }
    }

    /** Draws a map for bandwidth {@code sigma} from {@code seed}. */
    public static FourierFeatures sample(int dim, int features, double sigma, long seed) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("bandwidth must be a positive finite number, got "
                    + sigma);
        }
        if ((long) dim * features > Integer.MAX_VALUE - 8) {
            // Math.multiplyExact's "integer overflow" reached the user as exit 1.
            throw new IllegalArgumentException(features + " random features at dimension " + dim
                    + " need " + (long) dim * features + " frequencies, more than one array holds ("
                    + (Integer.MAX_VALUE - 8) + "); give fewer features");
        }
        Random random = new Random(seed);
        float[] omega = new float[dim * features];
        for (int i = 0; i < omega.length; i++) {
            omega[i] = (float) (random.nextGaussian() / sigma);
        }
        float[] phase = new float[features];
        for (int f = 0; f < features; f++) {
            phase[f] = (float) (random.nextDouble() * 2 * Math.PI);
        }
        return new FourierFeatures(dim, features, omega, phase);
    }

    /** The scale {@code sqrt(2 / D)} applied to every cosine. */
    public double scale() {
        return Math.sqrt(2.0 / features);
    }
}
