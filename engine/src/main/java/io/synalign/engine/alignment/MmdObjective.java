package io.synalign.engine.alignment;

/**
 * The weighted MMD^2 objective as a quadratic on the simplex,
 * {@code f(w) = w^T H w - 2 h^T w + c}, gradient {@code 2 (H w - h)}, Hessian {@code 2 H}.
 *
 * <p>For the exact kernel ({@code H = K_SS}, {@code h = (1/m) K_SR 1},
 * {@code c = (1/m^2) 1^T K_RR 1}) this is the biased V-statistic
 * {@code MMD^2(w) = sum_ij w_i w_j k(s_i,s_j) - (2/m) sum_ij w_i k(s_i,r_j)
 * + (1/m^2) sum_jj' k(r_j,r_j')} of Gretton et al., "A Kernel Two-Sample Test", JMLR 2012, with
 * the synthetic sample reweighted. For a feature map ({@code H = Phi_S Phi_S^T},
 * {@code h = Phi_S mu_R}, {@code c = ||mu_R||^2}) it equals {@code ||Phi_S^T w - mu_R||^2}, the
 * feature-space estimate of the same quantity.
 *
 * <p>Both value and gradient at a point x follow from {@code H x} alone (O(n) each), which is
 * what lets the optimiser spend exactly one {@link #apply} per iteration. Owns its form.
 */
public final class MmdObjective implements AutoCloseable {

    private final QuadraticForm form;
    private final double[] linear;
    private final double constant;
    private final String estimator;

    /**
     * @param form H
     * @param linear h, length n
     * @param constant c
     * @param estimator how values of this objective estimate MMD^2: {@code "exact"} or e.g.
     *     {@code "rff(D=1024)"}
     */
    public MmdObjective(QuadraticForm form, double[] linear, double constant, String estimator) {
        if (linear.length != form.dimension()) {
            throw new IllegalArgumentException("linear term has " + linear.length
                    + " entries, the quadratic form has dimension " + form.dimension());
        }
        this.form = form;
        this.linear = linear;
        this.constant = constant;
        this.estimator = estimator;
    }

    /** n, the number of weights. */
    public int dimension() {
        return form.dimension();
    }

    /** {@code out = H w}: the one expensive product. */
    public void apply(double[] w, double[] out) {
        form.apply(w, out);
    }

    /**
     * {@code f(w)} given {@code hw = H w}. O(n). Feature forms compute it as the feature-space
     * residual instead (see {@link QuadraticForm#residualValue}), which stays accurate, and
     * non-negative, where the expanded form cancels.
     */
    public double value(double[] w, double[] hw) {
        double residual = form.residualValue(w);
        if (!Double.isNaN(residual)) {
            return residual;
        }
        double quadratic = 0;
        double cross = 0;
        for (int i = 0; i < w.length; i++) {
            quadratic += w[i] * hw[i];
            cross += linear[i] * w[i];
        }
        return quadratic - 2 * cross + constant;
    }

    /** {@code out = grad f = 2 (hw - h)} given {@code hw = H w}. O(n). */
    public void gradient(double[] hw, double[] out) {
        for (int i = 0; i < hw.length; i++) {
            out[i] = 2 * (hw[i] - linear[i]);
        }
    }

    /** {@code f(w)} with one product; allocates a scratch vector, so not for inner loops. */
    public double valueAt(double[] w) {
        double[] hw = new double[w.length];
        apply(w, hw);
        return value(w, hw);
    }

    /** The constant c. */
    public double constant() {
        return constant;
    }

    /** {@code "exact"} or the approximation this objective is, e.g. {@code "rff(D=1024)"}. */
    public String estimator() {
        return estimator;
    }

    @Override
    public void close() {
        form.close();
    }
}
