package io.synalign.evaluation;

import java.util.Random;

/** The weighted V-statistic MMD^2 written out pair by pair in double, for the CLI's tests. */
public final class MmdReference {

    private MmdReference() {
    }

    /** The V-statistic written out pair by pair, in double. */
    public static double referenceMmd2(double[][] x, double[] w, double[][] y, double sigma) {
        double sum = 0;
        for (double v : w) {
            sum += v;
        }
        double xx = 0;
        double xy = 0;
        double yy = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                xx += w[i] / sum * w[j] / sum * k(x[i], x[j], sigma);
            }
            for (double[] b : y) {
                xy += w[i] / sum * k(x[i], b, sigma) / y.length;
            }
        }
        for (double[] a : y) {
            for (double[] b : y) {
                yy += k(a, b, sigma) / ((double) y.length * y.length);
            }
        }
        return xx - 2 * xy + yy;
    }

    public static double k(double[] a, double[] b, double sigma) {
        double d2 = 0;
        for (int t = 0; t < a.length; t++) {
            d2 += (a[t] - b[t]) * (a[t] - b[t]);
        }
        return Math.exp(-d2 / (2 * sigma * sigma));
    }

    public static double[][] gaussian(Random r, int n, int d, double shift) {
        double[][] out = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                // float-representable, so both sides see the same points
                out[i][j] = (float) (r.nextGaussian() + shift);
            }
        }
        return out;
    }
}
