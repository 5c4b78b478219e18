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
     * Compares the first {@code checkRows} entries of {@code out = K w} with a direct
     * double-precision sum and throws if the relative error exceeds 1e-4.
     */
    static void checkKernelProduct(FloatMatrix x, FloatMatrix y, double sigma, double[] w,
            double[] out, int checkRows) {
        int d = x.cols();
        for (int i = 0; i < Math.min(checkRows, x.rows()); i++) {
            double sum = 0;
            double scale = 0;
            for (int j = 0; j < y.rows(); j++) {
                double d2 = 0;
                for (int k = 0; k < d; k++) {
                    double diff = (double) x.data()[i * d + k] - y.data()[j * d + k];
                    d2 += diff * diff;
                }
                double kij = Math.exp(-d2 / (2 * sigma * sigma));
                sum += kij * w[j];
                scale += kij * Math.abs(w[j]);
            }
            if (Math.abs(out[i] - sum) > 1e-4 * Math.max(scale, 1e-30)) {
                throw new IllegalStateException("benchmark result check failed at row " + i
                        + ": got " + out[i] + ", expected " + sum);
            }
        }
    }
}
