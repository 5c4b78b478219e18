package io.synalign.cli;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackendProvider;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.VectorOps;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Optional;
import java.util.Set;

/**
 * Test-only backend {@value #NAME}: the reference backend whose kernel operators give no
 * principal submatrix ({@link KernelOperator#offersPrincipalSubmatrix} false), as cuda's do, so
 * that the command line's handling of such a backend runs on a machine without a GPU.
 * Registered in this module's test resources only; priority below the reference, so
 * {@code auto} never picks it.
 */
public final class NoSubmatrixTestProvider implements KernelBackendProvider {

    /** The test backend's name. */
    public static final String NAME = "reference-no-submatrix";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return -1;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public KernelBackend create() {
        return new Backend(new ReferenceBackend());
    }

    /** The reference backend under this name, its kernel operators without submatrices. */
    private record Backend(ReferenceBackend backend) implements KernelBackend {

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "reference without principal submatrices (test)";
        }

        @Override
        public void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out) {
            backend.squaredDistances(x, y, out);
        }

        @Override
        public void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out) {
            backend.rbfBlock(x, y, sigma, out);
        }

        @Override
        public void randomFourierFeatures(FloatMatrix x, FourierFeatures map, float[] out) {
            backend.randomFourierFeatures(x, map, out);
        }

        @Override
        public KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma,
                TilePlan plan) {
            return new WithoutSubmatrices(backend.rbfOperator(x, y, sigma, plan));
        }

        @Override
        public long keptKernelBytes(long rows, long cols, boolean symmetric,
                KernelStorage storage) {
            return backend.keptKernelBytes(rows, cols, symmetric, storage);
        }

        @Override
        public Set<KernelStorage> keptStorages() {
            return backend.keptStorages();
        }

        @Override
        public FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map) {
            return backend.fourierFeatureOperator(x, map);
        }

        @Override
        public GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale,
                double noise, int maxRank) {
            return backend.gpVarianceTracker(x, lengthScale, noise, maxRank);
        }

        @Override
        public void innerProducts(FloatMatrix x, FloatMatrix y, float[] out) {
            backend.innerProducts(x, y, out);
        }

        @Override
        public VectorOps vectors() {
            return backend.vectors();
        }

        @Override
        public void close() {
            backend.close();
        }
    }

    /** A kernel operator that says it offers no principal submatrix (the interface's default). */
    private record WithoutSubmatrices(KernelOperator op) implements KernelOperator {

        @Override
        public int rows() {
            return op.rows();
        }

        @Override
        public int cols() {
            return op.cols();
        }

        @Override
        public boolean materialised() {
            return op.materialised();
        }

        @Override
        public String storageDescription() {
            return op.storageDescription();
        }

        @Override
        public void multiply(double[] w, double[] out) {
            op.multiply(w, out);
        }

        @Override
        public void multiply(DeviceVector w, DeviceVector out) {
            op.multiply(w, out);
        }

        @Override
        public void rowSums(double[] out) {
            op.rowSums(out);
        }

        @Override
        public void multiplyEach(DeviceVector[] ws, DeviceVector[] outs) {
            op.multiplyEach(ws, outs);
        }

        @Override
        public void close() {
            op.close();
        }
    }
}
