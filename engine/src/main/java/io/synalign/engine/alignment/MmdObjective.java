package io.synalign.engine.alignment;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.StepStatistics;
import io.synalign.kernels.VectorOps;
import io.synalign.kernels.host.HostVectorOps;

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
 * what lets the optimiser spend exactly one {@link #apply} per iteration. h lives on the
 * backend with the optimiser's vectors ({@link #vectors()}). Owns its form and h.
 */
final class MmdObjective implements AutoCloseable {

    private final QuadraticForm form;
    private final VectorOps vectors;
    private final DeviceVector linear;
    private final double constant;
    private final String estimator;

    /**
     * @param form H
     * @param vectors the operations of the backend H's products run on
     * @param linear h, length n, made by {@code vectors}; owned (closed) by this objective
     * @param constant c
     * @param estimator how values of this objective estimate MMD^2: {@code "exact"} or e.g.
     *     {@code "rff(D=1024)"}
     */
    public MmdObjective(QuadraticForm form, VectorOps vectors, DeviceVector linear,
            double constant, String estimator) {
        if (linear.length() != form.dimension()) {
            throw new IllegalArgumentException("linear term has " + linear.length()
                    + " entries, the quadratic form has dimension " + form.dimension());
        }
        this.form = form;
        this.vectors = vectors;
        this.linear = linear;
        this.constant = constant;
        this.estimator = estimator;
    }

    /** An objective on host vectors ({@link HostVectorOps}), for forms computing on arrays. */
    public MmdObjective(QuadraticForm form, double[] linear, double constant, String estimator) {
        this(form, HostVectorOps.INSTANCE, HostVectorOps.INSTANCE.of(linear), constant,
                estimator);
    }

    /** n, the number of weights. */
    public int dimension() {
        return form.dimension();
    }

    /** The vector operations of the backend this objective computes on. */
    public VectorOps vectors() {
        return vectors;
    }

    /** h, on the backend. */
    DeviceVector linear() {
        return linear;
    }

    /** {@code out = H w}: the one expensive product. */
    public void apply(DeviceVector w, DeviceVector out) {
        form.apply(w, out);
    }

    /**
     * {@code f(w)} given {@code hw = H w}, where w was the argument of the last {@link #apply}.
     * O(n). Feature forms compute it as the feature-space residual instead (see
     * {@link QuadraticForm#lastResidual}), which stays accurate, and non-negative, where the
     * expanded form cancels.
     */
    public double value(DeviceVector w, DeviceVector hw) {
        double residual = form.lastResidual();
        if (!Double.isNaN(residual)) {
            return residual;
        }
        return vectors.dot(w, hw) - 2 * vectors.dot(linear, w) + constant;
    }

    /**
     * {@code f} at the point of the last {@link #apply}, from the sums the optimiser's step pass
     * already made ({@link StepStatistics#quadratic()}, {@link StepStatistics#cross()}), or the
     * feature-space residual for feature forms.
     */
    double value(StepStatistics statistics) {
        double residual = form.lastResidual();
        if (!Double.isNaN(residual)) {
            return residual;
        }
        return statistics.quadratic() - 2 * statistics.cross() + constant;
    }

    /** {@code out = H w} on arrays (uploaded and read back; for tests and small problems). */
    public void apply(double[] w, double[] out) {
        try (DeviceVector wv = vectors.of(w); DeviceVector hw = vectors.zeros(w.length)) {
            form.apply(wv, hw);
            vectors.read(hw, out);
        }
    }

    /** {@code out = grad f = 2 (hw - h)} given {@code hw = H w}, on arrays. O(n). */
    public void gradient(double[] hw, double[] out) {
        double[] h = vectors.toArray(linear);
        for (int i = 0; i < hw.length; i++) {
            out[i] = 2 * (hw[i] - h[i]);
        }
    }

    /** {@code f(w)} with one product; allocates scratch vectors, so not for inner loops. */
    public double valueAt(double[] w) {
        try (DeviceVector wv = vectors.of(w); DeviceVector hw = vectors.zeros(w.length)) {
            form.apply(wv, hw);
            return value(wv, hw);
        }
    }

    /**
     * {@code f} at each of {@code ws}, the same values as {@link #valueAt} for each: a kernel
     * form computes its products in one pass ({@link QuadraticForm#applyEach}), other forms one
     * product each.
     */
    public double[] valuesAt(double[]... ws) {
        double[] values = new double[ws.length];
        if (!(form instanceof KernelQuadraticForm) || ws.length < 2) {
            for (int k = 0; k < ws.length; k++) {
                values[k] = valueAt(ws[k]);
            }
            return values;
        }
        DeviceVector[] wv = new DeviceVector[ws.length];
        DeviceVector[] hw = new DeviceVector[ws.length];
        try {
            for (int k = 0; k < ws.length; k++) {
                wv[k] = vectors.of(ws[k]);
                hw[k] = vectors.zeros(ws[k].length);
            }
            form.applyEach(wv, hw);
            for (int k = 0; k < ws.length; k++) {
                values[k] = value(wv[k], hw[k]);
            }
        } finally {
            for (int k = 0; k < ws.length; k++) {
                if (wv[k] != null) {
                    wv[k].close();
                }
                if (hw[k] != null) {
                    hw[k].close();
                }
            }
        }
        return values;
    }

    /**
     * Whether {@link #restrictedTo} may give an objective (see {@link QuadraticForm#restricts}).
     */
    boolean restricts() {
        return form.restricts();
    }

    /**
     * This objective over the weights I only, the others held at 0:
     * {@code f_I(u) = u^T H[I][I] u - 2 h_I^T u + c}, which equals {@code f(w)} for the w that
     * is u on I and 0 elsewhere. {@code null} when the form offers no submatrix within the
     * budget. The result owns its own form and h; close it before this one or after.
     *
     * @param indices ascending, distinct, in {@code [0, dimension())}
     */
    MmdObjective restrictedTo(int[] indices, long memoryBudgetBytes) {
        QuadraticForm sub = form.principalSubform(indices, memoryBudgetBytes);
        if (sub == null) {
            return null;
        }
        try {
            double[] h = vectors.toArray(linear);
            double[] selected = new double[indices.length];
            for (int k = 0; k < indices.length; k++) {
                selected[k] = h[indices[k]];
            }
            return new MmdObjective(sub, vectors, vectors.of(selected), constant, estimator);
        } catch (RuntimeException e) {
            sub.close();
            throw e;
        }
    }

    /** The constant c. */
    public double constant() {
        return constant;
    }

    /** {@code "exact"} or the approximation this objective is, e.g. {@code "rff(D=1024)"}. */
    public String estimator() {
        return estimator;
    }

    /** How H is held (see {@link QuadraticForm#description()}). */
    public String formDescription() {
        return form.description();
    }

    @Override
    public void close() {
        try {
            form.close();
        } finally {
            linear.close();
        }
    }
}
