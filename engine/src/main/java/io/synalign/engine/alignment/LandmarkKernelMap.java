package io.synalign.engine.alignment;

import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.OperatorArguments;
import io.synalign.kernels.VectorOps;
import java.util.Arrays;

/**
 * The kernel columns of r Nystrom landmarks L as a {@link RowFeatureMap}: a row x has the r
 * features {@code k(x, L)}, so a block of rows S_c has {@code K_{S_c L}} (count x r). Nystrom's
 * features are {@code k(x, L) G} with {@code G = K_LL^{-1/2}} (r x k); {@link NystromQuadraticForm}
 * applies G to the r-vectors between the two products ({@code Phi^T w = G^T (K_LS w)},
 * {@code Phi z = K_SL (G z)}), so the chunks hold K itself and a recomputed chunk costs one
 * backend kernel block ({@link KernelBackend#rbfBlock}, O(count r d), a GEMM), not also an
 * O(count r k) product with G.
 *
 * <p>Each block's K is kept on the Java heap in float32 (as the backends round it), and its two
 * products are computed in Java with double accumulation, in row order: {@code K^T w} adds the
 * rows scaled by {@code w_i} one after another, {@code K z} is a dot product per row; O(count r)
 * each. The results therefore depend only on the values of K and w, not on the backend's
 * threads; on a backend whose vectors live on a device the r- and count-vectors are read and
 * written through its {@link VectorOps} (O(count + r) per product, small next to O(count r)).
 */
final class LandmarkKernelMap implements RowFeatureMap {

    private final KernelBackend backend;
    private final FloatMatrix landmarks;
    private final double sigma;

    /**
     * @param landmarks L, r x d
     * @param sigma the RBF bandwidth
     */
    LandmarkKernelMap(KernelBackend backend, FloatMatrix landmarks, double sigma) {
        if (landmarks.rows() < 1) {
            throw new IllegalArgumentException("need at least one landmark");
        }
        this.backend = backend;
        this.landmarks = landmarks;
        this.sigma = sigma;
    }

    @Override
    public int dim() {
        return landmarks.cols();
    }

    @Override
    public int features() {
        return landmarks.rows();
    }

    @Override
    public FeatureOperator build(FloatMatrix rows) {
        return new Block(rows);
    }

    @Override
    public String symbol() {
        return "K_SL";
    }

    @Override
    public String kind() {
        return "landmark kernel";
    }

    /** {@code K_{S_c L}} of one block, on the heap. Not thread-safe. */
    private final class Block extends AbstractFeatureOperator {

        private final int count;
        private final int r;
        private float[] kernel;
        private double[] rowScratch;
        private double[] landmarkScratch;

        Block(FloatMatrix rows) {
            super(rows.rows(), landmarks.rows());
            if (rows.cols() != landmarks.cols()) {
                throw new IllegalArgumentException("dimension mismatch: rows have " + rows.cols()
                        + " columns, the landmarks " + landmarks.cols());
            }
            this.count = rows.rows();
            this.r = landmarks.rows();
            this.kernel = new float[Math.multiplyExact(count, r)];
            if (count > 0) {
                backend.rbfBlock(rows, landmarks, sigma, kernel);
            }
        }

        /** Recomputes K from new rows of the same count, in place. */
        @Override
        public boolean reload(FloatMatrix rows) {
            checkOpen();
            if (rows.rows() != count || rows.cols() != landmarks.cols() || count == 0) {
                return false;
            }
            backend.rbfBlock(rows, landmarks, sigma, kernel);
            return true;
        }

        @Override
        protected void transposeTimesChecked(double[] w, double[] out) {
            Arrays.fill(out, 0.0);
            for (int i = 0; i < count; i++) {
                double wi = w[i];
                int base = i * r;
                for (int j = 0; j < r; j++) {
                    out[j] += wi * kernel[base + j];
                }
            }
        }

        @Override
        protected void timesChecked(double[] z, double[] out) {
            for (int i = 0; i < count; i++) {
                int base = i * r;
                double s = 0;
                for (int j = 0; j < r; j++) {
                    s += kernel[base + j] * z[j];
                }
                out[i] = s;
            }
        }

        @Override
        public void transposeTimes(DeviceVector w, DeviceVector out) {
            checkOpen();
            OperatorArguments.checkTransposeTimes(w, out, count, r);
            VectorOps vectors = backend.vectors();
            double[] in = rowScratch();
            double[] result = landmarkScratch();
            vectors.read(w, in);
            transposeTimes(in, result);
            vectors.write(result, out);
        }

        @Override
        public void times(DeviceVector z, DeviceVector out) {
            checkOpen();
            OperatorArguments.checkTimes(z, out, count, r);
            VectorOps vectors = backend.vectors();
            double[] in = landmarkScratch();
            double[] result = rowScratch();
            vectors.read(z, in);
            times(in, result);
            vectors.write(result, out);
        }

        private double[] rowScratch() {
            if (rowScratch == null) {
                rowScratch = new double[count];
            }
            return rowScratch;
        }

        private double[] landmarkScratch() {
            if (landmarkScratch == null) {
                landmarkScratch = new double[r];
            }
            return landmarkScratch;
        }

        @Override
        protected void release() {
            kernel = null;
            rowScratch = null;
            landmarkScratch = null;
        }
    }
}
