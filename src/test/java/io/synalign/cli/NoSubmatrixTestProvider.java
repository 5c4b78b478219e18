package io.synalign.cli;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.ForwardingKernelBackend;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackendProvider;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Optional;

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

    /**
     * The reference backend under this name, its kernel operators without submatrices; every
     * other answer the reference's ({@link ForwardingKernelBackend}).
     */
    private static final class Backend extends ForwardingKernelBackend {

        Backend(ReferenceBackend backend) {
            super(backend);
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "reference without principal submatrices (test)";
        }

        @Override
        public KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma,
                TilePlan plan) {
            return new WithoutSubmatrices(delegate().rbfOperator(x, y, sigma, plan));
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
