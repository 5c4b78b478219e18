package io.synalign.kernels;

/**
 * The error measures float32 backends are held to against the double-precision reference.
 *
 * <p>Why these and not a plain elementwise relative error: a float32 GEMM-based backend is
 * backward stable, not elementwise accurate. (1) Squared distances come from
 * {@code ||x||^2 + ||y||^2 - 2 x.y}, which loses about {@code eps (||x||^2 + ||y||^2)} absolutely
 * to cancellation however it is implemented, so a near-zero distance can carry a large relative
 * error; the honest scale of the error is {@code ||x||^2 + ||y||^2}. (2) A kernel block or a
 * feature block is judged as a whole, normwise, {@code ||A - A_ref||_F / ||A_ref||_F}: tiny
 * entries (far pairs, {@code exp(-50)}) may be relatively wrong without mattering to any product.
 * (3) A product {@code K w} with mixed-sign w can cancel to far below {@code ||K|| ||w||}; the
 * float32 dot-product error bound is proportional to {@code |K| |w|}, so that is the denominator,
 * {@code ||y - y_ref||_2 / || |K| |w| ||_2} (it equals the plain normwise relative error when w is
 * non-negative, as for row sums).
 */
final class Errors {

    private Errors() {
    }

    /** {@code ||got - ref||_2 / ||ref||_2}; 0 when both are zero. */
    static double normwise(float[] got, double[] ref) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < ref.length; i++) {
            double e = got[i] - ref[i];
            diff += e * e;
            norm += ref[i] * ref[i];
        }
        return ratio(diff, norm);
    }

    /** {@code ||got - ref||_2 / ||scale||_2}: with {@code scale = |K| |w|} for products. */
    static double normwise(double[] got, double[] ref, double[] scale) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < ref.length; i++) {
            double e = got[i] - ref[i];
            diff += e * e;
            norm += scale[i] * scale[i];
        }
        return ratio(diff, norm);
    }

    /**
     * {@code |K - 1 1^T| |w|} in double, K the RBF kernel between the rows of x and y at
     * {@code sigma}: {@code out_i = sum_j (1 - k_ij) |w_j|}, each {@code 1 - k} as
     * {@code -expm1(-d^2 / (2 sigma^2))} from the squared distance in double (so it keeps its
     * digits however near 1 k is). O(n m d).
     *
     * <p>The scale of a product of a flat kernel: {@code K w = (K - 1 1^T) w + 1 sum_j w_j}, whose
     * second term is the caller's weights summed (exact in double), so a float32 backend need
     * round only the distances of the kernel values from 1 and their products, which a
     * backward-stable computation keeps within a few {@code eps |K - 1 1^T| |w|}. Against
     * {@code |K| |w|} (about {@code sum |w|} when every k is near 1) a float32 k, whose
     * {@code 1 - k} carries an absolute {@code 3e-8}, passes however few digits of {@code 1 - k}
     * it keeps: at 100 x the median bandwidth ({@code 1 - k} about 5e-5) three, which cost the MMD^2,
     * a difference of such products, a third of its value. {@code |sum w|} is deliberately not
     * part of the scale: it would admit that error again.
     */
    static double[] flatScale(FloatMatrix x, FloatMatrix y, double sigma, double[] w) {
        int n = x.rows();
        int m = y.rows();
        int d = x.cols();
        float[] a = x.data();
        float[] b = y.data();
        double[] out = new double[n];
        double scale = 2 * sigma * sigma;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < m; j++) {
                double d2 = 0;
                for (int k = 0; k < d; k++) {
                    double v = (double) a[i * d + k] - b[j * d + k];
                    d2 += v * v;
                }
                s += -Math.expm1(-d2 / scale) * Math.abs(w[j]);
            }
            out[i] = s;
        }
        return out;
    }

    /** Widens a float array for comparisons. */
    static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** Elementwise absolute value. */
    static double[] abs(double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Math.abs(values[i]);
        }
        return out;
    }

    /**
     * {@code max_ij |got_ij - ref_ij| / s_ij} over an n x m block, where {@code s_ij} is the
     * larger of {@code ||x_i||^2 + ||y_j||^2} and {@code ||x_i - c||^2 + ||y_j - c||^2} for c the
     * mean of both row sets: the float32 GEMM form of a distance errs by a few eps times the
     * squared norms about whatever origin a backend takes its operands about (the nd4j backend
     * takes the common mean, the cuda backend the origin), and either bound is met.
     */
    static double distanceError(float[] got, float[] ref, FloatMatrix x, FloatMatrix y) {
        double[] centre = mean(x, y);
        double[] nx = squaredNorms(x, new double[x.cols()]);
        double[] ny = squaredNorms(y, new double[y.cols()]);
        double[] cx = squaredNorms(x, centre);
        double[] cy = squaredNorms(y, centre);
        int m = y.rows();
        double worst = 0;
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < m; j++) {
                double scale = Math.max(Math.max(nx[i] + ny[j], cx[i] + cy[j]),
                        Double.MIN_NORMAL);
                worst = Math.max(worst, Math.abs((double) got[i * m + j] - ref[i * m + j]) / scale);
            }
        }
        return worst;
    }

    private static double[] mean(FloatMatrix x, FloatMatrix y) {
        double[] c = new double[x.cols()];
        for (FloatMatrix m : new FloatMatrix[] {x, y}) {
            for (int i = 0; i < m.rows(); i++) {
                for (int k = 0; k < m.cols(); k++) {
                    c[k] += m.get(i, k);
                }
            }
        }
        int count = x.rows() + y.rows();
        for (int k = 0; k < c.length && count > 0; k++) {
            c[k] /= count;
        }
        return c;
    }

    private static double[] squaredNorms(FloatMatrix m, double[] origin) {
        double[] out = new double[m.rows()];
        for (int i = 0; i < m.rows(); i++) {
            for (int k = 0; k < m.cols(); k++) {
                double v = m.get(i, k) - origin[k];
                out[i] += v * v;
            }
        }
        return out;
    }

    private static double ratio(double diff2, double norm2) {
        if (norm2 == 0) {
            return diff2 == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.sqrt(diff2 / norm2);
    }
}
