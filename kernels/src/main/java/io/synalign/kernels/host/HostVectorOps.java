package io.synalign.kernels.host;

import io.synalign.kernels.CappedSimplexProjector;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.StepStatistics;
import io.synalign.kernels.VectorOps;
import java.util.Arrays;

/**
 * {@link VectorOps} over {@code double[]} ({@link HostVector}), shared by the host backends.
 * Every pass is a plain loop in index order, so a sum depends only on the values, and an
 * optimiser written against {@link VectorOps} computes exactly what the same loops inlined into
 * it would. Stateless; one instance serves every caller.
 */
public final class HostVectorOps implements VectorOps {

    /** The one instance. */
    public static final HostVectorOps INSTANCE = new HostVectorOps();

    private HostVectorOps() {
    }

    private static double[] a(DeviceVector v) {
        return HostVector.array(v);
    }

    private static int length(long n) {
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a host vector holds 0 to " + (Integer.MAX_VALUE - 8)
                    + " values, asked for " + n);
        }
        return (int) n;
    }

    private static void sameLength(double[]... vectors) {
        for (double[] v : vectors) {
            if (v.length != vectors[0].length) {
                throw new IllegalArgumentException("vectors of lengths " + vectors[0].length
                        + " and " + v.length);
            }
        }
    }

    @Override
    public DeviceVector zeros(long length) {
        return new HostVector(new double[length(length)]);
    }

    @Override
    public DeviceVector of(double[] values) {
        return new HostVector(values.clone());
    }

    @Override
    public void write(double[] values, DeviceVector out) {
        double[] y = a(out);
        sameLength(values, y);
        System.arraycopy(values, 0, y, 0, values.length);
    }

    @Override
    public void read(DeviceVector v, double[] out) {
        double[] x = a(v);
        sameLength(x, out);
        System.arraycopy(x, 0, out, 0, x.length);
    }

    @Override
    public void copy(DeviceVector from, DeviceVector to) {
        double[] x = a(from);
        double[] y = a(to);
        sameLength(x, y);
        System.arraycopy(x, 0, y, 0, x.length);
    }

    @Override
    public void copyRange(DeviceVector from, long fromOffset, DeviceVector to, long toOffset,
            long length) {
        double[] x = a(from);
        double[] y = a(to);
        // Compared without adding, so that no offset near Long.MAX_VALUE wraps into range.
        if (fromOffset < 0 || toOffset < 0 || length < 0 || length > x.length - fromOffset
                || length > y.length - toOffset) {
            throw new IndexOutOfBoundsException("copy of " + length + " values from " + fromOffset
                    + " of " + x.length + " to " + toOffset + " of " + y.length);
        }
        System.arraycopy(x, (int) fromOffset, y, (int) toOffset, (int) length);
    }

    @Override
    public void fill(DeviceVector v, double value) {
        Arrays.fill(a(v), value);
    }

    @Override
    public void extrapolate(DeviceVector x, DeviceVector previous, double beta, DeviceVector out) {
        double[] xs = a(x);
        double[] ps = a(previous);
        double[] o = a(out);
        sameLength(xs, ps, o);
        for (int i = 0; i < xs.length; i++) {
            o[i] = xs[i] + beta * (xs[i] - ps[i]);
        }
    }

    @Override
    public void gradientStep(DeviceVector y, DeviceVector hy, DeviceVector h, double inverseStep,
            DeviceVector out) {
        double[] ys = a(y);
        double[] hys = a(hy);
        double[] hs = a(h);
        double[] o = a(out);
        sameLength(ys, hys, hs, o);
        for (int i = 0; i < ys.length; i++) {
            double gradient = 2 * (hys[i] - hs[i]);
            o[i] = ys[i] - gradient * inverseStep;
        }
    }

    @Override
    public StepStatistics stepStatistics(DeviceVector next, DeviceVector y, DeviceVector hNext,
            DeviceVector hy, DeviceVector h) {
        double[] x = a(next);
        double[] ys = a(y);
        double[] hx = a(hNext);
        double[] hys = a(hy);
        double[] hs = a(h);
        sameLength(x, ys, hx, hys, hs);
        double stepNorm2 = 0;
        double curvature = 0;
        double scale = 0;
        double quadratic = 0;
        double cross = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - ys[i];
            stepNorm2 += d * d;
            curvature += d * (hx[i] - hys[i]);
            scale += Math.abs(d) * (Math.abs(hx[i]) + Math.abs(hys[i]));
            quadratic += x[i] * hx[i];
            cross += hs[i] * x[i];
        }
        return new StepStatistics(stepNorm2, curvature, scale, quadratic, cross);
    }

    @Override
    public double dot(DeviceVector a, DeviceVector b) {
        double[] x = a(a);
        double[] y = a(b);
        sameLength(x, y);
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    @Override
    public double sum(DeviceVector v) {
        double s = 0;
        for (double value : a(v)) {
            s += value;
        }
        return s;
    }

    @Override
    public double distanceSquared(DeviceVector a, DeviceVector b) {
        double[] x = a(a);
        double[] y = a(b);
        sameLength(x, y);
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double r = x[i] - y[i];
            s += r * r;
        }
        return s;
    }

    @Override
    public void add(DeviceVector v, double shift) {
        double[] x = a(v);
        for (int i = 0; i < x.length; i++) {
            x[i] += shift;
        }
    }

    @Override
    public void scale(DeviceVector v, double factor) {
        double[] x = a(v);
        for (int i = 0; i < x.length; i++) {
            x[i] *= factor;
        }
    }

    @Override
    public void linearCombination(double alpha, DeviceVector x, double beta, DeviceVector y,
            DeviceVector out) {
        double[] xs = a(x);
        double[] ys = a(y);
        double[] o = a(out);
        sameLength(xs, ys, o);
        for (int i = 0; i < xs.length; i++) {
            o[i] = alpha * xs[i] + beta * ys[i];
        }
    }

    @Override
    public CappedSimplexProjector cappedSimplex(long n, double cap) {
        return new HostCappedSimplexProjector(length(n), cap);
    }
}
