package io.synalign.engine.alignment;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;

/**
 * Builds the {@link MmdObjective} of each method from the synthetic rows S (n) and the real
 * rows R (m). The linear term and the constant are computed once here, never per iteration:
 *
 * <ul>
 *   <li>kernel (exact, tiled): {@code h = (1/m) K_SR 1} by the fused, tiled row sums of an
 *       S x R operator (O(n m d) time, O(tile * m) memory), {@code c = (1/m^2) 1^T K_RR 1} by
 *       the row sums of an R x R operator (O(m^2 d)), and {@code H = K_SS} under the caller's
 *       {@link TilePlan} (materialised for exact, tiled for tiled).</li>
 *   <li>rff (Rahimi &amp; Recht, NIPS 2007): {@code Phi_S} stored by the backend (O(n D));
 *       {@code mu_R = Phi_R^T 1 / m} accumulated over row blocks of R so that {@code Phi_R} is
 *       never held whole (O(m d D) time, O(block * D) memory); {@code h = Phi_S mu_R},
 *       {@code c = ||mu_R||^2}.</li>
 * </ul>
 */
final class MmdObjectives {

    private MmdObjectives() {
    }

    /** A tiled plan for a rows x cols operator whose kernel is never kept. */
    static TilePlan tiledPlan(int rows, int cols) {
        return TilePlan.tiled(TilePlan.tileRowsFor(rows, cols, TilePlan.DEFAULT_TILE_BYTES));
    }

    /**
     * The kernel objective: exact V-statistic with {@code H = K_SS} built under {@code plan}.
     * Reports three "kernel" progress steps (K_SR row sums, K_RR row sums, K_SS).
     */
    static MmdObjective kernel(KernelBackend backend, FloatMatrix synthetic, FloatMatrix real,
            double sigma, TilePlan plan, ProgressListener progress) {
        int n = synthetic.rows();
        int m = real.rows();
        progress.onProgress("kernel", 0, 3, "K_SR row sums");
        double[] linear = meanKernelRows(backend, synthetic, real, sigma);
        progress.onProgress("kernel", 1, 3, "K_RR row sums");
        double[] rr = meanKernelRows(backend, real, real, sigma);
        double constant = 0;
        for (int j = 0; j < m; j++) {
            constant += rr[j];
        }
        constant /= m;
        progress.onProgress("kernel", 2, 3, plan.materialise() ? "K_SS (kept)" : "K_SS (tiled)");
        KernelOperator kss = backend.rbfOperator(synthetic, synthetic, sigma, plan);
        progress.onProgress("kernel", 3, 3, "done");
        if (kss.rows() != n) {
            kss.close();
            throw new IllegalStateException("backend built a " + kss.rows() + "-row K_SS for n = " + n);
        }
        return new MmdObjective(new KernelQuadraticForm(kss), linear, constant, "exact");
    }

    /** {@code out_i = (1/|y|) sum_j k(x_i, y_j)}, by tiled fused row sums. */
    static double[] meanKernelRows(KernelBackend backend, FloatMatrix x, FloatMatrix y,
            double sigma) {
        double[] sums = new double[x.rows()];
        try (KernelOperator op = backend.rbfOperator(x, y, sigma, tiledPlan(x.rows(), y.rows()))) {
            op.rowSums(sums);
        }
        double inv = 1.0 / y.rows();
        for (int i = 0; i < sums.length; i++) {
            sums[i] *= inv;
        }
        return sums;
    }

    /**
     * The random-Fourier-feature objective {@code ||Phi_S^T w - mu_R||^2}. Reports one "kernel"
     * progress step for {@code Phi_S} and one per row block of R.
     */
    static MmdObjective fourier(KernelBackend backend, FloatMatrix synthetic, FloatMatrix real,
            FourierFeatures map, ProgressListener progress) {
        int n = synthetic.rows();
        int features = map.features();
        double[] mu = meanFeatures(backend, real, map, progress);
        FeatureOperator phiS = backend.fourierFeatureOperator(synthetic, map);
        try {
            double[] linear = new double[n];
            phiS.times(mu, linear);
            double constant = 0;
            for (double v : mu) {
                constant += v * v;
            }
            return new MmdObjective(new FeatureQuadraticForm(phiS), linear, constant,
                    "rff(D=" + features + ")");
        } catch (RuntimeException e) {
            phiS.close();
            throw e;
        }
    }

    /** {@code mu = (1/m) sum_j phi(r_j)}, accumulated in double over row blocks of R. */
    static double[] meanFeatures(KernelBackend backend, FloatMatrix real, FourierFeatures map,
            ProgressListener progress) {
        int m = real.rows();
        int features = map.features();
        int block = TilePlan.tileRowsFor(m, features, TilePlan.DEFAULT_TILE_BYTES);
        int blocks = (m + block - 1) / block;
        double[] mu = new double[features];
        float[] phi = new float[Math.multiplyExact(Math.min(block, m), features)];
        for (int b = 0; b < blocks; b++) {
            progress.onProgress("kernel", b, blocks + 1, "Phi_R block " + (b + 1) + "/" + blocks);
            int from = b * block;
            int to = Math.min(m, from + block);
            FloatMatrix rows = blocks == 1 ? real : real.rowRange(from, to);
            float[] out = rows.rows() * features == phi.length ? phi
                    : new float[rows.rows() * features];
            backend.randomFourierFeatures(rows, map, out);
            for (int r = 0; r < rows.rows(); r++) {
                int base = r * features;
                for (int f = 0; f < features; f++) {
                    mu[f] += out[base + f];
                }
            }
        }
        progress.onProgress("kernel", blocks, blocks + 1, "Phi_S");
        double inv = 1.0 / m;
        for (int f = 0; f < features; f++) {
            mu[f] *= inv;
        }
        return mu;
    }

    /**
     * Exact V-statistic MMD^2 of each weight vector, by a tiled pass that keeps no kernel
     * matrix: one S x R and one R x R row-sum pass, then one tiled K_SS product per vector.
     * Cost O((n m + m^2 + k n^2) d) for k vectors.
     */
    static double[] exactValues(KernelBackend backend, FloatMatrix synthetic, FloatMatrix real,
            double sigma, double[]... weights) {
        int n = synthetic.rows();
        double[] values = new double[weights.length];
        try (MmdObjective exact = kernel(backend, synthetic, real, sigma, tiledPlan(n, n),
                ProgressListener.NONE)) {
            double[] hw = new double[n];
            for (int k = 0; k < weights.length; k++) {
                exact.apply(weights[k], hw);
                values[k] = exact.value(weights[k], hw);
            }
        }
        return values;
    }
}
