package io.synalign.io;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where a set of rows lies and how far apart its rows are, in double: the coordinate-wise median
 * of a strided sample of at most {@value #MAX_SAMPLE} rows ({@code median}), and the median of
 * the sampled rows' non-zero Euclidean distances from it ({@code typicalDistance}; 0 when every
 * sampled row is the median). What {@link #narrowingCentre} decides from whether float64 rows
 * are shifted before narrowing, and {@link #float32Warning} whether float32 rows had already
 * lost their spread.
 *
 * <p>Why a median of a sample and not the mean of every row: one outlier moves the mean by its
 * distance over the row count (a row 1e5 out among 35 moved the mean 2,900, the failure the nd4j
 * backend had when it centred on the mean) and every other row then narrows on the grid of that
 * distance; the median stays with the bulk of the rows. The sample makes it O(s d log s) for a
 * sample of s rows, with no pass over a large file; the strided rows (row {@code floor(k m / s)})
 * make it deterministic. Any fixed point is a correct centre (the kernels depend on differences
 * only); a better one only narrows on a finer grid.
 *
 * @param median the centre, one value per column
 * @param typicalDistance the median non-zero distance of the sampled rows from {@code median}
 */
public record CentreEstimate(double[] median, double typicalDistance) {

    /** Copies the median in. */
    public CentreEstimate {
        median = median.clone();
    }

    /** A copy of the median. */
    @Override
    public double[] median() {
        return median.clone();
    }

    /** Rows sampled at most, 2,048 (as the nd4j backend's own centre). */
    public static final int MAX_SAMPLE = 2048;

    /**
     * Float32 rows are reported when the float32 grid at their magnitude is coarser than this
     * fraction of their typical distance: distances then carry an error of 1e-4 and more
     * (float32's own, near the origin, is 6e-8), and an MMD² of 1e-2 an error of 1 % and more.
     */
    static final double WARN_GRID_FRACTION = 1e-4;

    /** Row {@code i} of a set, in double, as stored. */
    @FunctionalInterface
    public interface RowReader {
        void read(long row, double[] out);
    }

    /**
     * The estimate from {@code rows} rows of {@code cols} columns read through {@code reader}
     * (the sampled rows only).
     *
     * @throws IllegalArgumentException when there is no row or no column
     */
    public static CentreEstimate of(long rows, int cols, RowReader reader) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("a centre needs rows and columns, got " + rows
                    + " x " + cols);
        }
        int s = (int) Math.min(rows, MAX_SAMPLE);
        double[][] sample = new double[s][cols];
        for (int k = 0; k < s; k++) {
            // floor(k rows / s) without overflow: rows < 2^63 / 2^11 for any real file.
            long row = rows <= Long.MAX_VALUE / MAX_SAMPLE ? k * rows / s
                    : (long) Math.floor((double) k * rows / s);
            reader.read(row, sample[k]);
        }
        double[] median = new double[cols];
        double[] column = new double[s];
        for (int j = 0; j < cols; j++) {
            for (int k = 0; k < s; k++) {
                column[k] = sample[k][j];
            }
            median[j] = median(column, s);
        }
        double[] distances = new double[s];
        int nonZero = 0;
        for (double[] row : sample) {
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                double diff = row[j] - median[j];
                sum += diff * diff;
            }
            if (sum > 0) {
                distances[nonZero++] = Math.sqrt(sum);
            }
        }
        return new CentreEstimate(median, nonZero == 0 ? 0 : median(distances, nonZero));
    }

    /** The estimate of an in-memory matrix (float32 widened exactly). */
    public static CentreEstimate of(FloatMatrix rows) {
        int cols = rows.cols();
        float[] data = rows.data();
        return of(rows.rows(), cols, (row, out) -> {
            for (int j = 0; j < cols; j++) {
                out[j] = data[(int) row * cols + j];
            }
        });
    }

    /** The median of {@code values[0 .. count)} (sorts them): the mean of the middle two for an even count. */
    private static double median(double[] values, int count) {
        Arrays.sort(values, 0, count);
        int mid = count / 2;
        return count % 2 == 1 ? values[mid] : values[mid - 1] / 2 + values[mid] / 2;
    }

    /** The Euclidean norm of the median: how far the rows lie from the origin. */
    public double distanceFromOrigin() {
        double sum = 0;
        for (double v : median) {
            sum += v * v;
        }
        return Math.sqrt(sum);
    }

    /**
     * The centre to subtract before narrowing: the median when some input of the problem is
     * float64 ({@code anyFloat64}) and the rows lie farther from the origin than from each
     * other's median ({@link #distanceFromOrigin} above {@link #typicalDistance}), else
     * {@link NarrowingCentre#NONE}.
     *
     * <p>Why not always: narrowing {@code x - c} in place of {@code x} rounds differently, so
     * weights would move at float32's rounding level on data that never needed the shift (and
     * random Fourier features, invariant in distribution, change with the shift for a fixed
     * seed). Near the origin the shift gains at most a factor of two in resolution; past the
     * threshold it gains the ratio of the two distances (10^8 for rows at 1e6 with a spread of
     * 0.01). Float32 inputs alone are never shifted: their digits are already gone.
     */
    public NarrowingCentre narrowingCentre(boolean anyFloat64) {
        return anyFloat64 && distanceFromOrigin() > typicalDistance
                ? NarrowingCentre.at(median) : NarrowingCentre.NONE;
    }

    /**
     * The length of one float32 grid cell's diagonal at the median: how far apart float32 can
     * tell rows there, at best.
     */
    public double float32Grid() {
        double sum = 0;
        for (double v : median) {
            double ulp = Math.ulp((float) Math.abs(v));
            sum += ulp * ulp;
        }
        return Math.sqrt(sum);
    }

    /**
     * A one-line warning when float32 inputs ({@code float32Inputs}, their names; none: null)
     * sit where float32's grid is coarser than {@value #WARN_GRID_FRACTION} of the rows'
     * typical distance, so their spread was rounded away when they were written; else null.
     * Rows all at one point (typical distance 0) get none: there is no spread to compare.
     */
    public String float32Warning(List<String> float32Inputs) {
        if (float32Inputs.isEmpty() || !(typicalDistance > 0)) {
            return null;
        }
        double grid = float32Grid();
        if (!(grid > WARN_GRID_FRACTION * typicalDistance)) {
            return null;
        }
        return String.format(Locale.ROOT, "%s %s float32 with rows %.3g from the origin and"
                + " %.3g from their median: float32's grid there is %.3g, %.2g of that distance,"
                + " so distances, the bandwidth and MMD^2 are coarse; save the embeddings as"
                + " float64 (they are centred before narrowing) or centred",
                String.join(", ", float32Inputs), float32Inputs.size() == 1 ? "is" : "are",
                distanceFromOrigin(), typicalDistance, grid, grid / typicalDistance);
    }
}
