package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import java.nio.FloatBuffer;

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
 * Cost of a kernel tile: nothing when no pair can qualify (decided from the largest r of each
 * side: the usual case, rows of comparable norms at a median-heuristic bandwidth); else
 * O(rows + cols) to find the tile's far rows and columns, a check of each entry in a far row or
 * column, and O(d) in double per repaired entry. A distance tile is checked entry by entry.
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

    /** The squared distances of m's rows from {@code centre}, in double. */
    static double[] norms(FloatMatrix m, double[] centre) {
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
        return repair(rowStart, rowCount, colStart, colCount, alpha, new Tile() {
            @Override
            public float get(int index) {
                return tile[index];
            }

            @Override
            public void set(int index, float value) {
                tile[index] = value;
            }
        });
    }

    /**
     * {@link #repair(int, int, int, int, float, float[])} on a tile in native memory, read and
     * written in place entry by entry (a tile without far rows or columns is not read at all).
     */
    int repair(int rowStart, int rowCount, int colStart, int colCount, float alpha,
            FloatBuffer tile) {
        return repair(rowStart, rowCount, colStart, colCount, alpha, new Tile() {
            @Override
            public float get(int index) {
                return tile.get(index);
            }

            @Override
            public void set(int index, float value) {
                tile.put(index, value);
            }
        });
    }

    /**
     * {@link #repair(int, int, int, int, float, float[])} on an INDArray tile
     * ({@code rowCount x colCount}, c order, the portable path): a kernel tile with few entries
     * to check entry by entry in place; a distance tile, or one where more than an eighth of the
     * entries are checked, through one copy to the heap, written back when an entry was
     * recomputed.
     */
    int repair(int rowStart, int rowCount, int colStart, int colCount, float alpha,
            org.nd4j.linalg.api.ndarray.INDArray tile) {
        if (!mayRepair(alpha)) {
            return 0;
        }
        if (alpha <= 0 || 8 * checks(rowStart, rowCount, colStart, colCount, alpha)
                > (long) rowCount * colCount) {
            // Many entries to read (every row far at a bandwidth far below the rows' spread):
            // one copy each way beats an INDArray call per entry.
            float[] host = PortableOperands.hostFloats(tile);
            int repaired = repair(rowStart, rowCount, colStart, colCount, alpha, host);
            if (repaired > 0) {
                tile.assign(PortableOperands.matrix(host, rowCount, colCount));
            }
            return repaired;
        }
        return repair(rowStart, rowCount, colStart, colCount, alpha, new Tile() {
            @Override
            public float get(int index) {
                return tile.getFloat((long) index);
            }

            @Override
            public void set(int index, float value) {
                tile.putScalar((long) index, value);
            }
        });
    }

    /** A tile's entries by row-major index. */
    interface Tile {
        float get(int index);

        void set(int index, float value);
    }

    /**
     * The repairs of one tile. For a kernel exponent a pair can need one only when
     * {@code r_x + r_y > limit = }{@value #EXPONENT_TOLERANCE}{@code  / (alpha eps_d)}, so only
     * when one of its rows has {@code r > limit / 2}: the far rows of the tile are scanned in
     * full, the others at the tile's far columns only. One outlier row or column thus costs one
     * row or column of checks per tile, not the tile. A squared distance is relative to itself
     * (a pair of copies can need a repair anywhere), so every entry is checked.
     */
    private int repair(int rowStart, int rowCount, int colStart, int colCount, float alpha,
            Tile tile) {
        if (!mayRepair(alpha) || rowCount <= 0 || colCount <= 0) {
            return 0;
        }
        double a = alpha;
        if (a <= 0) {
            int repaired = 0;
            for (int i = 0; i < rowCount; i++) {
                for (int j = 0; j < colCount; j++) {
                    repaired += repairDistance(rowStart + i, colStart + j, a,
                            i * colCount + j, tile);
                }
            }
            return repaired;
        }
        double half = halfLimit(a);
        int[] farCols = new int[colCount];
        int farColCount = 0;
        for (int j = 0; j < colCount; j++) {
            if (ry[colStart + j] > half) {
                farCols[farColCount++] = j;
            }
        }
        int repaired = 0;
        for (int i = 0; i < rowCount; i++) {
            int row = rowStart + i;
            if (rx[row] > half) {
                for (int j = 0; j < colCount; j++) {
                    repaired += repairExponent(row, colStart + j, a, i * colCount + j, tile);
                }
            } else {
                for (int f = 0; f < farColCount; f++) {
                    int j = farCols[f];
                    repaired += repairExponent(row, colStart + j, a, i * colCount + j, tile);
                }
            }
        }
        return repaired;
    }

    /**
     * Half the {@code r_x + r_y} above which a kernel exponent made with {@code alpha} can need a
     * repair: a row with {@code r} above it is far.
     */
    private double halfLimit(double alpha) {
        return EXPONENT_TOLERANCE / (alpha * eps) / 2;
    }

    /**
     * The entries {@link #repair} checks in a kernel tile: far rows in full, the rest at far
     * columns.
     */
    private long checks(int rowStart, int rowCount, int colStart, int colCount, float alpha) {
        double half = halfLimit(alpha);
        long farRows = 0;
        for (int i = 0; i < rowCount; i++) {
            farRows += rx[rowStart + i] > half ? 1 : 0;
        }
        long farCols = 0;
        for (int j = 0; j < colCount; j++) {
            farCols += ry[colStart + j] > half ? 1 : 0;
        }
        return farRows * colCount + (rowCount - farRows) * farCols;
    }

    /** Recomputes the exponent at {@code index} (rows i, j) if its bound matters; 1 if so. */
    private int repairExponent(int i, int j, double a, int index, Tile tile) {
        double err = a * eps * (rx[i] + ry[j]); // the bound on the exponent
        if (err <= EXPONENT_TOLERANCE || tile.get(index) + err <= -NEGLIGIBLE_EXPONENT) {
            return 0;
        }
        tile.set(index, (float) (-a * halfSquaredDistance(i, j)));
        return 1;
    }

    /** Recomputes {@code alpha (-||x_i - y_j||^2 / 2)} if its bound matters; 1 if so. */
    private int repairDistance(int i, int j, double a, int index, Tile tile) {
        double bound = eps * (rx[i] + ry[j]); // on ||x - y||^2 / 2
        if (2 * bound <= DISTANCE_TOLERANCE * Math.abs(tile.get(index))) {
            return 0;
        }
        tile.set(index, (float) (-a * halfSquaredDistance(i, j)));
        return 1;
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
