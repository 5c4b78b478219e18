package io.synalign.engine;

import java.util.Locale;

/**
 * An RBF bandwidth (or GP length scale) {@code sigma} in {@code exp(-||x-y||^2 / (2 sigma^2))}:
 * either a fixed positive value or {@code auto}, the median heuristic (see
 * {@link MedianHeuristic}).
 *
 * @param value the fixed value, or {@code NaN} for auto
 */
public record Bandwidth(double value) {

    /**
     * The smallest and largest bandwidth accepted: the float32 kernels use {@code 1 / sigma^2}
     * and {@code sigma^2}, which must stay finite and normal in float32 (at {@code 1e-30},
     * {@code 1 / sigma^2} overflowed to infinity and the kernel to NaN).
     */
    public static final double MIN = 1e-18;
    public static final double MAX = 1e18;

    public Bandwidth {
        if (!Double.isNaN(value) && !(value >= MIN && value <= MAX)) {
            throw new IllegalArgumentException("bandwidth must be a number in [" + MIN + ", "
                    + MAX + "] or 'auto', got " + value);
        }
    }

    /** The median heuristic. */
    public static Bandwidth auto() {
        return new Bandwidth(Double.NaN);
    }

    /** A fixed bandwidth. */
    public static Bandwidth of(double sigma) {
        return new Bandwidth(sigma);
    }

    /**
     * Parses {@code auto} or a positive number.
     *
     * @throws IllegalArgumentException naming the text when it is neither
     */
    public static Bandwidth parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("auto")) {
            return auto();
        }
        double v;
        try {
            v = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is neither 'auto' nor a number");
        }
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("must be positive and finite, got " + text);
        }
        if (v < MIN || v > MAX) {
            throw new IllegalArgumentException("must lie in [" + MIN + ", " + MAX + "] (the float32"
                    + " kernels use its square and its inverse square), got " + text);
        }
        return of(v);
    }

    public boolean isAuto() {
        return Double.isNaN(value);
    }

    @Override
    public String toString() {
        return isAuto() ? "auto" : Double.toString(value);
    }
}
