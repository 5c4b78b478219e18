package io.synalign.io;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where a set of rows lies and how far apart its rows are, in double: the coordinate-wise median
 * of a strided sample of at most {@value #MAX_SAMPLE} rows ({@code median}), and the median of
 * the sampled rows' non-zero Euclidean distances from it ({@code typicalDistance}; 0 when every
 * sampled row is the median). From these and float32's grid at the median
 * ({@link #float32Grid}), {@link #narrowingCentre} decides whether float64 rows are shifted
 * before narrowing, and {@link #float32Warning} whether float32 rows had already lost their
 * spread.
 *
 * <p>Why a median of a sample and not the mean of every row: one outlier moves the mean by its
 * distance over the row count (a row 1e5 out among 35 moved the mean 2,900, the failure the nd4j
 * backend had when it centred on the mean) and every other row then narrows on the grid of that
 * distance; the median stays with the bulk of the rows. The sample makes it O(s d log s) for a
 * sample of s rows, with no pass over a large file; the strided rows (row {@code floor(k m / s)})
 * make it deterministic. Any fixed point is a correct centre (the RBF kernel depends on
 * differences only; random features are another draw of the same distribution); a better one
 * only narrows on a finer grid.
 *
 * @param median the centre, one value per column
 * @param typicalDistance the median non-zero distance of the sampled rows from {@code median}
 * @param exactColumns per column, whether float32 keeps every difference of its sampled float64
 *     values exactly: the column is constant (every row rounds alike, so no difference moves)
 *     or holds integers of magnitude at most 2^24 (a bias column, a year); such a column adds
 *     nothing to {@link #float32Grid}. Found for float64 rows only (float32 rows far out may be
 *     constant because float32 rounded them flat); the synthetic rows are taken to agree with
 *     the real ones there
 */
public record CentreEstimate(double[] median, double typicalDistance, boolean[] exactColumns) {

    /** Copies the arrays in. */
    public CentreEstimate {
        median = median.clone();
        exactColumns = exactColumns.clone();
        if (exactColumns.length != median.length) {
            throw new IllegalArgumentException(exactColumns.length + " column flags for "
                    + median.length + " columns");
        }
    }

    /** An estimate whose columns all vary in non-integer values. */
    public CentreEstimate(double[] median, double typicalDistance) {
        this(median, typicalDistance, new boolean[median.length]);
    }

    /** A copy of the per-column flags. */
    @Override
    public boolean[] exactColumns() {
        return exactColumns.clone();
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

    /**
     * Float64 rows are centred before narrowing when the float32 grid at their magnitude is
     * coarser than this fraction of their typical distance, 2^-18 (3.8e-6): where narrowing
     * has cost 5 bits of the spread and its error in a kernel value (about 0.4 of the fraction,
     * 1.6e-6) nears the backends' own 1e-5 (see {@link #narrowingCentre}).
     */
    static final double CENTRE_GRID_FRACTION = 0x1p-18;

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
        return of(rows, cols, false, reader);
    }

    /**
     * The estimate from {@code rows} rows of {@code cols} columns read through {@code reader}
     * (the sampled rows only), {@code float64} telling whether they are stored as float64: only
     * then can a column that float32 keeps exactly (constant, or integers up to 2^24) be told
     * from one that float32 has already rounded flat, so only then are {@link #exactColumns}
     * found.
     *
     * @throws IllegalArgumentException when there is no row or no column
     */
    public static CentreEstimate of(long rows, int cols, boolean float64, RowReader reader) {
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
        boolean[] exact = new boolean[cols];
        double[] column = new double[s];
        for (int j = 0; j < cols; j++) {
            boolean constant = true;
            boolean integers = true;
            for (int k = 0; k < s; k++) {
                double v = sample[k][j];
                column[k] = v;
                constant &= v == sample[0][j];
                integers &= v == Math.rint(v) && Math.abs(v) <= 0x1p24;
            }
            exact[j] = float64 && (constant || integers);
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
        return new CentreEstimate(median, nonZero == 0 ? 0 : median(distances, nonZero), exact);
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
     * float64 ({@code anyFloat64}) and float32 would lose resolution that matters there: its
     * grid at the median ({@link #float32Grid}) is coarser than 2^-18 (3.8e-6,
     * {@code CENTRE_GRID_FRACTION}) of the rows' {@link #typicalDistance}; else
     * {@link NarrowingCentre#NONE}. Rows all at one point (typical distance 0) away from the
     * origin are centred: there is nothing to lose.
     *
     * <p>Why that rule: float32 keeps a value {@code x} to {@code ulp(x)}, between 2^-24 and
     * 2^-23 of {@code |x|}, so the grid is 2^-24 to 2^-23 of the rows' distance from the origin
     * and the rule centres rows some 32 to 64 times (and more) farther from the origin than
     * from their median. Rows spread about as widely as they lie from the origin keep their
     * spread to about 1e-7 of it (uniform [0,1]^8: grid 1.3e-7 at typical distance 0.8, a
     * fraction of 1.7e-7; unit embeddings shifted by a common mean of norm 3: 2.4e-7; even
     * embeddings whose pairs have cosine 0.99, nine times farther out than apart: 8.3e-7).
     * Past 2^-18 float32 has lost 5 bits and more against that, and rounding a pair of rows
     * moves their kernel value at the bandwidth by about 0.4 times the fraction (a distance
     * error of f t at distance sigma = sqrt(2) t moves exp(-d^2 / 2 sigma^2) by e^-1/2 f / sqrt 2):
     * 1.6e-6 and more, within a factor of 6 of the 1e-5 every backend is allowed for its kernel
     * blocks; it grows with the distance from the origin over the spread (10^8 for rows at 1e6
     * with a spread of 0.01: a grid of 0.0625 over 0.01), and the centre takes it back. Below it the centre gains less than the backends keep, and it is
     * not free: narrowing {@code x - c} in place of {@code x} rounds differently, so the fit
     * moves at float32's rounding level (the review measured 6 % of the largest weight on
     * exact, 27 % on rff, for [0,1]^8 rows that the first rule, distance from the origin above
     * the typical distance, centred), and random Fourier features {@code cos(w.(x - c) + b)}
     * are another draw for the same seed. So ordinary float64 inputs read as their float32
     * copies read, bit for bit. Float32 inputs alone are never shifted: their digits are
     * already gone ({@link #float32Warning} says so from {@value #WARN_GRID_FRACTION}).
     */
    public NarrowingCentre narrowingCentre(boolean anyFloat64) {
        return anyFloat64 && float32Grid() > CENTRE_GRID_FRACTION * typicalDistance
                ? NarrowingCentre.at(median) : NarrowingCentre.NONE;
    }

    /**
     * The length of one float32 grid cell's diagonal at the median, over the columns whose
     * differences float32 rounds ({@link #exactColumns} left out: a constant column or one of
     * integers keeps every difference exactly, whatever its magnitude): how far apart float32
     * can tell rows there, at best. (A constant column of 100 beside [0,1] features counted its
     * ulp and put ordinary rows past the centring threshold; a review found it.)
     */
    public double float32Grid() {
        double sum = 0;
        for (int j = 0; j < median.length; j++) {
            if (!exactColumns[j]) {
                double ulp = Math.ulp((float) Math.abs(median[j]));
                sum += ulp * ulp;
            }
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
