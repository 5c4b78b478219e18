package io.synalign.engine;

/**
 * Eigendecomposition {@code A = V diag(lambda) V^T} of a dense symmetric matrix in double
 * precision: Householder reduction to tridiagonal form followed by the implicit QL algorithm
 * with Wilkinson-type shifts (the EISPACK routines tred2 and tql2; Bowdler, Martin, Reinsch
 * &amp; Wilkinson, Handbook for Automatic Computation Vol. II, Linear Algebra, 1971; this
 * transcription follows the public-domain JAMA version). Cost O(r^3) time, O(r^2) memory.
 * Both phases work on {@code V^T} so that their O(r^3) loops stream along rows.
 *
 * <p>Used by the Nystrom method to form {@code K_LL^{-1/2}} over the landmark kernel matrix,
 * and by the report's principal components.
 */
public final class SymmetricEigen {

    private final double[] values;
    private final double[][] vectors;

    private SymmetricEigen(double[] values, double[][] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /** Eigenvalues in ascending order (not copied). */
    public double[] values() {
        return values;
    }

    /** {@code vectors()[k]} is the unit eigenvector of {@code values()[k]} (not copied). */
    public double[][] vectors() {
        return vectors;
    }

    /**
     * Decomposes {@code a}, which must be square and symmetric (only its values are read; it is
     * not modified).
     */
    public static SymmetricEigen of(double[][] a) {
        int n = a.length;
        double[][] v = new double[n][];
        for (int i = 0; i < n; i++) {
            if (a[i].length != n) {
                throw new IllegalArgumentException("row " + i + " has " + a[i].length
                        + " values, expected " + n);
            }
            v[i] = a[i].clone();
        }
        double[] d = new double[n];
        double[] e = new double[n];
        if (n == 0) {
            return new SymmetricEigen(d, v);
        }
        double[][] vt = v; // symmetric input: the copy is its own transpose
        tridiagonalise(vt, d, e);
        diagonalise(vt, d, e);
        // Sort ascending (selection sort on rows: O(n^2) row swaps of references).
        for (int i = 0; i < n - 1; i++) {
            int k = i;
            for (int j = i + 1; j < n; j++) {
                if (d[j] < d[k]) {
                    k = j;
                }
            }
            if (k != i) {
                double t = d[i];
                d[i] = d[k];
                d[k] = t;
                double[] row = vt[i];
                vt[i] = vt[k];
                vt[k] = row;
            }
        }
        return new SymmetricEigen(d, vt);
    }

    /**
     * tred2: Householder tridiagonalisation. Works on the transpose {@code w = V^T} of the
     * EISPACK storage (every {@code V[x][y]} reads {@code w[y][x]}; the input is symmetric, so
     * it starts as a copy of A), which turns the O(n^3) column walks of the original into row
     * walks. On exit {@code w} holds the transposed orthogonal transformation.
     */
    private static void tridiagonalise(double[][] w, double[] d, double[] e) {
        int n = d.length;
        for (int j = 0; j < n; j++) {
            d[j] = w[j][n - 1];
        }
        for (int i = n - 1; i > 0; i--) {
            double scale = 0.0;
            double h = 0.0;
            for (int k = 0; k < i; k++) {
                scale += Math.abs(d[k]);
            }
            if (scale == 0.0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = w[j][i - 1];
                    w[j][i] = 0.0;
                    w[i][j] = 0.0;
                }
            } else {
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.sqrt(h);
                if (f > 0) {
                    g = -g;
                }
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) {
                    e[j] = 0.0;
                }
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    w[i][j] = f;
                    g = e[j] + w[j][j] * f;
                    for (int k = j + 1; k <= i - 1; k++) {
                        g += w[j][k] * d[k];
                        e[k] += w[j][k] * f;
                    }
                    e[j] = g;
                }
                f = 0.0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) {
                    e[j] -= hh * d[j];
                }
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++) {
                        w[j][k] -= f * e[k] + g * d[k];
                    }
                    d[j] = w[j][i - 1];
                    w[j][i] = 0.0;
                }
            }
            d[i] = h;
        }
        for (int i = 0; i < n - 1; i++) {
            w[i][n - 1] = w[i][i];
            w[i][i] = 1.0;
            double h = d[i + 1];
            if (h != 0.0) {
                for (int k = 0; k <= i; k++) {
                    d[k] = w[i + 1][k] / h;
                }
                for (int j = 0; j <= i; j++) {
                    double g = 0.0;
                    for (int k = 0; k <= i; k++) {
                        g += w[i + 1][k] * w[j][k];
                    }
                    for (int k = 0; k <= i; k++) {
                        w[j][k] -= g * d[k];
                    }
                }
            }
            for (int k = 0; k <= i; k++) {
                w[i + 1][k] = 0.0;
            }
        }
        for (int j = 0; j < n; j++) {
            d[j] = w[j][n - 1];
            w[j][n - 1] = 0.0;
        }
        w[n - 1][n - 1] = 1.0;
        e[0] = 0.0;
    }

    /**
     * tql2: implicit QL on the tridiagonal (d, e); rotations accumulate into the rows of
     * {@code vt} (the transposed transformation), whose rows end up as the eigenvectors.
     */
    private static void diagonalise(double[][] vt, double[] d, double[] e) {
        int n = d.length;
        for (int i = 1; i < n; i++) {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0.0;
        double f = 0.0;
        double tst1 = 0.0;
        double eps = Math.ulp(1.0);
        for (int l = 0; l < n; l++) {
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n) {
                if (Math.abs(e[m]) <= eps * tst1) {
                    break;
                }
                m++;
            }
            if (m > l) {
                int iterations = 0;
                do {
                    if (++iterations > 100) {
                        throw new IllegalStateException("QL iteration did not converge");
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double r = Math.hypot(p, 1.0);
                    if (p < 0) {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1.0;
                    double c2 = c;
                    double c3 = c;
                    double el1 = e[l + 1];
                    double s = 0.0;
                    double s2 = 0.0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        double[] lo = vt[i];
                        double[] hi = vt[i + 1];
                        for (int k = 0; k < n; k++) {
                            double t = hi[k];
                            hi[k] = s * lo[k] + c * t;
                            lo[k] = c * lo[k] - s * t;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0.0;
        }
    }
}
