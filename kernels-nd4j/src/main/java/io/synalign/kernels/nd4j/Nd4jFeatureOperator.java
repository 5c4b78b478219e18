package io.synalign.kernels.nd4j;

import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The stored random-feature matrix {@code Phi} (n x D, float32, off heap), built once by
 * {@link FourierGemm}; {@code Phi^T w} and {@code Phi z} are one SGEMV each, O(n D), into
 * preallocated buffers, each under {@link PinnedWorkers#exclusive} (so it rounds the same
 * whatever other threads run). Not thread-safe.
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
        try (FourierGemm gemm = new FourierGemm(x, map)) {
            // Under the pin's lock: at one thread OpenBLAS rounds Phi differently.
            PinnedWorkers.exclusive(() -> gemm.block(0, rows, phiPtr, phi));
        }
        this.rowVector = Buffers.floats(rows);
        this.featureVector = Buffers.floats(features);
        this.rowPtr = Buffers.floatPointer(rowVector);
        this.featurePtr = Buffers.floatPointer(featureVector);
        this.rowHost = new float[rows];
        this.featureHost = new float[features];
    }

    @Override
    protected void transposeTimesChecked(double[] w, double[] out) {
        Buffers.putRounded(w, rows, rowHost, rowPtr);
        PinnedWorkers.exclusive(
                () -> OpenBlas.gemvTransposed(rows, features, phiPtr, rowPtr, featurePtr));
        Buffers.getWidened(featurePtr, features, featureHost, out);
    }

    @Override
    protected void timesChecked(double[] z, double[] out) {
        Buffers.putRounded(z, features, featureHost, featurePtr);
        PinnedWorkers.exclusive(
                () -> OpenBlas.gemv(rows, features, 1f, phiPtr, featurePtr, rowPtr));
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
        PinnedWorkers.exclusive(() -> reloadable.block(0, rows, phiPtr, phi));
        return true;
    }

    @Override
    protected void release() {
        if (reloadable != null) {
            reloadable.close();
        }
        Buffers.close(phi, rowVector, featureVector);
    }
}
