package io.synalign.engine.alignment;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.KernelOperator;

/**
 * {@code H = K_SS}, the synthetic-synthetic RBF kernel matrix, applied by a backend
 * {@link KernelOperator}: one pass over the kept matrix (O(n^2) per product) when the operator
 * was built materialised, or a tiled recomputation (O(n^2 d) per product, O(n * tile) memory)
 * otherwise. Owns the operator.
 */
final class KernelQuadraticForm implements QuadraticForm {

    private final KernelOperator kernel;

    KernelQuadraticForm(KernelOperator kernel) {
        if (kernel.rows() != kernel.cols()) {
            throw new IllegalArgumentException("K_SS must be square, got " + kernel.rows() + " x "
                    + kernel.cols());
        }
        this.kernel = kernel;
    }

    @Override
    public int dimension() {
        return kernel.rows();
    }

    @Override
    public void apply(DeviceVector w, DeviceVector out) {
        kernel.multiply(w, out);
    }

    @Override
    public String description() {
        return kernel.storageDescription();
    }

    @Override
    public void close() {
        kernel.close();
    }
}
