package io.synalign.kernels;

import java.util.Random;

/**
 * A random Fourier feature map for the RBF kernel (Rahimi &amp; Recht, "Random Features for
 * Large-Scale Kernel Machines", NIPS 2007):
 * {@code phi(x) = sqrt(2/D) cos(Omega^T x + b)} with {@code Omega[:, f] ~ N(0, I / sigma^2)} and
 * {@code b_f ~ U[0, 2 pi)}, so that {@code E[phi(x)^T phi(y)] = exp(-||x-y||^2 / (2 sigma^2))}.
 *
 * <p>The map is a pure function of (dim, features, sigma, seed): draws come from
 * {@link java.util.Random}, whose sequence is specified by the JDK, so every JVM (and every Spark
 * executor) builds the same map from the same seed.
 *
 * @param dim input dimension d
 * @param features number of features D
 * @param omega d x D row-major frequencies ({@code omega[k * D + f]})
 * @param phase D phases in [0, 2 pi)
 */
public record FourierFeatures(int dim, int features, float[] omega, float[] phase) {

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
