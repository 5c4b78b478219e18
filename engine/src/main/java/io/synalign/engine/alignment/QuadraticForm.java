package io.synalign.engine.alignment;

import io.synalign.kernels.DeviceVector;

/**
 * The symmetric positive semi-definite linear map {@code w -> H w} at the heart of a quadratic
 * MMD objective: {@code H = K_SS} (exact and tiled kernels), {@code H = Phi_S Phi_S^T} (random
 * Fourier features) or {@code H = K_SL K_LL^+ K_LS} (Nystrom). One {@link #apply} is the
 * expensive step of every optimiser iteration; everything else the optimiser does is O(n).
 * Works on the {@link DeviceVector}s of one backend's {@link io.synalign.kernels.VectorOps}
 * (forms that compute on {@code double[]} extend {@link HostQuadraticForm}). Not thread-safe;
 * close to free backend memory.
 */
public interface QuadraticForm extends AutoCloseable {

    /** n, the length of w. */
    int dimension();

    /**
     * {@code out = H w}.
     *
     * @param w length {@link #dimension()}, not modified
     * @param out length {@link #dimension()}, overwritten
     */
    void apply(DeviceVector w, DeviceVector out);

    /**
     * {@code outs[k] = H ws[k]} for each k, the same values as one {@link #apply} each (the
     * default); a form may share work between the products. {@link #lastResidual} is then
     * unspecified.
     */
    default void applyEach(DeviceVector[] ws, DeviceVector[] outs) {
        for (int k = 0; k < ws.length; k++) {
            apply(ws[k], outs[k]);
        }
    }

    /**
     * For a feature form {@code H = Phi Phi^T} whose objective is {@code ||Phi^T w - mu||^2}:
     * that value for the w of the last {@link #apply}, computed in feature space, which has no
     * cancellation, unlike {@code w^T H w - 2 h^T w + c}, three terms of order 1 whose difference
     * near the optimum is below float32 rounding of the products. NaN for forms without a feature
     * space (and before the first product).
     */
    default double lastResidual() {
        return Double.NaN;
    }

    /**
     * Whether {@link #principalSubform} may give a form: when false the optimiser never spends
     * the full-gradient product that a working set's check costs.
     */
    default boolean restricts() {
        return false;
    }

    /**
     * {@code H[I][I]}, H restricted to the rows and columns I, as a form of its own (which the
     * caller closes), for the optimiser's working set; {@code null} when this form offers none
     * or it would not fit {@code memoryBudgetBytes} beside this one.
     *
     * @param indices ascending, distinct, in {@code [0, dimension())}
     */
    default QuadraticForm principalSubform(int[] indices, long memoryBudgetBytes) {
        return null;
    }

    /** How H is held, for the log and the report, e.g. {@code "kept, fp16 upper triangle"}. */
    default String description() {
        return getClass().getSimpleName();
    }

    @Override
    void close();
}
