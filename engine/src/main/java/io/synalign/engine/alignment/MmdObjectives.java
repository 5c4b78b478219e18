package io.synalign.engine.alignment;

import io.synalign.engine.SymmetricEigen;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.VectorOps;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

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
 *   <li>nystrom (Williams &amp; Seeger, NIPS 2001): r seeded landmark rows L of R union S;
 *       {@code K_LL} (r x r, O(r^2 d)) decomposed in double ({@link SymmetricEigen}, O(r^3)),
 *       eigenvalues below {@value #NYSTROM_EIGEN_FLOOR} of the largest dropped (they carry the
 *       float32 rounding of K_LL), {@code G = V diag(lambda^{-1/2})}; features
 *       {@code Phi = K_.L G}; {@code mu_R = G^T (1/m) K_LR 1} by tiled row sums (O(r m d));
 *       {@code H = K_SL G G^T K_LS} with {@code K_SL} held over the chunk grid of
 *       {@link ChunkedFeatureOperator} (kept up to a byte budget, recomputed from the synthetic
 *       rows' source beyond it, so S may have any length; O(n r) per product when kept, plus
 *       O(n r d) when recomputed), {@code h = Phi_S mu_R}, {@code c = ||mu_R||^2}.</li>
 * </ul>
 */
final class MmdObjectives {

    /** Eigenvalues of K_LL below this fraction of the largest are treated as zero. */
    static final double NYSTROM_EIGEN_FLOOR = 1e-6;

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
        Cancellation.stopIfInterrupted("MMD kernel row sums");
        progress.onProgress("kernel", 1, 3, "K_RR row sums");
        double[] rr = meanKernelRows(backend, real, real, sigma);
        double constant = 0;
        for (int j = 0; j < m; j++) {
            constant += rr[j];
        }
        constant /= m;
        Cancellation.stopIfInterrupted("MMD kernel row sums");
        progress.onProgress("kernel", 2, 3, plan.materialise() ? "K_SS (to keep)" : "K_SS (tiled)");
        KernelOperator kss = backend.rbfOperator(synthetic, synthetic, sigma, plan);
        KernelQuadraticForm form;
        try {
            // A listener may throw (a cancelled run): K_SS, possibly gigabytes of device
            // memory, is closed rather than left to the backend. The line says what the backend
            // did, not what the plan asked: a kept plan may be tiled where K did not fit
            // (KernelBackend#rbfOperator), and the user must not read "kept" then.
            progress.onProgress("kernel", 3, 3, "K_SS " + kss.storageDescription());
            if (kss.rows() != n) {
                throw new IllegalStateException("backend built a " + kss.rows()
                        + "-row K_SS for n = " + n);
            }
            form = new KernelQuadraticForm(kss);
        } catch (RuntimeException | Error e) {
            kss.close();
            throw e;
        }
        return objective(backend, form, linear, constant, "exact");
    }

    /**
     * The objective over {@code form} with h uploaded to the backend; closes the form (and h)
     * if the upload or the objective fails.
     */
    private static MmdObjective objective(KernelBackend backend, QuadraticForm form,
            double[] linear, double constant, String estimator) {
        DeviceVector h = null;
        try {
            VectorOps vectors = backend.vectors();
            h = vectors.of(linear);
            return new MmdObjective(form, vectors, h, constant, estimator);
        } catch (RuntimeException | Error e) {
            closeFailed(h, form, null);
            throw e;
        }
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
     * The random-Fourier-feature objective {@code ||Phi_S^T w - mu_R||^2}, with {@code Phi_S}
     * kept whole (the budget is unbounded): {@link #fourier(KernelBackend, RowSource,
     * FloatMatrix, FourierFeatures, long, ProgressListener)} on the matrix's rows.
     */
    static MmdObjective fourier(KernelBackend backend, FloatMatrix synthetic, FloatMatrix real,
            FourierFeatures map, ProgressListener progress) {
        return fourier(backend, RowSource.of(synthetic), real, map, Long.MAX_VALUE, progress);
    }

    /**
     * The random-Fourier-feature objective {@code ||Phi_S^T w - mu_R||^2} over synthetic rows
     * of any length: {@code Phi_S} is a {@link ChunkedFeatureOperator}, kept chunk by chunk up to
     * {@code keepBytes} and recomputed from the source beyond it; the linear term
     * {@code h = Phi_S mu_R} is computed on the backend. Reports one "kernel" progress step per
     * row block of R and one for {@code Phi_S}.
     */
    static MmdObjective fourier(KernelBackend backend, RowSource synthetic, FloatMatrix real,
            FourierFeatures map, long keepBytes, ProgressListener progress) {
        int features = map.features();
        int blocks = featureBlocks(real.rows(), features);
        double[] mu = meanFeatures(backend, real, map, progress);
        progress.onProgress("kernel", blocks, blocks + 1, "Phi_S");
        ChunkedFeatureOperator phiS = new ChunkedFeatureOperator(backend, synthetic, map,
                keepBytes, progress);
        FeatureQuadraticForm form = null;
        DeviceVector linear = null;
        try {
            // Inside the try: a listener may throw, and on cuda vectors() makes the device's
            // vector operations on first use, which can fail; either way Phi_S is closed.
            progress.onProgress("kernel", blocks + 1, blocks + 1, "done");
            VectorOps vectors = backend.vectors();
            form = new FeatureQuadraticForm(phiS, vectors, mu);
            linear = vectors.zeros(phiS.rows());
            try (DeviceVector m = vectors.of(mu)) {
                phiS.times(m, linear);
            }
            double constant = 0;
            for (double v : mu) {
                constant += v * v;
            }
            return new MmdObjective(form, vectors, linear, constant, "rff(D=" + features + ")");
        } catch (RuntimeException | Error e) {
            closeFailed(linear, form, phiS);
            throw e;
        }
    }

    /**
     * Frees what a failed objective build made: its vector, and the form (which owns the
     * operator) or, before the form exists, the operator (null when there is none besides the
     * form).
     */
    private static void closeFailed(DeviceVector linear, QuadraticForm form,
            ChunkedFeatureOperator operator) {
        if (linear != null) {
            linear.close();
        }
        if (form != null) {
            form.close();
        } else if (operator != null) {
            operator.close();
        }
    }

    /** Rows of R per feature block: one block of features stays within the tile budget. */
    static int featureBlockRows(int m, int features) {
        return TilePlan.tileRowsFor(m, features, TilePlan.DEFAULT_TILE_BYTES);
    }

    static int featureBlocks(int m, int features) {
        int block = featureBlockRows(m, features);
        return (m + block - 1) / block;
    }

    /**
     * {@code mu = (1/m) sum_j phi(r_j)}: each row block of R summed in double in row order, the
     * block sums added in block order ({@link FeatureGrid}: the order a distributed
     * implementation can repeat exactly).
     */
    static double[] meanFeatures(KernelBackend backend, FloatMatrix real, FourierFeatures map,
            ProgressListener progress) {
        int m = real.rows();
        int features = map.features();
        int block = featureBlockRows(m, features);
        int blocks = featureBlocks(m, features);
        double[] mu = new double[features];
        for (int b = 0; b < blocks; b++) {
            progress.onProgress("kernel", b, blocks + 1, "Phi_R block " + (b + 1) + "/" + blocks);
            int from = b * block;
            int to = Math.min(m, from + block);
            FloatMatrix rows = blocks == 1 ? real : real.rowRange(from, to);
            FeatureGrid.add(mu, FeatureGrid.blockFeatureSum(backend, rows, map));
        }
        double inv = 1.0 / m;
        for (int f = 0; f < features; f++) {
            mu[f] *= inv;
        }
        return mu;
    }

    /**
     * The Nystrom objective with S as one matrix: {@link #nystrom(KernelBackend, RowSource,
     * FloatMatrix, double, int, long, long, ProgressListener)} on its rows.
     */
    static MmdObjective nystrom(KernelBackend backend, FloatMatrix synthetic, FloatMatrix real,
            double sigma, int landmarks, long seed, long keepBytes, ProgressListener progress) {
        return nystrom(backend, RowSource.of(synthetic), real, sigma, landmarks, seed, keepBytes,
                progress);
    }

    /**
     * The Nystrom objective {@code ||Phi_S^T w - mu_R||^2} with {@code Phi = K_.L G},
     * {@code G = K_LL^{-1/2}}, over synthetic rows of any length: the landmarks are read from
     * the source ({@link #landmarkRows(FloatMatrix, RowSource, int, long)}, only the rows
     * picked), {@code K_SL} is a {@link ChunkedFeatureOperator} over {@link LandmarkKernelMap},
     * kept chunk by chunk up to {@code keepBytes} and recomputed from the source beyond it (one
     * kernel block per chunk and pass), G is applied to the r-vectors between its two products
     * ({@link NystromQuadraticForm}); {@code h = K_SL (G mu_R)} is computed on the backend.
     * Holding S as one matrix or as blocks, kept or recomputed, gives the same objective to the
     * bit: the arithmetic follows the chunk grid. Reports three "kernel" progress steps.
     *
     * @param landmarks r, capped at {@code n + m}
     * @param keepBytes bytes of {@code K_SL} chunks (4 r bytes a row) kept between passes
     */
    static MmdObjective nystrom(KernelBackend backend, RowSource synthetic, FloatMatrix real,
            double sigma, int landmarks, long seed, long keepBytes, ProgressListener progress) {
        progress.onProgress("kernel", 0, 3, "K_LL");
        FloatMatrix points = landmarkRows(real, synthetic, landmarks, seed);
        int r = points.rows();
        double[][] inverseRootT = inverseRootT(backend, points, sigma);
        progress.onProgress("kernel", 1, 3, "K_LR row sums");
        double[] meanLandmarkKernel = meanKernelRows(backend, points, real, sigma);
        double[] mu = new double[inverseRootT.length];
        NystromQuadraticForm.project(inverseRootT, meanLandmarkKernel, mu);
        double constant = 0;
        for (double v : mu) {
            constant += v * v;
        }
        progress.onProgress("kernel", 2, 3, "K_SL");
        ChunkedFeatureOperator sl = new ChunkedFeatureOperator(backend, synthetic,
                new LandmarkKernelMap(backend, points, sigma), keepBytes, progress);
        NystromQuadraticForm form = null;
        DeviceVector linear = null;
        try {
            VectorOps vectors = backend.vectors(); // may fail on cuda: K_SL is closed then
            form = new NystromQuadraticForm(sl, inverseRootT, vectors);
            double[] lifted = new double[r];
            NystromQuadraticForm.lift(inverseRootT, mu, lifted);
            linear = vectors.zeros(sl.rows());
            try (DeviceVector l = vectors.of(lifted)) {
                sl.times(l, linear);
            }
            progress.onProgress("kernel", 3, 3, "done");
            return new MmdObjective(form, vectors, linear, constant, "nystrom(r=" + r + ")");
        } catch (RuntimeException | Error e) {
            closeFailed(linear, form, sl);
            throw e;
        }
    }

    /**
     * {@code G^T} (k x r) with {@code G G^T = K_LL^+} truncated: {@code K_LL} (O(r^2 d)) made
     * exactly symmetric and decomposed in double ({@link SymmetricEigen}, O(r^3)); eigenvalues
     * below {@value #NYSTROM_EIGEN_FLOOR} of the largest (the float32 rounding of K_LL) are
     * dropped; row f is the f-th largest eigenvector over the root of its eigenvalue.
     *
     * @throws IllegalArgumentException when no eigenvalue is left (K_LL numerically zero)
     */
    static double[][] inverseRootT(KernelBackend backend, FloatMatrix points, double sigma) {
        int r = points.rows();
        float[] kll = new float[Math.multiplyExact(r, r)];
        backend.rbfBlock(points, points, sigma, kll);
        double[][] symmetric = new double[r][r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                symmetric[i][j] = 0.5 * ((double) kll[i * r + j] + kll[j * r + i]);
            }
        }
        SymmetricEigen eigen = SymmetricEigen.of(symmetric);
        double[] values = eigen.values();
        double floor = NYSTROM_EIGEN_FLOOR * Math.max(values[r - 1], 0);
        int kept = 0;
        for (double v : values) {
            if (v > floor && v > 0) {
                kept++;
            }
        }
        if (kept == 0) {
            throw new IllegalArgumentException("the landmark kernel matrix is numerically zero"
                    + " (bandwidth " + sigma + " too small?)");
        }
        double[][] inverseRootT = new double[kept][];
        for (int f = 0; f < kept; f++) {
            int k = r - 1 - f; // largest first
            double scale = 1 / Math.sqrt(values[k]);
            double[] row = eigen.vectors()[k].clone();
            for (int j = 0; j < r; j++) {
                row[j] *= scale;
            }
            inverseRootT[f] = row;
        }
        return inverseRootT;
    }

    /**
     * {@code min(count, m + n)} distinct rows of R union S (R's rows first in the numbering),
     * drawn uniformly without replacement by Floyd's algorithm from {@code seed}, in index order.
     */
    static FloatMatrix landmarkRows(FloatMatrix real, FloatMatrix synthetic, int count, long seed) {
        return landmarkRows(real, RowSource.of(synthetic), count, seed);
    }

    /**
     * The same landmarks with S from a source of any length: the picks depend only on m, n,
     * count and seed, so they are those of the whole matrix; only the picked rows of S are read
     * (runs of consecutive picks in one read each, in index order), O(r d) memory, O(r log r)
     * time besides the reads.
     */
    static FloatMatrix landmarkRows(FloatMatrix real, RowSource synthetic, int count, long seed) {
        int m = real.rows();
        long total = (long) m + synthetic.rows();
        int r = (int) Math.min(count, total);
        long[] picked = new long[r];
        if (r == total) {
            for (int i = 0; i < r; i++) {
                picked[i] = i;
            }
        } else {
            SplittableRandom random = new SplittableRandom(seed);
            Set<Long> chosen = new HashSet<>();
            int k = 0;
            for (long j = total - r; j < total; j++) {
                long t = random.nextLong(j + 1);
                // j itself cannot have been picked yet: all earlier picks are below j.
                long pick = chosen.contains(t) ? j : t;
                chosen.add(pick);
                picked[k++] = pick;
            }
            Arrays.sort(picked);
        }
        int d = real.cols();
        FloatMatrix rows = FloatMatrix.zeros(r, d);
        int i = 0;
        for (; i < r && picked[i] < m; i++) {
            System.arraycopy(real.data(), (int) picked[i] * d, rows.data(), i * d, d);
        }
        float[] run = null;
        while (i < r) {
            int end = i + 1;
            while (end < r && picked[end] == picked[end - 1] + 1) {
                end++;
            }
            int length = end - i;
            if (run == null || run.length < length * d) {
                run = new float[Math.multiplyExact(length, d)];
            }
            synthetic.read(picked[i] - m, length, run);
            System.arraycopy(run, 0, rows.data(), i * d, length * d);
            i = end;
        }
        return rows;
    }
}
