package io.synalign.engine.alignment;

import java.util.Arrays;

/**
 * The optimiser's path: after set-up (bandwidth, kernel matrices or features) and after every
 * iteration, the objective value (MMD^2 as the method estimates it) and the seconds elapsed since
 * {@code fit} began. Entry 0 is the uniform starting point. Lets a caller read off how long the
 * learner took to reach a given MMD^2, or plot convergence.
 *
 * @param seconds elapsed seconds at each entry, non-decreasing
 * @param objective objective value at each entry
 */
public record ConvergenceTrace(double[] seconds, double[] objective) {

    /** A trace with no entries. */
    public static final ConvergenceTrace EMPTY = new ConvergenceTrace(new double[0], new double[0]);

    public ConvergenceTrace {
        if (seconds.length != objective.length) {
            throw new IllegalArgumentException("trace has " + seconds.length + " times but "
                    + objective.length + " values");
        }
    }

    /** Number of entries. */
    public int size() {
        return seconds.length;
    }

    /**
     * Seconds at the first entry whose objective is at most {@code target}, or NaN if none is.
     */
    public double secondsToReach(double target) {
        for (int i = 0; i < objective.length; i++) {
            if (objective[i] <= target) {
                return seconds[i];
            }
        }
        return Double.NaN;
    }

    /** Collects a trace entry by entry. */
    static final class Recorder {
        private final long startedNanos;
        private double[] seconds = new double[64];
        private double[] objective = new double[64];
        private int size;

        Recorder(long startedNanos) {
            this.startedNanos = startedNanos;
        }

        void record(double value) {
            if (size == seconds.length) {
                seconds = Arrays.copyOf(seconds, 2 * size);
                objective = Arrays.copyOf(objective, 2 * size);
            }
            seconds[size] = (System.nanoTime() - startedNanos) / 1e9;
            objective[size] = value;
            size++;
        }

        ConvergenceTrace build() {
            return new ConvergenceTrace(Arrays.copyOf(seconds, size), Arrays.copyOf(objective, size));
        }
    }
}
