package io.synalign.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Pca} against an independent double-precision reference: the covariance formed as
 * {@code E[x x^T] - mu mu^T} and fully diagonalised by the classical two-sided Jacobi method
 * (every eigenpair, no subspace iteration), on random inputs of awkward sizes; and on point
 * sets whose principal axes are known exactly.
 */
class PcaTest {

    /** Random points with decaying scales along random directions, so that gaps exist. */
    private static double[][] points(int n, int d, long seed) {
        Random r = new Random(seed);
        double[][] mix = new double[d][d];
        for (double[] row : mix) {
            for (int j = 0; j < d; j++) {
                row[j] = r.nextGaussian();
            }
        }
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                double z = r.nextGaussian() * Math.pow(0.6, k);
                for (int j = 0; j < d; j++) {
                    x[i][j] += z * mix[k][j];
                }
            }
            for (int j = 0; j < d; j++) {
                x[i][j] += 3 - j;
            }
        }
        return x;
    }

    /** Reference: covariance by E[xx^T] - mu mu^T, all eigenpairs by cyclic Jacobi. */
    private static double[][] referenceEigen(double[][] x, double[] valuesOut) {
        int n = x.length;
        int d = x[0].length;
        double[] mu = new double[d];
        double[][] a = new double[d][d];
        for (double[] p : x) {
            for (int i = 0; i < d; i++) {
                mu[i] += p[i] / n;
                for (int j = 0; j < d; j++) {
                    a[i][j] += p[i] * p[j] / n;
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                a[i][j] -= mu[i] * mu[j];
            }
        }
        return DoublePca.jacobi(a, valuesOut);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @ParameterizedTest(name = "n={0} d={1}")
    @CsvSource({"2,1", "7,3", "5,20", "257,7", "60,33", "33,2", "300,64"})
    void matchesTheJacobiReference(int n, int d) {
        double[][] x = points(n, d, 100 + n * 31L + d);
        Pca pca = Pca.fit(x);
        double[] values = new double[d];
        double[][] vectors = referenceEigen(x, values);
        double trace = 0;
        for (double v : values) {
            trace += v;
        }
        assertEquals(trace, pca.totalVariance(), 1e-10 * Math.max(1, trace));
        int k = Math.min(2, d);
        assertEquals(k, pca.components().length);
        for (int i = 0; i < k; i++) {
            assertEquals(values[i], pca.variances()[i], 1e-9 * values[0], "variance " + i);
            assertEquals(1, dot(pca.components()[i], pca.components()[i]), 1e-12);
            // Directions agree up to sign where the eigenvalue is separated from its neighbours.
            double gap = Math.min(i == 0 ? Double.POSITIVE_INFINITY : values[i - 1] - values[i],
                    i + 1 < d ? values[i] - values[i + 1] : Double.POSITIVE_INFINITY);
            if (gap > 1e-3 * values[0]) {
                assertEquals(1, Math.abs(dot(pca.components()[i], vectors[i])), 1e-8,
                        "component " + i);
            }
        }
        if (k == 2) {
            assertEquals(0, dot(pca.components()[0], pca.components()[1]), 1e-10);
        }
        // Projection: (x - mean) . v, with 0 for a missing second component.
        double[] mean = new double[d];
        for (double[] p : x) {
            for (int j = 0; j < d; j++) {
                mean[j] += p[j] / n;
            }
        }
        for (int i = 0; i < n; i += Math.max(1, n / 9)) {
            double[] c = new double[d];
            for (int j = 0; j < d; j++) {
                c[j] = x[i][j] - mean[j];
            }
            double[] xy = pca.project(x[i]);
            assertEquals(dot(c, pca.components()[0]), xy[0], 1e-9);
            assertEquals(k == 2 ? dot(c, pca.components()[1]) : 0, xy[1], 1e-9);
        }
    }

    @Test
    void knownAxesAreFoundExactly() {
        // Points +-a u and +-b v (u, v orthonormal, rotated into 9 dimensions): the
        // covariance is (a^2 uu^T + b^2 vv^T) / 2, so PC1 = u with variance a^2/2, PC2 = v.
        int d = 9;
        double[] u = new double[d];
        double[] v = new double[d];
        Random r = new Random(3);
        for (int j = 0; j < d; j++) {
            u[j] = r.nextGaussian();
            v[j] = r.nextGaussian();
        }
        double nu = Math.sqrt(dot(u, u));
        for (int j = 0; j < d; j++) {
            u[j] /= nu;
        }
        double uv = dot(u, v);
        for (int j = 0; j < d; j++) {
            v[j] -= uv * u[j];
        }
        double nv = Math.sqrt(dot(v, v));
        for (int j = 0; j < d; j++) {
            v[j] /= nv;
        }
        double a = 5;
        double b = 2;
        double[] centre = new double[d];
        java.util.Arrays.fill(centre, 7);
        double[][] x = new double[4][d];
        for (int j = 0; j < d; j++) {
            x[0][j] = centre[j] + a * u[j];
            x[1][j] = centre[j] - a * u[j];
            x[2][j] = centre[j] + b * v[j];
            x[3][j] = centre[j] - b * v[j];
        }
        Pca pca = Pca.fit(x);
        assertArrayEquals(centre, pca.mean(), 1e-12);
        assertEquals(a * a / 2, pca.variances()[0], 1e-10);
        assertEquals(b * b / 2, pca.variances()[1], 1e-10);
        assertEquals(1, Math.abs(dot(pca.components()[0], u)), 1e-10);
        assertEquals(1, Math.abs(dot(pca.components()[1], v)), 1e-10);
        assertEquals(a * a / (a * a + b * b), pca.explained(0), 1e-10);
        assertEquals(a, Math.abs(pca.project(x[0])[0]), 1e-10);
        assertEquals(0, pca.project(x[0])[1], 1e-10);
    }

    @Test
    void degenerateInputs() {
        // One point, or identical points: zero variance, every projection at the origin.
        Pca one = Pca.fit(new double[][] {{1, 2, 3}});
        assertArrayEquals(new double[] {0, 0}, one.project(new double[] {1, 2, 3}), 0);
        assertEquals(0, one.explained(0));
        // Collinear points: the second component carries no variance.
        Pca line = Pca.fit(new double[][] {{0, 0, 0}, {1, 2, 2}, {2, 4, 4}, {-1, -2, -2}});
        assertEquals(1, line.explained(0), 1e-12);
        assertEquals(0, line.variances()[1], 1e-12);
        assertTrue(Math.abs(line.components()[0][1] - 2.0 / 3) < 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Pca.fit(new double[0][]));
        assertThrows(IllegalArgumentException.class, () -> Pca.fit(new double[][] {{}}));
        assertThrows(IllegalArgumentException.class,
                () -> Pca.fit(new double[][] {{1, 2}, {3}}));
    }
}
