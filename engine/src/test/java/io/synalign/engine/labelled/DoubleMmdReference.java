package io.synalign.engine.labelled;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Plain double-precision definitions, written from the formulas and sharing no code with the
 * engine: the median heuristic over every distinct pair of the union of the rows (what the
 * engine's sample is when the rows number at most 2,000), and the biased MMD² V-statistic
 * {@code w^T K_SS w - (2/m) w^T K_SR 1 + (1/m^2) 1^T K_RR 1} of the RBF kernel
 * {@code exp(-|x-y|^2 / (2 sigma^2))}; and the held-out check's score, that statistic with the
 * real rows' self-pairs left out. Shared by the engine's and the command line's tests (test-jar).
 */
public final class DoubleMmdReference {

    private DoubleMmdReference() {
    }

    public static double distance(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            double diff = a[k] - b[k];
            s += diff * diff;
        }
        return Math.sqrt(s);
    }

    /** The median of the non-zero distances between distinct rows of {@code real} and {@code synthetic} together. */
    public static double medianBandwidth(double[][] real, double[][] synthetic) {
        List<double[]> all = new ArrayList<>(List.of(real));
        all.addAll(List.of(synthetic));
        List<Double> d = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                double v = distance(all.get(i), all.get(j));
                if (v > 0) {
                    d.add(v);
                }
            }
        }
        Collections.sort(d);
        int n = d.size();
        return n % 2 == 1 ? d.get(n / 2) : (d.get(n / 2 - 1) + d.get(n / 2)) / 2;
    }

    public static double kernel(double[] a, double[] b, double sigma) {
        double d = distance(a, b);
        return Math.exp(-d * d / (2 * sigma * sigma));
    }

    /** MMD² of the weighted synthetic rows ({@code w} sums to 1) against the real rows. */
    public static double mmd2(double[][] real, double[][] synthetic, double[] w, double sigma) {
        int m = real.length;
        double ss = 0;
        double sr = 0;
        double rr = 0;
        for (int i = 0; i < synthetic.length; i++) {
            for (int j = 0; j < synthetic.length; j++) {
                ss += w[i] * w[j] * kernel(synthetic[i], synthetic[j], sigma);
            }
            for (double[] r : real) {
                sr += w[i] * kernel(synthetic[i], r, sigma);
            }
        }
        for (double[] a : real) {
            for (double[] b : real) {
                rr += kernel(a, b, sigma);
            }
        }
        return ss - 2 * sr / m + rr / ((double) m * m);
    }

    /**
     * MMD² of the weighted synthetic rows ({@code w} sums to 1; every pair counted) against the
     * distribution of the real rows: their term over distinct pairs only.
     */
    public static double populationMmd2(double[][] real, double[][] synthetic, double[] w, double sigma) {
        int m = real.length;
        double rr = 0;
        double all = 0;
        for (int a = 0; a < m; a++) {
            for (int b = 0; b < m; b++) {
                double k = kernel(real[a], real[b], sigma);
                all += k;
                if (a != b) {
                    rr += k;
                }
            }
        }
        return mmd2(real, synthetic, w, sigma) - all / ((double) m * m)
                + rr / ((double) m * (m - 1));
    }

    public static double[] uniform(int n) {
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1.0 / n);
        return w;
    }
}
