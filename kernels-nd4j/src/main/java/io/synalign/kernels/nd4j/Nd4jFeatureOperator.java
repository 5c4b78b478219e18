package io.synalign.kernels.nd4j;

import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The stored random-feature matrix {@code Phi} (n x D, float32, off heap), built once by
 * {@link FourierGemm}; {@code Phi^T w} and {@code Phi z} are SGEMVs, O(n D), into preallocated
 * buffers.
 *
 * <p>Every native call runs on a grid of fixed blocks of {@value #BLOCK_ROWS} rows of Phi, one
 * single-threaded call per block on the {@link PinnedWorkers} (see
 * {@link PinnedWorkers#forEachBlock}), so the bits of Phi and of both products depend on the
 * inputs alone, not on the native thread count (one GEMM or GEMV on OpenBLAS's threads rounds
 * by their count: weights moved by up to 8.5e-5 between 1, 2 and 16 threads, review 23). The
 * build and {@code Phi z} write each block's own rows; {@code Phi^T w}, a sum over all rows,
 * writes each block's partial D-vector (a float sum of at most {@value #BLOCK_ROWS} terms per
 * feature), and the partials are added in double in block order. Not thread-safe.
 */
final class Nd4jFeatureOperator extends AbstractFeatureOperator {

    private final int rows;
    private final int features;
    private final INDArray phi;
    private final INDArray rowVector;
    private final INDArray featureVector;
    private final FloatPointer phiPtr;
    private final FloatPointer rowPtr;
    private final FloatPointer featurePtr;
    private final float[] rowHost;
    private final float[] featureHost;

    /**
     * Rows of Phi per block: each block's GEMV reads 256 x D floats (300 KiB at D = 300), long
     * against a call's overhead; n / 256 partial D-vectors are a 256th of Phi's memory.
     */
    static final int BLOCK_ROWS = 256;

    private final int blocks;
    private final INDArray partials;
    private final FloatPointer partialsPtr;
    private final float[] partialHost;

    private final FourierFeatures map;
    /** Kept only once {@link #reload} is used, so kept operators hold no inputs. */
    private FourierGemm reloadable;

    Nd4jFeatureOperator(FloatMatrix x, FourierFeatures map, BackendLifetime backend) {
        super(x.rows(), map.features(), backend);
        this.rows = x.rows();
        this.features = map.features();
        this.map = map;
        this.phi = Buffers.floats((long) rows * features);
        this.phiPtr = Buffers.floatPointer(phi);
        this.blocks = (rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
        try (FourierGemm gemm = new FourierGemm(x, map)) {
            build(gemm);
        }
        this.partials = Buffers.floats((long) Math.max(1, blocks) * features);
        this.partialsPtr = Buffers.floatPointer(partials);
        this.partialHost = new float[features];
        this.rowVector = Buffers.floats(rows);
        this.featureVector = Buffers.floats(features);
        this.rowPtr = Buffers.floatPointer(rowVector);
        this.featurePtr = Buffers.floatPointer(featureVector);
        this.rowHost = new float[rows];
        this.featureHost = new float[features];
    }

    /** Phi from {@code gemm}, block by block of rows (see the class comment). */
    private void build(FourierGemm gemm) {
        PinnedWorkers.forEachBlock(blocks, (worker, b) -> {
            int start = b * BLOCK_ROWS;
            int count = Math.min(BLOCK_ROWS, rows - start);
            long from = (long) start * features;
            gemm.block(start, count, OpenBlas.at(phiPtr, from),
                    Buffers.range(phi, from, from + (long) count * features));
        });
    }

    @Override
    protected void transposeTimesChecked(double[] w, double[] out) {
        Buffers.putRounded(w, rows, rowHost, rowPtr);
        PinnedWorkers.forEachBlock(blocks, (worker, b) -> {
            int start = b * BLOCK_ROWS;
            int count = Math.min(BLOCK_ROWS, rows - start);
            OpenBlas.gemvTransposed(count, features, OpenBlas.at(phiPtr, (long) start * features),
                    OpenBlas.at(rowPtr, start), OpenBlas.at(partialsPtr, (long) b * features));
        });
        Arrays.fill(out, 0, features, 0.0);
        for (int b = 0; b < blocks; b++) {
            OpenBlas.at(partialsPtr, (long) b * features).get(partialHost, 0, features);
            for (int f = 0; f < features; f++) {
                out[f] += partialHost[f];
            }
        }
    }

    @Override
    protected void timesChecked(double[] z, double[] out) {
        Buffers.putRounded(z, features, featureHost, featurePtr);
        PinnedWorkers.forEachBlock(blocks, (worker, b) -> {
            int start = b * BLOCK_ROWS;
            int count = Math.min(BLOCK_ROWS, rows - start);
            OpenBlas.gemv(count, features, 1f, OpenBlas.at(phiPtr, (long) start * features),
                    featurePtr, OpenBlas.at(rowPtr, start));
        });
        Buffers.getWidened(rowPtr, rows, rowHost, out);
    }

    /** Recomputes Phi from new rows into the same buffers (the GEMM inputs kept after the first). */
    @Override
    public boolean reload(FloatMatrix x) {
        checkOpen();
        if (x.rows() != rows || x.cols() != map.dim()) {
            return false;
        }
        if (rows == 0) {
            return true;
        }
        if (reloadable == null) {
            reloadable = new FourierGemm(x, map);
        } else {
            reloadable.setRows(x);
        }
        build(reloadable);
        return true;
    }

    @Override
    protected void release() {
        if (reloadable != null) {
            reloadable.close();
        }
        Buffers.close(phi, rowVector, featureVector, partials);
    }
}
