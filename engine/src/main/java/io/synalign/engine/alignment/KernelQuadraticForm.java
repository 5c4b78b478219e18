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
     * Where the operator offers principal submatrices ({@link KernelOperator#offersPrincipalSubmatrix}):
     * a kept K_SS on the reference and nd4j backends, and since helper tws30 a tiled one too (its
     * working set kept where it fits the budget, else tiled on the gathered rows, still
     * {@code |I|^2 / n^2} of a product); not cuda's, which gives none, so no check product is
     * spent there. Without working sets a tiled fit at 3 to 5 times the median bandwidth stopped
     * 17 to 21 % above the exact fit's MMD^2 after 500 iterations, on every backend
     * (docs/RELIABILITY.md, helper gemv29): the set's own, smaller step constant is what lets the
     * exact method get there.
     */
    @Override
    public boolean restricts() {
        return kernel.offersPrincipalSubmatrix();
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
