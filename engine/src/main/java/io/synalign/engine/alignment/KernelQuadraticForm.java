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

    /** One pass of the operator for all the vectors ({@link KernelOperator#multiplyEach}). */
    @Override
    public void applyEach(DeviceVector[] ws, DeviceVector[] outs) {
        kernel.multiplyEach(ws, outs);
    }

    /**
     * A kept K only: a tiled operator would recompute its submatrix per product like its whole
     * self, and the nd4j and cuda backends offer no submatrix of one (the reference backend
     * does), so the check's product would be wasted. The price, measured (docs/RELIABILITY.md,
     * helper gemv29): without working sets a tiled fit at 3 to 5 times the median bandwidth
     * stops 17 to 21 % above the exact fit's MMD^2 after 500 iterations, on every backend.
     */
    @Override
    public boolean restricts() {
        return kernel.materialised();
    }

    @Override
    public QuadraticForm principalSubform(int[] indices, long memoryBudgetBytes) {
        KernelOperator sub = kernel.principalSubmatrix(indices, memoryBudgetBytes);
        return sub == null ? null : new KernelQuadraticForm(sub);
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
