package io.synalign.report;

import java.util.SplittableRandom;

/**
 * The two leading principal components of a point set, in double precision, for the report's
 * 2-D projection.
 *
 * <p>Algorithm: centre the points, form the covariance {@code C = X^T X / n} (d x d, O(n d^2)),
 * then find its leading eigenvectors by orthogonal (subspace) iteration with Rayleigh-Ritz
 * extraction (Golub &amp; Van Loan, Matrix Computations, 4th ed., sections 8.2.4 and 8.1.3;
 * Stewart 1976): a block of {@code b = min(d, 6)} vectors is repeatedly multiplied by C and
 * re-orthonormalised (modified Gram-Schmidt); after each step the b x b projection
 * {@code Q^T C Q} is diagonalised by cyclic Jacobi rotations and the Ritz vectors replace Q.
 * The top two Ritz pairs converge at rate {@code lambda_{b+1} / lambda_2} per step; iteration
 * stops when both residuals {@code ||C v - theta v||} fall below {@code 1e-12 * lambda_1} (or
 * after {@value #MAX_ITERATIONS} steps). Cost O(d^2 b) per step, O(d^2) memory. Each component
 * is signed so that its largest-magnitude coordinate is positive, for a deterministic picture.
 *
 * @param mean the mean of the points (length d)
 * @param components {@code min(2, d)} orthonormal principal directions, leading first
 * @param variances the variance along each component ({@code lambda}, with the 1/n convention)
 * @param totalVariance the trace of C, the total variance
 */
public record Pca(double[] mean, double[][] components, double[] variances,
        double totalVariance) {

    static final int MAX_ITERATIONS = 1000;
    private static final int BLOCK = 6;
    private static final double TOLERANCE = 1e-12;

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
        double[][] ritz = leadingEigenvectors(c, k, Math.min(d, BLOCK));
        double[][] components = new double[k][];
        double[] variances = new double[k];
        for (int i = 0; i < k; i++) {
            components[i] = signed(ritz[i]);
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

    /** The k leading eigenvectors of symmetric {@code c} by subspace iteration with block b. */
    static double[][] leadingEigenvectors(double[][] c, int k, int b) {
        int d = c.length;
        SplittableRandom random = new SplittableRandom(20250301L);
        double[][] q = new double[b][d];
        for (double[] v : q) {
            for (int j = 0; j < d; j++) {
                v[j] = random.nextDouble() - 0.5;
            }
        }
        orthonormalise(q, random);
        double[][] ritz = q;
        for (int iter = 0; iter < MAX_ITERATIONS; iter++) {
            double[][] z = new double[b][];
            for (int i = 0; i < b; i++) {
                z[i] = multiply(c, ritz[i]);
            }
            orthonormalise(z, random);
            ritz = rayleighRitz(c, z);
            if (converged(c, ritz, k)) {
                break;
            }
        }
        double[][] out = new double[k][];
        System.arraycopy(ritz, 0, out, 0, k);
        return out;
    }

    /** Ritz vectors of C on span(q), by descending Ritz value. */
    private static double[][] rayleighRitz(double[][] c, double[][] q) {
        int b = q.length;
        int d = c.length;
        double[][] cq = new double[b][];
        for (int i = 0; i < b; i++) {
            cq[i] = multiply(c, q[i]);
        }
        double[][] t = new double[b][b];
        for (int i = 0; i < b; i++) {
            for (int j = i; j < b; j++) {
                t[i][j] = dot(q[i], cq[j]);
                t[j][i] = t[i][j];
            }
        }
        double[][] u = jacobi(t);
        double[][] out = new double[b][d];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < b; i++) {
                double coef = u[i][r];
                for (int j = 0; j < d; j++) {
                    out[r][j] += coef * q[i][j];
                }
            }
        }
        return out;
    }

    /**
     * Cyclic Jacobi eigen-solver for a small symmetric matrix (modified in place); returns U,
     * whose column r is the eigenvector of the r-th largest eigenvalue.
     */
    static double[][] jacobi(double[][] a) {
        int b = a.length;
        double[][] u = new double[b][b];
        for (int i = 0; i < b; i++) {
            u[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double diag = 0;
            for (int i = 0; i < b; i++) {
                diag += a[i][i] * a[i][i];
                for (int j = i + 1; j < b; j++) {
                    off += a[i][j] * a[i][j];
                }
            }
            if (off <= 1e-32 * diag || off == 0) {
                break;
            }
            for (int p = 0; p < b; p++) {
                for (int r = p + 1; r < b; r++) {
                    if (a[p][r] == 0) {
                        continue;
                    }
                    double theta = (a[r][r] - a[p][p]) / (2 * a[p][r]);
                    double tan = Math.signum(theta) / (Math.abs(theta)
                            + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        tan = 1;
                    }
                    double cos = 1 / Math.sqrt(tan * tan + 1);
                    double sin = tan * cos;
                    for (int i = 0; i < b; i++) {
                        double aip = a[i][p];
                        double air = a[i][r];
                        a[i][p] = cos * aip - sin * air;
                        a[i][r] = sin * aip + cos * air;
                    }
                    for (int i = 0; i < b; i++) {
                        double api = a[p][i];
                        double ari = a[r][i];
                        a[p][i] = cos * api - sin * ari;
                        a[r][i] = sin * api + cos * ari;
                    }
                    for (int i = 0; i < b; i++) {
                        double uip = u[i][p];
                        double uir = u[i][r];
                        u[i][p] = cos * uip - sin * uir;
                        u[i][r] = sin * uip + cos * uir;
                    }
                }
            }
        }
        // Columns by descending eigenvalue.
        Integer[] order = new Integer[b];
        for (int i = 0; i < b; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(a[y][y], a[x][x]));
        double[][] sorted = new double[b][b];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < b; i++) {
                sorted[i][r] = u[i][order[r]];
            }
        }
        return sorted;
    }

    private static boolean converged(double[][] c, double[][] ritz, int k) {
        double lead = Math.abs(dot(ritz[0], multiply(c, ritz[0])));
        for (int i = 0; i < k; i++) {
            double[] cv = multiply(c, ritz[i]);
            double theta = dot(ritz[i], cv);
            double r2 = 0;
            for (int j = 0; j < cv.length; j++) {
                double e = cv[j] - theta * ritz[i][j];
                r2 += e * e;
            }
            if (Math.sqrt(r2) > TOLERANCE * lead) {
                return false;
            }
        }
        return true;
    }

    /**
     * Modified Gram-Schmidt, twice ("twice is enough", Giraud et al. 2005). A vector that
     * vanishes (C of lower rank than the block) is replaced by a random one.
     */
    private static void orthonormalise(double[][] q, SplittableRandom random) {
        for (int i = 0; i < q.length; i++) {
            double before = Math.sqrt(dot(q[i], q[i]));
            for (int attempt = 0; ; attempt++) {
                for (int pass = 0; pass < 2; pass++) {
                    for (int j = 0; j < i; j++) {
                        double s = dot(q[i], q[j]);
                        for (int x = 0; x < q[i].length; x++) {
                            q[i][x] -= s * q[j][x];
                        }
                    }
                }
                double norm = Math.sqrt(dot(q[i], q[i]));
                if (norm > 1e-10 * before && norm > 0 && attempt < 50) {
                    for (int x = 0; x < q[i].length; x++) {
                        q[i][x] /= norm;
                    }
                    break;
                }
                if (attempt >= 50) {
                    throw new IllegalStateException("could not orthonormalise the PCA block");
                }
                for (int x = 0; x < q[i].length; x++) {
                    q[i][x] = random.nextDouble() - 0.5;
                }
                before = Math.sqrt(dot(q[i], q[i]));
            }
        }
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
