package io.synalign.engine.exploration;

import io.synalign.kernels.FloatMatrix;
import java.util.List;

/**
 * The test oracle: GP posterior variances computed from the definition, in double, with no
 * incremental state. {@code var(x|C) = 1 - k_C(x)^T (K_CC + s^2 I)^-1 k_C(x)} via a fresh
 * Cholesky factor {@code L L^T = K_CC + s^2 I} and one forward solve {@code L z = k_C(x)} per row,
 * so {@code var = 1 - z.z}. Distances are summed coordinate by coordinate, never by the GEMM
 * identity.
 */
final class FromScratchPosterior {

    private FromScratchPosterior() {
    }

    static double distance2(FloatMatrix x, int a, int b) {
        int d = x.cols();
        double s = 0;
        for (int j = 0; j < d; j++) {
            double diff = (double) x.data()[a * d + j] - (double) x.data()[b * d + j];
            s += diff * diff;
        }
        return s;
    }

    static double kernel(FloatMatrix x, int a, int b, double l) {
        return Math.exp(-distance2(x, a, b) / (2 * l * l));
    }

    /** Posterior variance of every row of x given the conditioning rows c. */
    static double[] variances(FloatMatrix x, double l, double noise, List<Integer> c) {
        int n = x.rows();
        int t = c.size();
        double[][] chol = new double[t][t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j <= i; j++) {
                double s = kernel(x, c.get(i), c.get(j), l) + (i == j ? noise : 0);
                for (int m = 0; m < j; m++) {
                    s -= chol[i][m] * chol[j][m];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalStateException("K_CC + s^2 I is not positive definite");
                    }
                    chol[i][i] = Math.sqrt(s);
                } else {
                    chol[i][j] = s / chol[j][j];
                }
            }
        }
        double[] var = new double[n];
        double[] z = new double[t];
        for (int r = 0; r < n; r++) {
            double zz = 0;
            for (int i = 0; i < t; i++) {
                double s = kernel(x, r, c.get(i), l);
                for (int m = 0; m < i; m++) {
                    s -= chol[i][m] * z[m];
                }
                z[i] = s / chol[i][i];
                zz += z[i] * z[i];
            }
            var[r] = 1.0 - zz;
        }
        return var;
    }

    /** The row nearest the mean of x, in double, ties to the lowest index. */
    static int nearestToMean(FloatMatrix x) {
        int n = x.rows();
        int d = x.cols();
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                mean[j] += x.get(i, j) / (double) n;
            }
        }
        int best = -1;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                double diff = x.get(i, j) - mean[j];
                s += diff * diff;
            }
            if (s < bestDistance) {
                best = i;
                bestDistance = s;
            }
        }
        return best;
    }
}
