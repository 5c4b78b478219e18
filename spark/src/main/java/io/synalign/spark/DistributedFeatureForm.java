package io.synalign.spark;

import io.synalign.engine.alignment.HostQuadraticForm;
import io.synalign.engine.alignment.QuadraticForm;
import java.util.Arrays;

/**
 * One label's {@code H_l = Phi_l Phi_l^T} as the engine's {@link QuadraticForm}, with its
 * products computed by Spark through {@link LockstepProducts}: the engine's solve step
 * ({@code WeightSolver}) runs unchanged against it (on host vectors, through
 * {@link HostQuadraticForm}), exactly as against the single-machine
 * {@code FeatureQuadraticForm}. Like that form, {@link #residualValue} is
 * {@code ||Phi^T w - mu||^2} from the D-vector of the last product (a new product only for a
 * point not just multiplied).
 */
final class DistributedFeatureForm extends HostQuadraticForm {

    private final int label;
    private final LockstepProducts products;
    private final double[] mu;
    private final double[] z;
    private final double[] lastW;
    private final double[] scratch;
    private boolean haveLast;

    DistributedFeatureForm(int label, int n, double[] mu, LockstepProducts products) {
        this.label = label;
        this.products = products;
        this.mu = mu.clone();
        this.z = new double[mu.length];
        this.lastW = new double[n];
        this.scratch = new double[n];
        this.haveLast = false;
    }

    @Override
    public int dimension() {
        return lastW.length;
    }

    @Override
    public void apply(double[] w, double[] out) {
        products.apply(label, w, out, z);
        System.arraycopy(w, 0, lastW, 0, w.length);
        haveLast = true;
    }

    @Override
    public double residualValue(double[] w) {
        if (!haveLast || !Arrays.equals(w, lastW)) {
            apply(w, scratch);
        }
        double s = 0;
        for (int f = 0; f < z.length; f++) {
            double r = z[f] - mu[f];
            s += r * r;
        }
        return s;
    }

    @Override
    public void close() {
        // The distributed products are shared by all labels and closed by their owner.
    }
}
