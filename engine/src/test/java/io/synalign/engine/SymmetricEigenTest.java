package io.synalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SymmetricEigenTest {

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 2, 3, 7, 33, 100})
    void decomposesRandomSymmetricMatrices(int n) {
        Random random = new Random(n);
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                a[i][j] = a[j][i] = random.nextGaussian();
            }
        }
        assertDecomposition(a);
    }

    @Test
    void decomposesARankDeficientKernelMatrixWithRepeatedRows() {
        // Gaussian kernel of 20 points, 5 of them duplicated: rank <= 15, PSD.
        Random random = new Random(3);
        int n = 20;
        double[][] x = new double[n][2];
        for (int i = 0; i < n; i++) {
            x[i] = i < 15 ? new double[] {random.nextGaussian(), random.nextGaussian()} : x[i - 15];
        }
        double[][] k = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double dx = x[i][0] - x[j][0];
                double dy = x[i][1] - x[j][1];
                k[i][j] = Math.exp(-(dx * dx + dy * dy) / 2);
            }
        }
        SymmetricEigen eigen = assertDecomposition(k);
        for (int i = 0; i < 5; i++) {
            assertEquals(0.0, eigen.values()[i], 1e-12, "eigenvalue " + i);
        }
        assertTrue(eigen.values()[5] > 1e-12);
    }

    @Test
    void diagonalMatrixGivesItsDiagonal() {
        double[][] a = {{3, 0, 0}, {0, -1, 0}, {0, 0, 2}};
        SymmetricEigen eigen = assertDecomposition(a);
        assertEquals(-1, eigen.values()[0], 1e-15);
        assertEquals(2, eigen.values()[1], 1e-15);
        assertEquals(3, eigen.values()[2], 1e-15);
    }

    /** A v_k = lambda_k v_k, V orthonormal, eigenvalues ascending, trace preserved. */
    private static SymmetricEigen assertDecomposition(double[][] a) {
        int n = a.length;
        SymmetricEigen eigen = SymmetricEigen.of(a);
        double norm = 0;
        double trace = 0;
        for (int i = 0; i < n; i++) {
            trace += a[i][i];
            for (int j = 0; j < n; j++) {
                norm = Math.max(norm, Math.abs(a[i][j]));
            }
        }
        double tolerance = 1e-12 * n * (1 + norm);
        double sum = 0;
        for (int k = 0; k < n; k++) {
            double[] v = eigen.vectors()[k];
            double lambda = eigen.values()[k];
            sum += lambda;
            if (k > 0) {
                assertTrue(eigen.values()[k - 1] <= lambda, "not ascending at " + k);
            }
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int j = 0; j < n; j++) {
                    av += a[i][j] * v[j];
                }
                assertEquals(lambda * v[i], av, tolerance,
                        "A v = lambda v, pair " + k + " row " + i);
            }
            for (int l = 0; l < n; l++) {
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    dot += v[i] * eigen.vectors()[l][i];
                }
                assertEquals(k == l ? 1 : 0, dot, 1e-12 * n, "orthonormality " + k + "," + l);
            }
        }
        assertEquals(trace, sum, tolerance);
        return eigen;
    }
}
