package io.synalign.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten), so that an axis reads as
 * 0, 0.05, 0.1, ... rather than 0 and 0.1173. Heckbert's labelling ("Nice numbers for graph
 * labels", Graphics Gems, 1990), with the step rounded down rather than to the nearest: the step
 * is the largest nice number not above (max - min) / (count - 1), so at least {@code count - 1}
 * intervals fit; ticks are the multiples of the step inside [min, max].
 */
final class Ticks {

    private Ticks() {
    }

    /**
     * About {@code count} ticks inside {@code [min, max]} (at least the two ends' nearest
     * multiples; a degenerate or non-finite span gives {@code [min]}).
     */
    static List<Double> of(double min, double max, int count) {
        List<Double> out = new ArrayList<>();
        if (!Double.isFinite(min) || !Double.isFinite(max) || !(max > min)) {
            out.add(Double.isFinite(min) ? min : 0);
            return out;
        }
        double step = step(min, max, count);
        double first = Math.ceil(min / step - 1e-9) * step;
        for (int i = 0; i < 1000; i++) {
            double t = first + i * step;
            if (t > max + step * 1e-9) {
                break;
            }
            out.add(multiple(Math.round(t / step), step));
        }
        return out;
    }

    /**
     * {@code k * step} on the step's decimal grid: 3 x 0.1 is 0.3, not 0.30000000000000004
     * (below 1 the product is formed as k x nice / 10^e, an exact division of small integers).
     */
    static double multiple(long k, double step) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(step) + 1e-12));
        double nice = Math.rint(step / magnitude);
        if (magnitude < 1) {
            return k * nice / Math.rint(1 / magnitude);
        }
        return k * nice * magnitude;
    }

    /** The nice step for about {@code count} ticks over {@code [min, max]}. */
    static double step(double min, double max, int count) {
        double raw = (max - min) / Math.max(1, count - 1);
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / magnitude;
        // The largest nice number not above the raw step: at least count - 1 intervals fit, so
        // a range never shows fewer than two ticks (rounding to the nearest could show one).
        double nice = f < 2 ? 1 : f < 5 ? 2 : 5;
        return nice * magnitude;
    }
}
