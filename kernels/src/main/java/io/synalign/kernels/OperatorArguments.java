package io.synalign.kernels;

/**
 * The argument checks every {@link KernelBackend} implementation makes, in one place so that the
 * backends reject bad input with the same one-line messages (each names the bad value). For
 * backend implementers, not for callers of the SPI. Every check is O(1) and allocates nothing
 * unless it throws, so it costs nothing on the hot paths that call it.
 */
public final class OperatorArguments {

    private OperatorArguments() {
    }

    /** Both row sets must have the same dimension. */
    public static void checkDims(FloatMatrix x, FloatMatrix y) {
        if (x.cols() != y.cols()) {
            throw new IllegalArgumentException("dimension mismatch: " + x.cols() + " vs "
                    + y.cols());
        }
    }

    /** The rows must have the feature map's input dimension. */
    public static void checkFeatureDims(FloatMatrix x, FourierFeatures map) {
        checkFeatureDims(x.cols(), map);
    }

    /** Rows handed over in pieces must have the feature map's input dimension. */
    public static void checkFeatureDims(RowPieces x, FourierFeatures map) {
        checkFeatureDims(x.cols(), map);
    }

    private static void checkFeatureDims(int cols, FourierFeatures map) {
        if (cols != map.dim()) {
            throw new IllegalArgumentException("dimension mismatch: rows have " + cols
                    + " columns, the feature map expects " + map.dim());
        }
    }

    /** A kernel bandwidth must be positive and finite (NaN is rejected too). */
    public static void checkBandwidth(double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("bandwidth must be a positive finite number, got "
                    + sigma);
        }
    }

    /**
     * Row numbers of a principal submatrix of an n-row kernel: at least one, ascending,
     * distinct, in {@code [0, n)}. O(|rows|).
     */
    public static void checkPrincipalRows(int[] rows, int n) {
        if (rows == null || rows.length == 0) {
            throw new IllegalArgumentException("a principal submatrix needs at least one row");
        }
        for (int k = 0; k < rows.length; k++) {
            if (rows[k] < 0 || rows[k] >= n) {
                throw new IllegalArgumentException("row " + rows[k] + " (position " + k
                        + ") is outside [0, " + n + ")");
            }
            if (k > 0 && rows[k] <= rows[k - 1]) {
                throw new IllegalArgumentException("rows must ascend without repeats: "
                        + rows[k - 1] + " then " + rows[k] + " at position " + k);
            }
        }
    }

    /** A kernel operator needs a tile plan. */
    public static void checkPlan(TilePlan plan) {
        if (plan == null) {
            throw new IllegalArgumentException("plan must not be null");
        }
    }

    /**
     * A plan that keeps K must name a storage the backend can keep ({@link
     * KernelBackend#keptStorages()}); a tiled plan keeps nothing, so its storage is not checked.
     *
     * @param backend the backend's {@link KernelBackend#name()}, for the message
     */
    public static void checkStorage(TilePlan plan, java.util.Set<KernelStorage> kept,
            String backend) {
        if (plan.materialise() && !kept.contains(plan.storage())) {
            throw new IllegalArgumentException("the " + backend + " backend keeps kernel matrices"
                    + " in " + kept.stream().sorted().map(KernelStorage::cliName)
                            .collect(java.util.stream.Collectors.joining(" or "))
                    + ", not " + plan.storage().cliName());
        }
    }

    /** A stateless primitive's output must hold exactly {@code expected} values. */
    public static void checkOut(float[] out, long expected) {
        if (out.length != expected) {
            throw new IllegalArgumentException("output has " + out.length + " values, expected "
                    + expected);
        }
    }

    /** {@link KernelOperator#multiply}: w has {@code cols} values, out {@code rows}. */
    public static void checkMultiply(double[] w, double[] out, int rows, int cols) {
        checkMultiply(w.length, out.length, rows, cols);
    }

    /** {@link KernelOperator#multiply(DeviceVector, DeviceVector)}: as for arrays. */
    public static void checkMultiply(DeviceVector w, DeviceVector out, int rows, int cols) {
        checkMultiply(w.length(), out.length(), rows, cols);
    }

    private static void checkMultiply(long w, long out, int rows, int cols) {
        if (w != cols || out != rows) {
            throw new IllegalArgumentException("multiply: w has " + w + " values (expected "
                    + cols + "), out has " + out + " (expected " + rows + ")");
        }
    }

    /** {@link KernelOperator#rowSums}: out has {@code rows} values. */
    public static void checkRowSums(double[] out, int rows) {
        if (out.length != rows) {
            throw new IllegalArgumentException("rowSums: out has " + out.length
                    + " values, expected " + rows);
        }
    }

    /** {@link FeatureOperator#transposeTimes}: w has {@code rows} values, out {@code features}. */
    public static void checkTransposeTimes(double[] w, double[] out, int rows, int features) {
        checkTransposeTimes(w.length, out.length, rows, features);
    }

    /** {@link FeatureOperator#transposeTimes(DeviceVector, DeviceVector)}: as for arrays. */
    public static void checkTransposeTimes(DeviceVector w, DeviceVector out, int rows,
            int features) {
        checkTransposeTimes(w.length(), out.length(), rows, features);
    }

    private static void checkTransposeTimes(long w, long out, int rows, int features) {
        if (w != rows || out != features) {
            throw new IllegalArgumentException("transposeTimes: w has " + w
                    + " values (expected " + rows + "), out has " + out + " (expected "
                    + features + ")");
        }
    }

    /** {@link FeatureOperator#times}: z has {@code features} values, out {@code rows}. */
    public static void checkTimes(double[] z, double[] out, int rows, int features) {
        checkTimes(z.length, out.length, rows, features);
    }

    /** {@link FeatureOperator#times(DeviceVector, DeviceVector)}: as for arrays. */
    public static void checkTimes(DeviceVector z, DeviceVector out, int rows, int features) {
        checkTimes(z.length(), out.length(), rows, features);
    }

    private static void checkTimes(long z, long out, int rows, int features) {
        if (z != features || out != rows) {
            throw new IllegalArgumentException("times: z has " + z + " values (expected "
                    + features + "), out has " + out + " (expected " + rows + ")");
        }
    }

    /**
     * A tracker row index must lie in [0, size): {@link GpVarianceTracker#condition} and
     * {@link GpVarianceTracker#variance}.
     */
    public static void checkRow(int row, int size) {
        if (row < 0 || row >= size) {
            throw new IllegalArgumentException("row " + row + " is out of range [0, " + size
                    + ")");
        }
    }

    /**
     * {@link GpVarianceTracker#condition}: the pivot {@code variance + noise} of row {@code p}
     * must be positive (a zero one turns every variance into NaN).
     *
     * @return the pivot squared
     */
    public static double checkPivot(int p, double variance, double noise) {
        double pivot2 = variance + noise;
        if (!(pivot2 > 0)) {
            throw new IllegalArgumentException("cannot condition on row " + p
                    + ": posterior variance " + variance + " plus noise " + noise
                    + " is not positive");
        }
        return pivot2;
    }

    /** {@link GpVarianceTracker#condition} on a full tracker is a state error. */
    public static void checkCapacity(int rank, int maxRank) {
        if (rank >= maxRank) {
            throw new IllegalStateException("tracker is full: rank " + rank + " of " + maxRank);
        }
    }

    /** {@link GpVarianceTracker#variances}: out has one value per row. */
    public static void checkVariancesOut(double[] out, int size) {
        if (out.length != size) {
            throw new IllegalArgumentException("out has " + out.length + " values, expected "
                    + size);
        }
    }

    /** A closed operator or tracker refuses work; {@code what} names it in the message. */
    public static void checkOpen(boolean closed, String what) {
        if (closed) {
            throw new IllegalStateException(what + " is closed");
        }
    }
}
