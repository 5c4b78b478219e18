package io.synalign.benchmarks;

import io.synalign.kernels.FloatMatrix;

/**
 * Result checks run inside benchmarks (as Lucene's do): a benchmark that measures a wrong answer
 * fails instead of reporting a number.
 */
final class BenchmarkChecks {

    private BenchmarkChecks() {
    }

    /**
     * The first {@code checkRows} rows and rows n/2, n-33, n-2 and n-1: the first rows of a kept
     * triangle depend on its first panel alone, of a tiled product on its first tile, and a
     * ragged last tile shows only at the end.
     */
    static java.util.SortedSet<Integer> checkedRows(int n, int checkRows) {
        java.util.SortedSet<Integer> check = new java.util.TreeSet<>();
        for (int i = 0; i < Math.min(checkRows, n); i++) {
            check.add(i);
        }
        for (int i : new int[] {n / 2, n - 33, n - 2, n - 1}) {
            if (i >= 0 && i < n) {
                check.add(i);
            }
        }
        return check;
    }

    /**
     * Compares the first {@code checkRows} entries of {@code out = K w}, and rows n/2, n-33,
     * n-2 and n-1, with a direct double-precision sum and throws if the relative error exceeds
     * 1e-4.
     */
    static void checkKernelProduct(FloatMatrix x, FloatMatrix y, double sigma, double[] w,
            double[] out, int checkRows) {
        for (int i : checkedRows(x.rows(), checkRows)) {
            double sum = 0;
            double scale = 0;
            for (int j = 0; j < y.rows(); j++) {
                double kij = Math.exp(-distance2(x, i, y, j) / (2 * sigma * sigma));
                sum += kij * w[j];
                scale += kij * Math.abs(w[j]);
            }
            if (Math.abs(out[i] - sum) > 1e-4 * Math.max(scale, 1e-30)) {
                throw new IllegalStateException("benchmark result check failed at row " + i
                        + ": got " + out[i] + ", expected " + sum);
            }
        }
    }

    /**
     * Checks the rows {@link #checkedRows} names of an RBF block against double precision (1e-5).
     */
    static void checkKernelBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] block,
            int checkRows) {
        for (int i : checkedRows(x.rows(), checkRows)) {
            for (int j = 0; j < y.rows(); j++) {
                double want = Math.exp(-distance2(x, i, y, j) / (2 * sigma * sigma));
                if (Math.abs(block[i * y.rows() + j] - want) > 1e-5) {
                    throw new IllegalStateException("benchmark result check failed: K[" + i + "]["
                            + j + "] = " + block[i * y.rows() + j] + ", expected " + want);
                }
            }
        }
    }

    /**
     * Checks the rows {@link #checkedRows} names of {@code C = X Y^T} against double dot products.
     */
    static void checkGemm(FloatMatrix x, FloatMatrix y, float[] c, int checkRows) {
        int d = x.cols();
        for (int i : checkedRows(x.rows(), checkRows)) {
            for (int j = 0; j < y.rows(); j++) {
                double dot = 0;
                double scale = 0;
                for (int k = 0; k < d; k++) {
                    double p = (double) x.data()[i * d + k] * y.data()[j * d + k];
                    dot += p;
                    scale += Math.abs(p);
                }
                if (Math.abs(c[i * y.rows() + j] - dot) > 1e-5 * Math.max(scale, 1e-30)) {
                    throw new IllegalStateException("benchmark result check failed: C[" + i + "]["
                            + j + "] = " + c[i * y.rows() + j] + ", expected " + dot);
                }
            }
        }
    }

    private static double distance2(FloatMatrix x, int i, FloatMatrix y, int j) {
        int d = x.cols();
        double s = 0;
        for (int k = 0; k < d; k++) {
            double diff = (double) x.data()[i * d + k] - y.data()[j * d + k];
            s += diff * diff;
        }
        return s;
    }
}
