package io.synalign.engine.alignment;

import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.OperatorArguments;
import io.synalign.kernels.TilePlan;

/**
 * The kernel columns of r Nystrom landmarks L as a {@link RowFeatureMap}: a row x has the r
 * features {@code k(x, L)}, so a block of rows S_c has {@code K_{S_c L}} (count x r). Nystrom's
 * features are {@code k(x, L) G} with {@code G = K_LL^{-1/2}} (r x k); {@link NystromQuadraticForm}
 * applies G to the r-vectors between the two products ({@code Phi^T w = G^T (K_LS w)},
 * {@code Phi z = K_SL (G z)}), so the chunks hold K itself and a recomputed chunk costs one
 * backend kernel block per pass (O(count r d), a GEMM), not also an O(count r k) product with G.
 *
 * <p>A block is two kept backend kernel operators, {@code K_{S_c L}} and {@code K_{L S_c}}
 * (fp32, 8 count r bytes together, off-heap on nd4j, in device memory on cuda): the products
 * are the backend's (multithreaded, on the device where there is one), and for a synthetic set
 * of one chunk they are exactly the products of the two whole operators nystrom used before it
 * streamed, so its weights are unchanged there.
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

    /**
     * Both kernel blocks built now, then the rows let go: a kept chunk held its rows (4 C d
     * bytes, on top of the 8 C r of its blocks, uncounted by the plan) for the whole fit, 42 MiB
     * of heap for 3,000 x 2,048 rows at r = 16 where the plan said 2 MiB. Backends whose
     * operators keep their own reference to the rows (the float64 reference backend) still do.
     */
    @Override
    public FeatureOperator buildKept(FloatMatrix rows) {
        Block block = new Block(rows);
        try {
            block.rowsByLandmarks();
            block.landmarksByRows();
        } catch (RuntimeException | Error e) {
            block.close();
            throw e;
        }
        block.rows = null;
        return block;
    }

    /**
     * {@link ChunkedFeatureOperator#landmarkChunkRows}: the backend's grid capped at a constant
     * bytes of rows, not at the heap, since a block takes its rows whole (helper grid35).
     */
    @Override
    public int chunkRows(KernelBackend backend, int cols) {
        return ChunkedFeatureOperator.landmarkChunkRows(backend, features(), cols);
    }

    @Override
    public int copies() {
        return 2;
    }

    @Override
    public String symbol() {
        return "K_SL";
    }

    @Override
    public String kind() {
        return "landmark kernel";
    }

    /**
     * {@code K_{S_c L}} of one block and its transpose, kept by the backend, each built at its
     * first use: a recomputed chunk serves one pass, which needs one direction, so it computes
     * one kernel block; a kept chunk builds both at once ({@link #buildKept}) and lets its rows
     * go. A recomputed chunk holds on to its rows (the chunk grid leaves its buffer alone until
     * it is closed). Not thread-safe.
     */
    private final class Block extends AbstractFeatureOperator {

        /** The rows, until both kernel blocks are built (then null: never read again). */
        private FloatMatrix rows;
        private final int count;
        private KernelOperator rowsByLandmarks;
        private KernelOperator landmarksByRows;

        Block(FloatMatrix rows) {
            super(rows.rows(), landmarks.rows());
            if (rows.cols() != landmarks.cols()) {
                throw new IllegalArgumentException("dimension mismatch: rows have " + rows.cols()
                        + " columns, the landmarks " + landmarks.cols());
            }
            this.rows = rows;
            this.count = rows.rows();
        }

        /** {@code K_{S_c L}} (count x r). */
        private KernelOperator rowsByLandmarks() {
            if (rowsByLandmarks == null) {
                rowsByLandmarks = backend.rbfOperator(rows, landmarks, sigma,
                        new TilePlan(true, TilePlan.tileRowsFor(rows.rows(), landmarks.rows(),
                                TilePlan.DEFAULT_TILE_BYTES)));
            }
            return rowsByLandmarks;
        }

        /** {@code K_{L S_c}} (r x count). */
        private KernelOperator landmarksByRows() {
            if (landmarksByRows == null) {
                landmarksByRows = backend.rbfOperator(landmarks, rows, sigma,
                        new TilePlan(true, TilePlan.tileRowsFor(landmarks.rows(), rows.rows(),
                                TilePlan.DEFAULT_TILE_BYTES)));
            }
            return landmarksByRows;
        }

        @Override
        protected void transposeTimesChecked(double[] w, double[] out) {
            landmarksByRows().multiply(w, out);
        }

        @Override
        protected void timesChecked(double[] z, double[] out) {
            rowsByLandmarks().multiply(z, out);
        }

        @Override
        public void transposeTimes(DeviceVector w, DeviceVector out) {
            checkOpen();
            OperatorArguments.checkTransposeTimes(w, out, count, landmarks.rows());
            landmarksByRows().multiply(w, out);
        }

        @Override
        public void times(DeviceVector z, DeviceVector out) {
            checkOpen();
            OperatorArguments.checkTimes(z, out, count, landmarks.rows());
            rowsByLandmarks().multiply(z, out);
        }

        @Override
        protected void release() {
            try {
                if (rowsByLandmarks != null) {
                    rowsByLandmarks.close();
                }
            } finally {
                if (landmarksByRows != null) {
                    landmarksByRows.close();
                }
            }
        }
    }
}
