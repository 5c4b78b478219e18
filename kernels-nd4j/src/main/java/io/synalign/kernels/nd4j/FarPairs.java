package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;

/**
 * Repairs the entries of a distance GEMM tile that float32 cancellation has spoilt: the pairs
 * of rows far from the common centre (relative to their distance, or to the bandwidth) get their
 * value recomputed from the rows in double.
 *
 * <p>Why: the GEMM form {@code -||x - y||^2 / 2 = x.y - ||x||^2 / 2 - ||y||^2 / 2} (rows about
 * the centre c) errs by up to about {@code eps_d (r_x + r_y)}, {@code r = ||row - c||^2},
 * {@code eps_d = 6e-8 (2 + sqrt(d + 2))}. A coordinate-wise median centre keeps r small for the
 * bulk of the rows, but not for rows far from every centre: two clusters 1,000 apart (MMD^2
 * 0.02265 reported where the weights gave 0.02408), or a bandwidth far below the rows' spread
 * (a row and its exact copy 3e-5 apart, so k = 0.86 at sigma = 0.01 where it is 1). An entry
 * {@code e = alpha (-||x - y||^2 / 2)} is recomputed when its bound matters:
 * <ul>
 *   <li>a kernel exponent ({@code alpha > 0}, {@code alpha = 1 / sigma^2}): when
 *       {@code alpha eps_d (r_x + r_y) > }{@value #EXPONENT_TOLERANCE} and the kernel value can
 *       be above {@code exp(-}{@value #NEGLIGIBLE_EXPONENT}{@code )} within that bound;</li>
 *   <li>a squared distance ({@code alpha < 0}): when the bound exceeds
 *       {@value #DISTANCE_TOLERANCE} of the distance found.</li>
 * </ul>
 * Cost: nothing for a tile when no pair of its rows can qualify (decided from the largest r of
 * each side: the usual case, rows of comparable norms at a median-heuristic bandwidth); else
 * one pass over the tile plus O(d) in double per repaired entry.
 */
final class FarPairs {

    /** An exponent error this small is float32 rounding of the kernel's own size. */
    static final double EXPONENT_TOLERANCE = 1e-4;
    /** A kernel value below exp(-this) is 0 to every product in float32. */
    static final double NEGLIGIBLE_EXPONENT = 104;
    /** Relative error of a squared distance that is repaired. */
    static final double DISTANCE_TOLERANCE = 1e-4;

    private final FloatMatrix x;
    private final FloatMatrix y;
    private final double[] rx;
    private final double[] ry;
    private final double maxRx;
    private final double maxRy;
    private final double eps;

    /** The rows of both sides and their squared distances from {@code centre}, in double. */
    FarPairs(FloatMatrix x, FloatMatrix y, double[] centre) {
        this.x = x;
        this.y = y;
        this.rx = norms(x, centre);
        this.ry = y == x ? rx : norms(y, centre);
        this.maxRx = max(rx);
        this.maxRy = max(ry);
        this.eps = 6e-8 * (2 + Math.sqrt(x.cols() + 2.0));
    }

    /**
     * The repairs of tiles made with {@code alpha} about {@code centre}, or null when no tile can
     * need one (then nothing holds the rows).
     */
    static FarPairs forAlpha(FloatMatrix x, FloatMatrix y, double[] centre, float alpha) {
        FarPairs pairs = new FarPairs(x, y, centre);
        return pairs.mayRepair(alpha) ? pairs : null;
    }

    private static double[] norms(FloatMatrix m, double[] centre) {
        int d = m.cols();
        float[] data = m.data();
        double[] out = new double[m.rows()];
        for (int i = 0; i < out.length; i++) {
            double s = 0;
            for (int k = 0; k < d; k++) {
                double v = data[i * d + k] - centre[k];
                s += v * v;
            }
            out[i] = s;
        }
        return out;
    }

    private static double max(double[] v) {
        double m = 0;
        for (double a : v) {
            m = Math.max(m, a);
        }
        return m;
    }

    /** Whether any entry of a tile made with {@code alpha} can need a repair. */
    boolean mayRepair(float alpha) {
        if (alpha > 0) {
            return alpha * eps * (maxRx + maxRy) > EXPONENT_TOLERANCE;
        }
        return maxRx + maxRy > 0; // a distance near 0 is relative to itself: checked per entry
    }

    /**
     * Repairs the tile at (rowStart, colStart) made with {@code alpha}, row-major
     * {@code rowCount x colCount} in {@code tile}; returns how many entries were recomputed.
     */
    int repair(int rowStart, int rowCount, int colStart, int colCount, float alpha, float[] tile) {
        if (!mayRepair(alpha)) {
            return 0;
        }
        int repaired = 0;
        double a = alpha;
        for (int i = 0; i < rowCount; i++) {
            double ri = rx[rowStart + i];
            if (a > 0 && a * eps * (ri + maxRy) <= EXPONENT_TOLERANCE) {
                continue;
            }
            for (int j = 0; j < colCount; j++) {
                double bound = eps * (ri + ry[colStart + j]); // on ||x - y||^2 / 2
                int index = i * colCount + j;
                double e = tile[index];
                boolean spoilt;
                if (a > 0) {
                    double err = a * bound;
                    spoilt = err > EXPONENT_TOLERANCE && e + err > -NEGLIGIBLE_EXPONENT;
                } else {
                    spoilt = 2 * bound > DISTANCE_TOLERANCE * Math.abs(e);
                }
                if (spoilt) {
                    tile[index] = (float) (-a * halfSquaredDistance(rowStart + i, colStart + j));
                    repaired++;
                }
            }
        }
        return repaired;
    }

    /**
     * {@link #repair} on an INDArray tile ({@code rowCount x colCount}, the portable path):
     * read to the heap and written back only when an entry was recomputed.
     */
    void repair(int rowStart, int rowCount, int colStart, int colCount, float alpha,
            org.nd4j.linalg.api.ndarray.INDArray tile) {
        if (!mayRepair(alpha)) {
            return;
        }
        float[] host = PortableOperands.hostFloats(tile);
        if (repair(rowStart, rowCount, colStart, colCount, alpha, host) > 0) {
            tile.assign(PortableOperands.matrix(host, rowCount, colCount));
        }
    }

    /** {@code ||x_i - y_j||^2 / 2} in double from the rows as given. */
    private double halfSquaredDistance(int i, int j) {
        int d = x.cols();
        float[] xd = x.data();
        float[] yd = y.data();
        double s = 0;
        for (int k = 0; k < d; k++) {
            double v = (double) xd[i * d + k] - yd[j * d + k];
            s += v * v;
        }
        return s / 2;
    }
}
