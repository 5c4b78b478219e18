package io.synalign.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Whether the real rows a two-sample test scores weights against are the rows those weights
 * were fitted to: the one rule behind {@code test --weighted}'s note on stdout, the
 * {@value #KEY} object of {@value RunFiles#TEST}, and the report's note under the two-sample
 * table.
 *
 * <p>Why: weights fitted to a few real rows match those rows' particulars, so scored against
 * the same rows they look better than they are (TREC-6, 16 real rows a label: p weighted 0.80
 * to 0.995 in-sample, while against other real rows the weighted MMD^2 was above the uniform
 * one in 5 of 6 labels; docs/RELIABILITY.md, session 21). A weights file records no real set,
 * so the test compares its {@code --real} rows with the {@link RealRowsFingerprint} that
 * {@code align}/{@code run} recorded in the run directory's {@code alignment.json}:
 *
 * <ul>
 *   <li>{@link Status#SAME}: same fingerprint and count, the same rows: in-sample, a fact;</li>
 *   <li>{@link Status#OVERLAP}: some of the test's rows were fitted to, {@code amongFitted}
 *       of them, counted by their texts (the test scores the texts' embeddings, so the same
 *       texts under other labels, or read with another label field, count);</li>
 *   <li>{@link Status#DISJOINT}: listed digests and no text shared: out of sample;</li>
 *   <li>{@link Status#OTHER}: a different set, whose rows were not listed (over
 *       {@value RealRowsFingerprint#LISTED_ROWS}): how many are shared is not known;</li>
 *   <li>{@link Status#UNKNOWN}: nothing to compare with (no run directory, no alignment.json, a
 *       document written before the record, weights of another alignment): the note says, as
 *       before, what in-sample weights would mean, and why it cannot tell.</li>
 * </ul>
 *
 * @param testedRows the test's real rows
 * @param fittedRows the rows the weights were fitted to, -1 when unknown
 * @param amongFitted how many of the test's rows the fit saw, -1 when not known
 * @param fittedSha256 the fitted rows' fingerprint compared with, null when unknown
 * @param whyUnknown why {@link Status#UNKNOWN}, a clause for the note; null otherwise (or for a
 *     document written before this record)
 */
public record FittedRealRows(Status status, int testedRows, int fittedRows, int amongFitted,
        String fittedSha256, String whyUnknown) {

    /** The key of the finding in {@value RunFiles#TEST}. */
    public static final String KEY = "in_sample";

    /** What the comparison found. */
    public enum Status {
        SAME, OVERLAP, DISJOINT, OTHER, UNKNOWN;

        String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The finding for the test's rows {@code tested} against the fit's record {@code fitted};
     * unknown where they are of different kinds (texts, embeddings), which no fingerprint
     * compares.
     */
    public static FittedRealRows compare(RealRowsFingerprint fitted, RealRowsFingerprint tested) {
        if (!fitted.kind().equals(tested.kind())) {
            return unknown(tested.count(), "the run directory's alignment.json records real "
                    + fitted.kind() + " (" + fitted.count() + " rows), which these real "
                    + tested.kind() + " cannot be compared with");
        }
        if (fitted.sha256().equals(tested.sha256()) && fitted.count() == tested.count()) {
            return new FittedRealRows(Status.SAME, tested.count(), fitted.count(), tested.count(),
                    fitted.sha256(), null);
        }
        int among = fitted.amongThese(tested);
        Status status = among < 0 ? Status.OTHER : among == 0 ? Status.DISJOINT : Status.OVERLAP;
        return new FittedRealRows(status, tested.count(), fitted.count(), among,
                fitted.sha256(), null);
    }

    /** No record to compare {@code testedRows} rows with, for the reason {@code why}. */
    public static FittedRealRows unknown(int testedRows, String why) {
        return new FittedRealRows(Status.UNKNOWN, testedRows, -1, -1, null, why);
    }

    /** The {@value #KEY} object of {@value RunFiles#TEST}. */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status.jsonName());
        m.put("real_rows", testedRows);
        m.put("fitted_rows", fittedRows < 0 ? null : fittedRows);
        m.put("among_fitted", amongFitted < 0 ? null : amongFitted);
        m.put("fitted_sha256", fittedSha256);
        m.put("why_unknown", whyUnknown);
        return m;
    }

    /**
     * The finding {@code test} ({@value RunFiles#TEST}) records, checked against the run
     * directory's {@code alignment} (null when absent): a finding made against another
     * alignment's rows than the one the directory now holds is unknown. A document written
     * before the finding was recorded reads as unknown, with no reason.
     */
    public static FittedRealRows read(JsonNode test, JsonNode alignment) {
        JsonNode f = test == null ? null : test.get(KEY);
        int tested = test == null ? 0 : test.path("overall").path("real").asInt(0);
        if (f == null || !f.isObject()) {
            return unknown(tested, null);
        }
        Status status;
        try {
            status = Status.valueOf(f.path("status").asText("").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return unknown(tested, null);
        }
        tested = f.path("real_rows").asInt(tested);
        String why = f.path("why_unknown").isTextual() ? f.path("why_unknown").asText() : null;
        if (status == Status.UNKNOWN) {
            return unknown(tested, why);
        }
        String sha = f.path("fitted_sha256").asText(null);
        RealRowsFingerprint now = alignment == null ? null
                : RealRowsFingerprint.fromJson(alignment.get(RealRowsFingerprint.KEY));
        if (now != null && !now.sha256().equals(sha)) {
            return unknown(tested, "test.json was written against other real rows than this"
                    + " directory's alignment.json records (an alignment written since)");
        }
        return new FittedRealRows(status, tested, f.path("fitted_rows").asInt(-1),
                f.path("among_fitted").asInt(-1), sha, null);
    }

    /**
     * The note, starting in lower case, for weights written by {@code command} ({@code align}
     * or {@code run}): {@code text} renders the words (and the numbers and reasons), {@code code}
     * the command snippets (the report escapes one and wraps the other; stdout leaves both).
     */
    public String note(String command, UnaryOperator<String> text, UnaryOperator<String> code) {
        String fair = text.apply("for a fair figure, test against real rows the weights were not"
                + " fitted to (") + code.apply(command + " --holdout-folds K")
                + text.apply(" measures that from the real rows alone)");
        return switch (status) {
            case SAME -> text.apply("the weights were fitted to these very real rows (the"
                    + " run directory's alignment.json records the same " + testedRows
                    + " rows), so the weighted"
                    + " columns score them in-sample, which flatters them: ") + fair;
            case OVERLAP -> text.apply((amongFitted == testedRows ? "all " : "") + amongFitted
                    + " of these " + testedRows + " real rows are, by their texts, among the "
                    + fittedRows
                    + " the weights were fitted to (by the run directory's alignment.json), so the"
                    + " weighted columns score the weights "
                    + (amongFitted == testedRows ? "" : "partly ") + "in-sample, which flatters"
                    + " them: ") + fair;
            case DISJOINT -> text.apply("the weights were fitted to other real rows (the"
                    + " run directory's alignment.json records " + fittedRows + ", none of their"
                    + " texts among these " + testedRows + "): the weighted columns score the"
                    + " weights on real rows they"
                    + " were not fitted to");
            case OTHER -> text.apply("the weights were fitted to other real rows than these (the"
                    + " run directory's alignment.json records " + fittedRows + " of another fingerprint; whether"
                    + " some of these " + testedRows + " are among them is not recorded for a"
                    + " real set over " + RealRowsFingerprint.LISTED_ROWS + " rows): where none"
                    + " are, the weighted columns score the weights on real rows they were not"
                    + " fitted to");
            case UNKNOWN -> text.apply("the weighted columns score the weights against these"
                    + " real rows; weights learned against them (") + code.apply(command
                    + " --real this file") + text.apply(") are scored in-sample, which flatters"
                    + " them: for a fair figure, test against real rows the weights were not"
                    + " learned against (") + code.apply(command + " --holdout-folds K")
                    + text.apply(" measures that from the real rows alone)"
                    + (whyUnknown == null ? "" : "; " + whyUnknown));
        };
    }
}
