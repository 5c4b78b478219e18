package io.synalign.engine.alignment;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.host.HostVector;

/**
 * A {@link QuadraticForm} that computes on {@code double[]}, for the host vectors of the CPU
 * backends ({@link io.synalign.kernels.host.HostVectorOps}): a dense test matrix, or a product
 * computed elsewhere (the Spark job's distributed feature products). Subclasses implement the
 * array methods; the vector methods unwrap host vectors and refuse any other.
 */
public abstract class HostQuadraticForm implements QuadraticForm {

    private double[] lastW;

    /** {@code out = H w} on arrays of length {@link #dimension()}. */
    public abstract void apply(double[] w, double[] out);

    /**
     * {@code ||Phi^T w - mu||^2} for feature forms (see {@link QuadraticForm#lastResidual}); NaN
     * (the default) for forms without a feature space.
     */
    public double residualValue(double[] w) {
        return Double.NaN;
    }

    @Override
    public final void apply(DeviceVector w, DeviceVector out) {
        double[] values = HostVector.array(w);
        apply(values, HostVector.array(out));
        lastW = values;
    }

    @Override
    public final double lastResidual() {
        return lastW == null ? Double.NaN : residualValue(lastW);
    }

    @Override
    public void close() {
    }
}
