package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.evaluation.PairedBootstrap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * The report's opening lines: what alignment changed (MMD^2 to the real rows before and after,
 * weighted by the labels' real shares), and whether the aligned variant trained a better
 * student than each other variant, with a 95 % interval.
 *
 * <p>The interval of an evaluation that kept its per-row data (a classification its test
 * predictions, {@link TestPredictions}; a retrieval each test query's first relevant rank,
 * {@link TestRanks}) holds two errors, added in quadrature on each side of the difference d
 * (they are independent: one comes from which rows or queries were tested, the other from the
 * seeds):
 * <ul>
 * <li>the test set's own sampling error: a paired bootstrap over the test rows or queries
 * ({@link PairedBootstrap}, scope {@code TEST_ROWS}, {@value PairedBootstrap#DEFAULT_RESAMPLES}
 * resamples seeded by the evaluation's {@code --seed}) of the difference of the
 * repeat-averaged macro-F1 (classification) or MRR@10 (retrieval: the mean of the queries'
 * reciprocal ranks at 10), the same resample for both variants; its half-widths below and above
 * d are {@code d - low} and {@code high - d} of the 2.5th and 97.5th percentiles;
 * <li>the seeds' error: the paired Student-t half-width over the R repeats below (against
 * retrieval's untrained {@code zero_shot}, whose one value stands in every repeat, a one-sample
 * t of the aligned repeats).
 * </ul>
 * The interval is {@code d - sqrt(t^2 + rowsLow^2)} to {@code d + sqrt(t^2 + rowsHigh^2)}. Why
 * not a bootstrap that resamples the repeats too: with the default 3 repeats it has 10 distinct
 * draws and no small-sample widening, so its lower end is about the worst repeat; a review
 * found gains of +5, +6 and +0.5 points on 2,000 rows called a win (0.6 to 6.3) where the
 * seeds' t interval alone (-3.5 to +11.1) includes 0. With one repeat the seeds' part is
 * unknown and the interval is the rows' alone, which the verdict says.
 *
 * <p>The bootstrap over the test rows or queries is taken only where there are at least
 * {@value #MIN_BOOTSTRAP_ROWS} of them. A percentile bootstrap of a mean over n values has
 * n^n equally likely resamples with at most C(2n-1, n) distinct means, and its interval is too
 * narrow for small n: with n = 1 every resample is the test set itself and the interval has
 * width 0, which a review found called a win (+50.0 MRR@10 points, "95 % CI +50.0 to +50.0").
 * Simulated coverage of its nominal 95 % interval of a mean ({@code
 * benchmarks/peer/bootstrap_coverage.py}: 2,000 test sets per n, 2,000 resamples; normal
 * values / differences of reciprocal ranks): 0 at n = 1, about 0.5 at 2, 0.84 / 0.80 at 5,
 * 0.89 / 0.91 at 10, 0.93 / 0.93 at 15, 0.93 / 0.94 at 20 and 0.93 / 0.95 at 50; from about
 * 20 it has reached the level it keeps for larger n. Below the minimum the interval is the
 * seeds-only one described next, and the verdict says why ("too few test queries (n, fewer
 * than 20) for a bootstrap over them"); with one repeat there is then none.
 *
 * <p>Otherwise (an evaluation written before the per-row data was kept, or one of fewer test
 * rows or queries than that minimum) it is a paired Student-t interval on the per-repeat
 * differences: {@code evaluate} trains every variant with the same seed in repeat r (same
 * initialisation, held-out slice and shuffles), so the difference per repeat removes the
 * repeat's own noise; the verdict says "on this test set", since the rows' sampling error is
 * not in it. With one repeat there is then no interval, and the verdict says so instead of
 * claiming one.
 */
final class Verdict {

    /** The name prefix of the aligned variant in {@code evaluation.json}. */
    static final String ALIGNED = "real+aligned";

    /**
     * The fewest test rows (or retrieval test queries) that the verdict bootstraps over; fewer
     * leave the rows' sampling error out (see the class comment for why 20).
     */
    static final int MIN_BOOTSTRAP_ROWS = 20;

    /** Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom. */
    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
        2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

    /**
     * A paired mean difference with its 95 % interval ({@code low}/{@code high} NaN with fewer
     * than two pairs).
     */
    record Paired(double mean, double low, double high, int n) {

        /** Differences {@code a[i] - b[i]} over the common length. */
        static Paired of(List<Double> a, List<Double> b) {
            int n = Math.min(a.size(), b.size());
            if (n == 0) {
                return new Paired(Double.NaN, Double.NaN, Double.NaN, 0);
            }
            double[] d = new double[n];
            double mean = 0;
            for (int i = 0; i < n; i++) {
                d[i] = a.get(i) - b.get(i);
                mean += d[i];
            }
            mean /= n;
            if (n == 1) {
                return new Paired(mean, Double.NaN, Double.NaN, 1);
            }
            double ss = 0;
            for (double v : d) {
                ss += (v - mean) * (v - mean);
            }
            double half = t975(n - 1) * Math.sqrt(ss / (n - 1) / n);
            return new Paired(mean, mean - half, mean + half, n);
        }
    }

    /** The 97.5 % quantile of Student's t with {@code df} degrees of freedom. */
    static double t975(int df) {
        if (df < 1) {
            throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + df);
        }
        // Beyond 30: the normal quantile with the first-order correction (within 0.2 %).
        return df <= T975.length ? T975[df - 1] : 1.95996 * (1 + 1.2 / df);
    }

    private Verdict() {
    }

    /**
     * The verdict section, or an empty string when neither alignment nor evaluation ran. An
     * evaluation that {@code evaluationOf} says is of other rows or weights is left out of it
     * (it would credit or blame this alignment for another's result), with a line saying so.
     */
    static String html(JsonNode alignment, RunArtefacts.Weighted weighted, JsonNode evaluation,
            TestPredictions predictions, TestRanks ranks, List<String> evaluationOf) {
        List<String> items = new ArrayList<>();
        String a = alignment == null ? null : alignment(alignment, weighted);
        if (a != null) {
            items.add("<li id=\"verdict-alignment\">" + a + "</li>");
        }
        if (evaluation != null && !evaluationOf.isEmpty()) {
            items.add("<li id=\"verdict-evaluation-other\">The evaluation is left out of the"
                    + " verdict: " + Html.escape(evaluationOf.get(0)) + " (see its section).</li>");
        } else if (evaluation != null) {
            items.addAll(evaluation(evaluation, predictions, ranks));
        }
        if (items.isEmpty()) {
            return "";
        }
        return "<section id=\"verdict\"><h2>Verdict</h2><ul>" + String.join("", items)
                + "</ul></section>\n";
    }

    /**
     * MMD^2 before and after, weighted by real share over the fitted labels (or the global fit):
     * in-sample, to the rows the weights minimised it to, which the line says; then the
     * held-out check's figures where {@code alignment.json} has them ({@link HeldOutSection}).
     */
    static String alignment(JsonNode a, RunArtefacts.Weighted weighted) {
        double before = 0;
        double after = 0;
        double shares = 0;
        int fitted = 0;
        int lower = 0;
        String scope;
        JsonNode global = a.path("global_fit");
        if (global.isObject()) {
            before = global.path("mmd2_uniform").asDouble(Double.NaN);
            after = global.path("mmd2_weighted").asDouble(Double.NaN);
            scope = "one global fit";
        } else {
            for (JsonNode l : a.path("labels")) {
                JsonNode fit = l.path("fit");
                if (!fit.path("mmd2_uniform").isNumber() || !fit.path("mmd2_weighted").isNumber()) {
                    continue;
                }
                double share = l.path("real_share").asDouble(0);
                before += share * fit.path("mmd2_uniform").asDouble();
                after += share * fit.path("mmd2_weighted").asDouble();
                shares += share;
                fitted++;
                lower += fit.path("mmd2_weighted").asDouble() < fit.path("mmd2_uniform").asDouble()
                        ? 1 : 0;
            }
            if (fitted == 0 || !(shares > 0)) {
                return null;
            }
            before /= shares;
            after /= shares;
            scope = "averaged over " + fitted + " label" + (fitted == 1 ? "" : "s")
                    + " by their real shares; lower in " + lower + " of " + fitted;
        }
        if (!Double.isFinite(before) || !Double.isFinite(after)) {
            return null;
        }
        StringBuilder sb = new StringBuilder("<b>Alignment</b> ");
        sb.append(after < before ? "lowered" : "did not lower")
                .append(" MMD<sup>2</sup> between the synthetic and the real rows from ")
                .append(Html.num(before)).append(" (uniform weights) to ").append(Html.num(after))
                .append(" (learned weights)");
        if (before > 0) {
            sb.append(", ").append(String.format(Locale.ROOT, "%+.1f%%",
                    100 * (after - before) / before));
        }
        sb.append(" (").append(Html.escape(scope)).append("), measured against the real rows"
                + " the weights were fitted to, where it falls by construction.");
        sb.append(HeldOutSection.verdict(a));
        if (weighted != null) {
            double sum = 0;
            double sumSq = 0;
            int zeros = 0;
            for (double w : weighted.weights()) {
                sum += w;
                sumSq += w * w;
                zeros += w == 0 ? 1 : 0;
            }
            sb.append(" Effective sample size ").append(Html.num(sumSq > 0 ? sum * sum / sumSq : 0))
                    .append(" of ").append(weighted.weights().length)
                    .append(" synthetic rows; ").append(zeros).append(" got weight 0.");
        }
        return sb.toString();
    }

    /** A variant's score on the verdict's metric: per-repeat values and their mean. */
    private record Scored(String name, List<Double> values, double mean) {
    }

    /**
     * The variants of an evaluation document scored on its headline metric: macro-F1 for a
     * classification (variants a list of objects with {@code name}), MRR@10 for a retrieval
     * ({@code task} "retrieval", variants an object keyed by name).
     */
    private static List<Scored> scored(JsonNode ev) {
        List<Scored> out = new ArrayList<>();
        if (retrieval(ev)) {
            for (java.util.Iterator<Map.Entry<String, JsonNode>> it = ev.path("variants").fields();
                    it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.add(new Scored(e.getKey(), numbers(e.getValue().path("values").path(RETRIEVAL_METRIC)),
                        e.getValue().path(RETRIEVAL_METRIC).asDouble(Double.NaN)));
            }
        } else {
            for (JsonNode v : ev.path("variants")) {
                out.add(new Scored(v.path("name").asText(), values(v.path("macroF1")),
                        v.path("macroF1").path("mean").asDouble(Double.NaN)));
            }
        }
        return out;
    }

    /** Whether an evaluation document is a retrieval evaluation. */
    static boolean retrieval(JsonNode ev) {
        return "retrieval".equals(ev.path("task").asText());
    }

    /** The variant that is not trained (retrieval's zero-shot encoder): one value in all repeats. */
    static final String UNTRAINED = "zero_shot";

    /** The retrieval metric the verdict compares. */
    static final String RETRIEVAL_METRIC = "mrr@10";

    /**
     * One line per comparison of the aligned variant with another variant.
     *
     * @param predictions a classification's test predictions, or null
     * @param ranks a retrieval's test ranks, or null; with neither, the seeds-only interval
     */
    static List<String> evaluation(JsonNode ev, TestPredictions predictions, TestRanks ranks) {
        List<String> out = new ArrayList<>();
        List<Scored> variants = scored(ev);
        String unit = retrieval(ev) ? " MRR@10 points" : " macro-F1 points";
        Scored aligned = null;
        for (Scored v : variants) {
            if (v.name().startsWith(ALIGNED)) {
                aligned = v;
            }
        }
        if (aligned == null) {
            out.add("<li id=\"verdict-evaluation\">No aligned variant was evaluated (give"
                    + " <code>evaluate --weighted</code> or <code>--aligned</code>).</li>");
            return out;
        }
        String name = aligned.name();
        long seed = ev.path("settings").path("--seed").asLong(0);
        String rowsNoun = ranks != null ? "test queries" : "test rows";
        int testRows = predictions != null ? predictions.truth().length
                : ranks != null ? ranks.queries() : 0;
        // Kept per-row data of too few rows: no bootstrap over them (its interval would be far
        // too narrow, see the class comment), and the verdict says why.
        String tooFew = (predictions != null || ranks != null) && testRows < MIN_BOOTSTRAP_ROWS
                ? String.format(Locale.ROOT, "too few %s (%d, fewer than %d) for a bootstrap"
                        + " over them", rowsNoun, testRows, MIN_BOOTSTRAP_ROWS)
                : null;
        PairedBootstrap bootstrap = tooFew != null ? null
                : predictions != null
                ? new PairedBootstrap(predictions.truth(), predictions.classes(),
                        PairedBootstrap.DEFAULT_RESAMPLES, seed)
                : ranks != null ? PairedBootstrap.overRowScores(ranks.queries(),
                        PairedBootstrap.DEFAULT_RESAMPLES, seed)
                : null;
        for (Scored other : variants) {
            if (other == aligned) {
                continue;
            }
            String otherName = other.name();
            List<Double> a = aligned.values();
            List<Double> b = other.values();
            // The untrained zero-shot retriever has one value, the same in every repeat: each
            // repeat of the aligned variant is compared with it (a one-sample interval).
            boolean constant = UNTRAINED.equals(otherName) && b.size() == 1 && a.size() >= 2;
            if (constant) {
                b = java.util.Collections.nCopies(a.size(), b.get(0));
            }
            PairedBootstrap.Interval rows = bootstrap == null ? null
                    : rowsInterval(bootstrap, predictions, ranks, name, otherName);
            if (rows != null) {
                Paired seeds = a.size() == b.size() && a.size() >= 2 ? Paired.of(a, b) : null;
                out.add(line(name, otherName, unit, rowsNoun, constant,
                        Combined.of(rows, seeds)));
                continue;
            }
            double diff;
            Paired p = null;
            if (!a.isEmpty() && a.size() == b.size()) {
                p = Paired.of(a, b);
                diff = p.mean();
            } else {
                diff = aligned.mean() - other.mean();
            }
            if (Double.isNaN(diff)) {
                continue;
            }
            String points = String.format(Locale.ROOT, "%+.1f", 100 * diff);
            StringBuilder sb = new StringBuilder("<li class=\"verdict-evaluation\" data-variant=\"")
                    .append(Html.escape(otherName)).append("\"><b>").append(Html.escape(name))
                    .append("</b> ");
            if (p == null || p.n() < 2) {
                sb.append("vs <b>").append(Html.escape(otherName)).append("</b>: ").append(points)
                        .append(unit).append("; ").append(p == null
                                ? "no per-repeat values to pair, so no interval"
                                : "one repeat gives no interval (use --repeats 3 or more)")
                        .append(tooFew == null ? "" : ", and there are " + tooFew)
                        .append('.');
            } else {
                String ci = String.format(Locale.ROOT, "95%% CI %+.1f to %+.1f, %s %d"
                        + " repeats", 100 * p.low(), 100 * p.high(),
                        constant ? "against its one (untrained) value over" : "paired over", p.n())
                        // The repeats vary the seeds, not the test rows: the interval is no
                        // test-set sampling error, which on a few hundred rows can be wider.
                        + " on this test set";
                judged(sb, otherName, points, unit, p.low(), p.high(), ci,
                        tooFew == null ? "" : "; " + tooFew);
            }
            out.add(sb.append("</li>").toString());
        }
        return out;
    }

    /**
     * The bootstrap interval over the test rows (or queries) of {@code name} minus
     * {@code otherName}, or null where the document keeps no per-row data of both with one
     * number of repeats. The untrained {@code zero_shot}'s one array of ranks stands in every
     * repeat, as its one value does in the seeds' interval.
     */
    private static PairedBootstrap.Interval rowsInterval(PairedBootstrap bootstrap,
            TestPredictions predictions, TestRanks ranks, String name, String otherName) {
        if (predictions != null) {
            int[][] a = predictions.byVariant().get(name);
            int[][] b = predictions.byVariant().get(otherName);
            return a == null || b == null || a.length != b.length || a.length == 0 ? null
                    : bootstrap.difference(PairedBootstrap.Metric.MACRO_F1,
                            PairedBootstrap.Scope.TEST_ROWS, a, b);
        }
        double[][] a = ranks.reciprocalRanks(name);
        double[][] b = ranks.reciprocalRanks(otherName);
        if (a == null || b == null || a.length == 0) {
            return null;
        }
        if (UNTRAINED.equals(otherName) && b.length == 1) {
            double[][] repeated = new double[a.length][];
            java.util.Arrays.fill(repeated, b[0]);
            b = repeated;
        }
        return a.length != b.length ? null : bootstrap.meanDifference(
                PairedBootstrap.Scope.TEST_ROWS, a, b);
    }

    /**
     * The test rows' bootstrap interval and the seeds' paired t interval of one difference,
     * combined: each side's half-widths added in quadrature (see the class comment).
     *
     * @param seeds the paired t over the repeats, null with fewer than two repeats
     */
    record Combined(double difference, double low, double high, int rows, int repeats,
            boolean seeds) {

        static Combined of(PairedBootstrap.Interval rows, Paired seeds) {
            double d = rows.difference();
            if (seeds == null || seeds.n() < 2 || Double.isNaN(seeds.low())) {
                return new Combined(d, rows.low(), rows.high(), rows.rows(), rows.repeats(), false);
            }
            double t = seeds.mean() - seeds.low();
            // A percentile interval of a biased statistic (macro-F1 over few rows of a rare
            // class) may miss d: that side's rows' part is then 0, not a negative width squared.
            double below = Math.max(0, d - rows.low());
            double above = Math.max(0, rows.high() - d);
            return new Combined(d, d - Math.sqrt(t * t + below * below),
                    d + Math.sqrt(t * t + above * above), rows.rows(), rows.repeats(), true);
        }
    }

    /**
     * The verdict on a combined interval: a win or a loss where the interval excludes 0,
     * saying what it holds (how many test rows or queries, {@code rowsNoun}, and repeats).
     *
     * @param constant whether the other variant is the untrained one, one value for all repeats
     */
    private static String line(String name, String otherName, String unit, String rowsNoun,
            boolean constant, Combined i) {
        String points = String.format(Locale.ROOT, "%+.1f", 100 * i.difference());
        String ci = String.format(Locale.ROOT, "95%% CI %+.1f to %+.1f: %s", 100 * i.low(),
                100 * i.high(), i.seeds()
                        ? String.format(Locale.ROOT, "a paired bootstrap over %d %s and %s,"
                                + " combined", i.rows(), rowsNoun, constant
                                        ? String.format(Locale.ROOT, "a t over %d repeats against"
                                                + " its one (untrained) value", i.repeats())
                                        : String.format(Locale.ROOT, "a paired t over %d repeats",
                                                i.repeats()))
                        : String.format(Locale.ROOT, "a paired bootstrap over %d %s;"
                                + " %s, so the seeds' spread is not in it", i.rows(), rowsNoun,
                                i.repeats() == 1 ? "one repeat"
                                        : "no per-repeat scores to pair"));
        StringBuilder sb = new StringBuilder("<li class=\"verdict-evaluation\" data-variant=\"")
                .append(Html.escape(otherName)).append("\" data-interval=\"bootstrap\"><b>")
                .append(Html.escape(name)).append("</b> ");
        return judged(sb, otherName, points, unit, i.low(), i.high(), ci, "").append("</li>")
                .toString();
    }

    /**
     * The verdict's words on an interval [low, high] of the difference: a win or a loss where it
     * excludes 0, else not distinguishable; {@code ci} says what the interval is, {@code why}
     * (empty, or "; ..." ) why it holds no more.
     */
    private static StringBuilder judged(StringBuilder sb, String otherName, String points,
            String unit, double low, double high, String ci, String why) {
        String other = "<b>" + Html.escape(otherName) + "</b>";
        if (low > 0) {
            return sb.append("beat ").append(other).append(" by ").append(points).append(unit)
                    .append(" (").append(ci).append(why).append(").");
        }
        if (high < 0) {
            return sb.append("did worse than ").append(other).append(": ").append(points)
                    .append(unit).append(" (").append(ci).append(why).append(").");
        }
        return sb.append("is not distinguishable from ").append(other).append(": ")
                .append(points).append(unit).append(" (").append(ci).append(", which includes 0")
                .append(why).append(").");
    }

    private static List<Double> numbers(JsonNode array) {
        List<Double> out = new ArrayList<>();
        for (JsonNode v : array) {
            if (v.isNumber()) {
                out.add(v.doubleValue());
            }
        }
        return out;
    }

    private static List<Double> values(JsonNode meanStd) {
        return numbers(meanStd.path("values"));
    }
}
