package io.synalign.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten), so that an axis reads as
 * 0, 0.05, 0.1, ... rather than 0 and 0.1173. Heckbert's labelling ("Nice numbers for graph
 * labels", Graphics Gems, 1990): the step is the nice number nearest (max - min) / (count - 1);
 * ticks are the multiples of the step inside [min, max].
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
            // Snap to the step's decimal grid, so that 0.30000000000000004 prints as 0.3.
            out.add(Math.abs(t) < step * 1e-9 ? 0.0 : Math.round(t / step) * step);
        }
        return out;
    }

    /** The nice step for about {@code count} ticks over {@code [min, max]}. */
    static double step(double min, double max, int count) {
        double raw = (max - min) / Math.max(1, count - 1);
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / magnitude;
        double nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
        return nice * magnitude;
    }
}
