package io.synalign.evaluation;

/**
 * Mean and sample standard deviation (divisor n - 1) of repeated measurements, with the
 * measurements themselves (in repeat order, so that two variants measured on the same repeats
 * can be compared pair by pair). The sample standard deviation of a single value is undefined:
 * it is NaN (written "n/a" and JSON null), not 0, which would claim that repeats agree exactly.
 */
public record MeanStd(double mean, double std, java.util.List<Double> values) {

    /** @throws IllegalArgumentException for no values */
    public static MeanStd of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double mean = 0;
        for (double v : values) {
            mean += v;
        }
        mean /= values.length;
        java.util.List<Double> kept = java.util.Arrays.stream(values).boxed().toList();
        if (values.length == 1) {
            return new MeanStd(mean, Double.NaN, kept);
        }
        double ss = 0;
        for (double v : values) {
            ss += (v - mean) * (v - mean);
        }
        return new MeanStd(mean, Math.sqrt(ss / (values.length - 1)), kept);
    }
}
