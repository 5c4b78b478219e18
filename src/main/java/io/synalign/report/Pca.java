package io.synalign.report;

import io.synalign.engine.SymmetricEigen;

/**
 * The two leading principal components of a point set, in double precision, for the report's
 * 2-D projection.
 *
 * <p>Algorithm: centre the points, form the covariance {@code C = X^T X / n} (d x d, O(n d^2)),
 * then decompose C with the engine's symmetric eigensolver ({@link SymmetricEigen}: Householder
 * tridiagonalisation and implicit QL, O(d^3), about 0.1 s at d = 384) and keep the two leading
 * eigenvectors. Cost O(n d^2 + d^3), O(d^2) memory. Each component is signed so that its
 * largest-magnitude coordinate is positive, for a deterministic picture.
 *
 * @param mean the mean of the points (length d)
 * @param components {@code min(2, d)} orthonormal principal directions, leading first
 * @param variances the variance along each component ({@code lambda}, with the 1/n convention)
 * @param totalVariance the trace of C, the total variance
 */
public record Pca(double[] mean, double[][] components, double[] variances,
        double totalVariance) {

    /**
     * Fits the leading components of {@code points} (n rows of d columns).
     *
     * @throws IllegalArgumentException when there are no points, no columns, or ragged rows
     */
    public static Pca fit(double[][] points) {
        int n = points.length;
        if (n == 0) {
            throw new IllegalArgumentException("PCA needs at least one point, got 0");
        }
        int d = points[0].length;
        if (d == 0) {
            throw new IllegalArgumentException("PCA needs at least one column, got 0");
        }
        double[] mean = new double[d];
        for (double[] p : points) {
            if (p.length != d) {
                throw new IllegalArgumentException("ragged points: a row has " + p.length
                        + " columns, expected " + d);
            }
            for (int j = 0; j < d; j++) {
                mean[j] += p[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        double[][] c = covariance(points, mean);
        double trace = 0;
        for (int j = 0; j < d; j++) {
            trace += c[j][j];
        }
        int k = Math.min(2, d);
        SymmetricEigen eigen = SymmetricEigen.of(c);
        double[][] components = new double[k][];
        double[] variances = new double[k];
        for (int i = 0; i < k; i++) {
            components[i] = signed(eigen.vectors()[d - 1 - i]); // ascending: largest last
            variances[i] = Math.max(0, dot(components[i], multiply(c, components[i])));
        }
        return new Pca(mean, components, variances, trace);
    }

    /** The coordinates of {@code point} on the components; 2 values, 0 where d is 1. */
    public double[] project(double[] point) {
        double[] out = new double[2];
        for (int i = 0; i < components.length; i++) {
            double s = 0;
            for (int j = 0; j < mean.length; j++) {
                s += (point[j] - mean[j]) * components[i][j];
            }
            out[i] = s;
        }
        return out;
    }

    /** The share of the total variance on component {@code i} (0 when there is none). */
    public double explained(int i) {
        return i >= variances.length || totalVariance <= 0 ? 0 : variances[i] / totalVariance;
    }

    private static double[][] covariance(double[][] points, double[] mean) {
        int d = mean.length;
        double[][] c = new double[d][d];
        double[] x = new double[d];
        for (double[] p : points) {
            for (int j = 0; j < d; j++) {
                x[j] = p[j] - mean[j];
            }
            for (int a = 0; a < d; a++) {
                double xa = x[a];
                if (xa == 0) {
                    continue;
                }
                double[] row = c[a];
                for (int b = a; b < d; b++) {
                    row[b] += xa * x[b];
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                c[a][b] /= points.length;
                c[b][a] = c[a][b];
            }
        }
        return c;
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

    private static double[] multiply(double[][] c, double[] v) {
        double[] out = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            out[i] = dot(c[i], v);
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
