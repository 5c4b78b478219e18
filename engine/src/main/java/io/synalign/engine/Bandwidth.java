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

    public Bandwidth {
        if (!Double.isNaN(value) && !(value > 0 && !Double.isInfinite(value))) {
            throw new IllegalArgumentException("bandwidth must be a positive finite number or 'auto', got "
                    + value);
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
