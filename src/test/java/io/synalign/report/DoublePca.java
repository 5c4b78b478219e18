package io.synalign.report;

import java.util.Arrays;
import java.util.Random;

/**
 * An independent double-precision PCA for tests of the report's projection: the points are
 * centred first (a two-pass mean: the mean, then the mean of what is left, so rows far from the
 * origin lose nothing to the sum), the covariance of the centred points is formed, and every
 * eigenpair is found by the classical cyclic Jacobi method (no tridiagonalisation, no QL: the
 * other route from {@link Pca}'s). Components are signed as {@link Pca} signs them, the
 * largest-magnitude coordinate positive, so coordinates compare directly.
 */
public final class DoublePca {

    /**
     * The two leading components of the points fitted.
     *
     * @param mean the two-pass mean of the points fitted
     * @param components the leading two (fewer when d is 1) eigenvectors, signed
     * @param explained each component's share of the total variance
     */
    public record Fit(double[] mean, double[][] components, double[] explained) {

        /** (PC1, PC2) of {@code point}: its offset from the mean on each component. */
        public double[] project(double[] point) {
            double[] out = new double[2];
            for (int i = 0; i < components.length; i++) {
                for (int j = 0; j < mean.length; j++) {
                    out[i] += (point[j] - mean[j]) * components[i][j];
                }
            }
            return out;
        }
    }

    private DoublePca() {
    }

    /** Fits the two leading components of {@code x} (n rows of d columns). */
    public static Fit fit(double[][] x) {
        int n = x.length;
        int d = x[0].length;
        double[] mean = new double[d];
        for (double[] p : x) {
            for (int j = 0; j < d; j++) {
                mean[j] += p[j] / n;
            }
        }
        double[] rest = new double[d];
        for (double[] p : x) {
            for (int j = 0; j < d; j++) {
                rest[j] += (p[j] - mean[j]) / n;
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] += rest[j];
        }
        double[][] c = new double[d][d];
        for (double[] p : x) {
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < d; b++) {
                    c[a][b] += (p[a] - mean[a]) * (p[b] - mean[b]) / n;
                }
            }
        }
        double trace = 0;
        for (int j = 0; j < d; j++) {
            trace += c[j][j];
        }
        double[] values = new double[d];
        double[][] vectors = jacobi(c, values);
        int k = Math.min(2, d);
        double[][] components = new double[k][];
        double[] explained = new double[k];
        for (int i = 0; i < k; i++) {
            components[i] = signed(vectors[i]);
            explained[i] = trace > 0 ? values[i] / trace : 0;
        }
        return new Fit(mean, components, explained);
    }

    /**
     * Every eigenpair of {@code symmetric} (left unchanged) by cyclic Jacobi
     * rotations (Golub and Van Loan, Algorithm 8.5.1), eigenvalues descending into
     * {@code valuesOut}; the eigenvectors are returned as rows, in the same order.
     */
    public static double[][] jacobi(double[][] symmetric, double[] valuesOut) {
        int d = symmetric.length;
        double[][] a = new double[d][];
        for (int i = 0; i < d; i++) {
            a[i] = symmetric[i].clone();
        }
        double[][] v = new double[d][d];
        for (int i = 0; i < d; i++) {
            v[i][i] = 1;
        }
        double scale = 0;
        for (double[] row : a) {
            for (double e : row) {
                scale += e * e;
            }
        }
        for (int sweep = 0; sweep < 200; sweep++) {
            double off = 0;
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    off += i == j ? 0 : a[i][j] * a[i][j];
                }
            }
            if (off <= 1e-30 * scale) {
                break;
            }
            for (int p = 0; p < d; p++) {
                for (int q = p + 1; q < d; q++) {
                    if (Math.abs(a[p][q]) < 1e-300) {
                        continue;
                    }
                    double tau = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = t * c;
                    for (int k = 0; k < d; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < d; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < d; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        Integer[] order = new Integer[d];
        for (int i = 0; i < d; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (i, j) -> Double.compare(a[j][j], a[i][i]));
        double[][] vectors = new double[d][d];
        for (int r = 0; r < d; r++) {
            valuesOut[r] = a[order[r]][order[r]];
            for (int k = 0; k < d; k++) {
                vectors[r][k] = v[k][order[r]];
            }
        }
        return vectors;
    }

    /**
     * Rows {@code offset (1 + 0.1 j) + spread y} for rows y with decaying scales (1, 0.6,
     * 0.36, ...) along random directions, so that the leading components are well apart: each
     * column at its own distance from the origin, spread far below it.
     */
    public static double[][] farRows(int n, int d, long seed, double offset, double spread) {
        Random r = new Random(seed);
        // The directions come from one fixed seed: sets of other seeds are samples of one law.
        Random directions = new Random(0);
        double[][] mix = new double[d][d];
        for (double[] row : mix) {
            for (int j = 0; j < d; j++) {
                row[j] = directions.nextGaussian();
            }
        }
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                double z = r.nextGaussian() * Math.pow(0.6, k);
                for (int j = 0; j < d; j++) {
                    x[i][j] += spread * z * mix[k][j];
                }
            }
            for (int j = 0; j < d; j++) {
                x[i][j] += offset * (1 + 0.1 * j);
            }
        }
        return x;
    }

    private static double[] signed(double[] v) {
        int arg = 0;
        for (int j = 1; j < v.length; j++) {
            if (Math.abs(v[j]) > Math.abs(v[arg])) {
                arg = j;
            }
        }
        double[] out = v.clone();
        if (out[arg] < 0) {
            for (int j = 0; j < out.length; j++) {
                out[j] = -out[j];
            }
        }
        return out;
    }
}
