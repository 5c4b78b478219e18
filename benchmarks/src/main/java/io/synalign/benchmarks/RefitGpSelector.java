package io.synalign.benchmarks;

import io.synalign.kernels.Argmax;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.BitSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The baseline the incremental selector is measured against: at every step the GP posterior is
 * refitted from scratch, as a straightforward implementation would. For conditioning set C of
 * size t: {@code K_XC} (N x t, one GEMM through the backend), the Cholesky factor L of
 * {@code K_CC + s^2 I} (double, O(t^3)), {@code W = K_XC L^-T} (ND4J DGEMM against the explicit
 * inverse, O(N t^2)), {@code var = 1 - rowsum(W o W)}. Cost per step O(N t d + N t^2 + t^3),
 * against O(N d + N t) for the incremental update. Group size 1.
 */
final class RefitGpSelector {

    private RefitGpSelector() {
    }

    static int[] select(KernelBackend kernels, FloatMatrix x, int count, double lengthScale,
            double noise, int first) {
        int n = x.rows();
        int[] picks = new int[count];
        BitSet covered = new BitSet(n);
        double[] variance = new double[n];
        picks[0] = first;
        covered.set(first);
        for (int t = 1; t < count; t++) {
            FloatMatrix xc = x.selectRows(java.util.Arrays.copyOf(picks, t));
            float[] kxc = new float[n * t];
            kernels.rbfBlock(x, xc, lengthScale, kxc);
            float[] kcc = new float[t * t];
            kernels.rbfBlock(xc, xc, lengthScale, kcc);
            double[] linv = lowerInverse(cholesky(kcc, t, noise), t);
            try (INDArray kxcArray = Nd4j.create(kxc, new long[] {n, t}, 'c').castTo(DataType.DOUBLE);
                    INDArray linvArray = Nd4j.create(linv, new long[] {t, t}, 'c');
                    INDArray wArray = kxcArray.mmul(linvArray.transpose())) {
                INDArray q = wArray.muli(wArray).sum(1);
                for (int i = 0; i < n; i++) {
                    variance[i] = 1.0 - q.getDouble(i);
                }
                q.close();
            }
            int pick = Argmax.of(variance, covered);
            picks[t] = pick;
            covered.set(pick);
        }
        return picks;
    }

    /** Lower Cholesky factor of {@code K + noise I} in double, row-major t x t. */
    static double[] cholesky(float[] k, int t, double noise) {
        double[] l = new double[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j <= i; j++) {
                double s = k[i * t + j] + (i == j ? noise : 0);
                for (int p = 0; p < j; p++) {
                    s -= l[i * t + p] * l[j * t + p];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalStateException("K_CC + s^2 I is not positive definite");
                    }
                    l[i * t + i] = Math.sqrt(s);
                } else {
                    l[i * t + j] = s / l[j * t + j];
                }
            }
        }
        return l;
    }

    /** Inverse of a lower-triangular matrix by forward substitution, O(t^3 / 3). */
    static double[] lowerInverse(double[] l, int t) {
        double[] inv = new double[t * t];
        for (int col = 0; col < t; col++) {
            for (int i = col; i < t; i++) {
                double s = i == col ? 1.0 : 0.0;
                for (int p = col; p < i; p++) {
                    s -= l[i * t + p] * inv[p * t + col];
                }
                inv[i * t + col] = s / l[i * t + i];
            }
        }
        return inv;
    }
}
