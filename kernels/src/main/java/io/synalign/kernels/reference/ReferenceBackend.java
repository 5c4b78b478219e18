package io.synalign.kernels.reference;

import static io.synalign.kernels.OperatorArguments.checkDims;
import static io.synalign.kernels.OperatorArguments.checkOut;

import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.Argmax;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.HeapBytes;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.OperatorArguments;
import io.synalign.kernels.RowPieces;
import io.synalign.kernels.TilePlan;
import java.util.Arrays;
import java.util.BitSet;

/**
 * The double-precision reference: every primitive computed directly from its definition in plain
 * Java, one element at a time, with no GEMM identities (distances are summed as
 * {@code sum_k (x_k - y_k)^2}). It is the oracle the tests hold other backends to, and the
 * fallback when no native backend loads. Single-threaded and slow by design: O(n m d) per
 * product with no blocking.
 *
 * <p>Its kernel operators are the float64 oracle, tiled or kept. A tiled one recomputes each
 * entry in double per product and keeps nothing. A kept one ({@code plan.materialise()}) does
 * what the plan asks, as every backend must: it builds K once, in float64 (more precise than the
 * fp32 the plan names, which {@link KernelBackend#rbfOperator} allows; its products are then
 * bit-identical to the tiled operator's, O(n m) instead of O(n m d)), and
 * {@link #keptKernelBytes} counts the 8 bytes an entry it really takes, so the engine's planner
 * budgets it honestly. The engine's {@code exact} method on this fallback thus costs one kernel
 * evaluation per entry, not one per entry and iteration.
 */
public final class ReferenceBackend implements KernelBackend {

    /**
     * Open until {@link #close()}: the backend, its operators and its trackers refuse to compute
     * afterwards, as the SPI's close order asks (nothing here would break, but the test oracle
     * shows the rule every backend keeps).
     */
    private final BackendLifetime lifetime = new BackendLifetime("reference");

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String description() {
        return "plain-Java double-precision reference (single-threaded)";
    }

    /** Squared Euclidean distance between row i of x and row j of y, in double precision. */
    static double distance2(FloatMatrix x, int i, FloatMatrix y, int j) {
        checkDims(x, y);
        int d = x.cols();
        float[] a = x.data();
        float[] b = y.data();
        int ai = i * d;
        int bj = j * d;
        double s = 0;
        for (int k = 0; k < d; k++) {
            double diff = (double) a[ai + k] - (double) b[bj + k];
            s += diff * diff;
        }
        return s;
    }

    static double rbf(double d2, double sigma) {
        return Math.exp(-d2 / (2 * sigma * sigma));
    }

    @Override
    public void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out) {
        lifetime.checkOpen();
        checkDims(x, y);
        checkOut(out, (long) x.rows() * y.rows());
        int m = y.rows();
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < m; j++) {
                out[i * m + j] = (float) distance2(x, i, y, j);
            }
        }
    }

    @Override
    public void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out) {
        lifetime.checkOpen();
        checkDims(x, y);
        OperatorArguments.checkBandwidth(sigma);
        checkOut(out, (long) x.rows() * y.rows());
        int m = y.rows();
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < m; j++) {
                out[i * m + j] = (float) rbf(distance2(x, i, y, j), sigma);
            }
        }
    }

    /**
     * Random Fourier features in double precision, one row into {@code out}: the row less the
     * map's centre, if any, in double (exact for floats within 2^29 of each other), then the
     * phases and cosines in double.
     */
    static void fourierRow(FloatMatrix x, int i, FourierFeatures map, double[] out) {
        int d = x.cols();
        int features = map.features();
        double scale = map.scale();
        float[] xs = x.data();
        float[] omega = map.omega();
        float[] centre = map.centre();
        double[] row = new double[d];
        for (int k = 0; k < d; k++) {
            row[k] = centre == null ? xs[i * d + k] : (double) xs[i * d + k] - centre[k];
        }
        for (int f = 0; f < features; f++) {
            double z = map.phase()[f];
            for (int k = 0; k < d; k++) {
                z += row[k] * omega[k * features + f];
            }
            out[f] = scale * Math.cos(z);
        }
    }

    @Override
    public void randomFourierFeatures(FloatMatrix x, FourierFeatures map, float[] out) {
        lifetime.checkOpen();
        OperatorArguments.checkFeatureDims(x, map);
        checkOut(out, (long) x.rows() * map.features());
        double[] row = new double[map.features()];
        for (int i = 0; i < x.rows(); i++) {
            fourierRow(x, i, map, row);
            for (int f = 0; f < row.length; f++) {
                out[i * row.length + f] = (float) row[f];
            }
        }
    }

    @Override
    public KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan) {
        lifetime.checkOpen();
        checkDims(x, y);
        OperatorArguments.checkBandwidth(sigma);
        OperatorArguments.checkPlan(plan);
        OperatorArguments.checkStorage(plan, keptStorages(), name());
        // K is kept in one Java array; beyond one (where keptKernelBytes says Long.MAX_VALUE)
        // the operator tiles, and materialised() says so.
        boolean fits = x.rows() * (long) y.rows() <= Integer.MAX_VALUE - 8;
        double[] kept = plan.materialise() && fits ? keptKernel(x, y, sigma) : null;
        return new ReferenceKernelOperator(this, x, y, sigma, plan, kept, lifetime);
    }

    /** K in float64, row-major: the entries a tiled product computes. */
    private static double[] keptKernel(FloatMatrix x, FloatMatrix y, double sigma) {
        int m = y.rows();
        double[] k = new double[x.rows() * m];
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < m; j++) {
                k[i * m + j] = rbf(distance2(x, i, y, j), sigma);
            }
        }
        return k;
    }

    /**
     * A kept K is float64, 8 bytes an entry whatever the storage asked (one Java array, so
     * {@code Long.MAX_VALUE} beyond one); symmetric or not, the whole matrix.
     */
    @Override
    public long keptKernelBytes(long rows, long cols, boolean symmetric, KernelStorage storage) {
        long entries = rows * cols;
        return entries > Integer.MAX_VALUE - 8 ? Long.MAX_VALUE : 8 * entries;
    }

    /**
     * Bytes of double {@code Phi} one chunk of random features holds at most: 16 MiB.
     * Random features are float64 here, 8 bytes each, twice what the default chunk size
     * assumes (32 MiB of float32). Since helper chunkgrid34 the chunk grid no longer shrinks
     * with the heap where the engine reads rows in pieces, so the chunk itself has to fit a
     * small heap. One chunk being rebuilt plus one kept then take 32 MiB of a 96 MiB heap
     * (heap33's smallest tested heap) at any D.
     */
    static final long FEATURE_CHUNK_BYTES = 16L << 20;

    /**
     * Rows per chunk of random features: the most whose float64 {@code Phi} (8 D bytes a row)
     * fits {@link #FEATURE_CHUNK_BYTES}, at least 1. That is 2,048 rows at D = 1,024. It
     * depends on D alone, never on the heap, so the grid (and with it the bits of the weights)
     * is the same under any {@code -Xmx}. The default, 32 MiB of float32 (8,192 rows at
     * D = 1,024), would hold 64 MiB of double {@code Phi} per chunk on the heap.
     */
    @Override
    public int featureChunkRows(int features) {
        return (int) Math.max(1, FEATURE_CHUNK_BYTES / (8L * Math.max(1, features)));
    }

    /**
     * Half of the default budget (half of what the heap can still grow by). The engine counts
     * a kept chunk at 4 bytes a feature ({@code ChunkedFeatureOperator.chunkBytes}, and
     * nystrom's kept kernel columns likewise), but this backend keeps 8 (float64 {@code Phi}
     * and kernel entries). With the default budget the kept chunks could fill all of the
     * heap's room, leaving none for the chunk being rebuilt. Keeping fewer chunks changes only
     * how many are rebuilt in each pass, never the bits.
     */
    @Override
    public long featureBudgetBytes() {
        return KernelBackend.super.featureBudgetBytes() / 2;
    }

    @Override
    public FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map) {
        lifetime.checkOpen();
        OperatorArguments.checkFeatureDims(x, map);
        int n = x.rows();
        double[][] phi = new double[n][map.features()];
        for (int i = 0; i < n; i++) {
            fourierRow(x, i, map, phi[i]);
        }
        return featureOperator(phi, map.features());
    }

    /**
     * Phi row by row as the pieces come (a row's features depend on that row alone, in double,
     * so the bits are those of the whole block); no piece is held past its rows' features.
     */
    @Override
    public FeatureOperator fourierFeatureOperator(RowPieces x, FourierFeatures map) {
        lifetime.checkOpen();
        OperatorArguments.checkFeatureDims(x, map);
        int n = x.rows();
        double[][] phi = new double[n][map.features()];
        for (int at = 0; at < n; ) {
            FloatMatrix piece = RowPieces.checkPiece(x, x.next(), at);
            for (int i = 0; i < piece.rows(); i++) {
                fourierRow(piece, i, map, phi[at + i]);
            }
            at += piece.rows();
        }
        return featureOperator(phi, map.features());
    }

    /** True: {@link #fourierFeatureOperator(RowPieces, FourierFeatures)} takes a piece at a time. */
    @Override
    public boolean featureRowsInPieces() {
        return true;
    }

    /** The operator over Phi (n rows of D doubles, the caller's, now this operator's). */
    private FeatureOperator featureOperator(double[][] phi, int features) {
        int n = phi.length;
        return new AbstractFeatureOperator(n, features, lifetime) {
            @Override
            protected void transposeTimesChecked(double[] w, double[] out) {
                Arrays.fill(out, 0.0);
                for (int i = 0; i < n; i++) {
                    for (int f = 0; f < features; f++) {
                        out[f] += phi[i][f] * w[i];
                    }
                }
            }

            @Override
            protected void timesChecked(double[] z, double[] out) {
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int f = 0; f < features; f++) {
                        s += phi[i][f] * z[f];
                    }
                    out[i] = s;
                }
            }

            /**
             * Phi in double (n arrays of D and the array of them) and this operator's own
             * fields; not the map nor the backend.
             */
            @Override
            public long heapBytes() {
                return HeapBytes.array(n, HeapBytes.REFERENCE) + n * HeapBytes.array(features, 8)
                        + HeapBytes.object(3, 17);
            }

            @Override
            protected void release() {
            }
        };
    }

    @Override
    public GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale, double noise,
            int maxRank) {
        lifetime.checkOpen();
        return new ReferenceGpTracker(x, lengthScale, noise, maxRank, lifetime);
    }

    @Override
    public void innerProducts(FloatMatrix x, FloatMatrix y, float[] out) {
        lifetime.checkOpen();
        KernelBackend.super.innerProducts(x, y, out);
    }

    @Override
    public void innerProducts(FloatMatrix x, FloatMatrix y, java.nio.FloatBuffer out) {
        lifetime.checkOpen();
        KernelBackend.super.innerProducts(x, y, out);
    }

    @Override
    public io.synalign.kernels.VectorOps vectors() {
        lifetime.checkOpen();
        return KernelBackend.super.vectors();
    }

    @Override
    public void close() {
        lifetime.close();
    }

    /** Pivoted-Cholesky variance tracker in double precision (see {@link GpVarianceTracker}). */
    private static final class ReferenceGpTracker implements GpVarianceTracker {
        private final FloatMatrix x;
        private final double lengthScale;
        private final double noise;
        private final int maxRank;
        private final double[][] factors; // factors[t] = column t of V = K_XC L^-T, length N
        private final double[] variance;
        private int rank;
        private boolean closed;
        private final BackendLifetime backend;

        ReferenceGpTracker(FloatMatrix x, double lengthScale, double noise, int maxRank,
                BackendLifetime backend) {
            GpVarianceTracker.checkSettings(lengthScale, noise, maxRank);
            this.backend = backend;
            this.x = x;
            this.lengthScale = lengthScale;
            this.noise = noise;
            this.maxRank = maxRank;
            this.factors = new double[maxRank][];
            this.variance = new double[x.rows()];
            reset();
        }

        @Override
        public int size() {
            return x.rows();
        }

        @Override
        public int rank() {
            return rank;
        }

        @Override
        public int maxRank() {
            return maxRank;
        }

        @Override
        public void condition(int p) {
            checkOpen();
            int n = x.rows();
            OperatorArguments.checkRow(p, n);
            OperatorArguments.checkCapacity(rank, maxRank);
            double pivot = Math.sqrt(OperatorArguments.checkPivot(p, variance[p], noise));
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                double s = rbf(distance2(x, i, x, p), lengthScale);
                for (int t = 0; t < rank; t++) {
                    s -= factors[t][i] * factors[t][p];
                }
                v[i] = s / pivot;
            }
            for (int i = 0; i < n; i++) {
                variance[i] -= v[i] * v[i];
            }
            factors[rank++] = v;
        }

        @Override
        public double variance(int row) {
            checkOpen();
            OperatorArguments.checkRow(row, variance.length);
            return variance[row];
        }

        @Override
        public void variances(double[] out) {
            checkOpen();
            OperatorArguments.checkVariancesOut(out, variance.length);
            System.arraycopy(variance, 0, out, 0, variance.length);
        }

        @Override
        public int argmax(BitSet excluded) {
            checkOpen();
            return Argmax.of(variance, excluded);
        }

        @Override
        public void reset() {
            checkOpen();
            Arrays.fill(variance, 1.0);
            Arrays.fill(factors, null);
            rank = 0;
        }

        private void checkOpen() {
            backend.checkOpen();
            OperatorArguments.checkOpen(closed, "variance tracker");
        }

        /** Marks the tracker closed (there is nothing to free): later use is refused. */
        @Override
        public void close() {
            closed = true;
        }
    }
}
