package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * The report's words and table for the held-out check that {@code align --holdout-folds K} and
 * {@code run --holdout-folds K} write into {@code alignment.json} ({@code held_out}): MMD^2 of the synthetic rows, uniform
 * and weighted, to real rows each cross-fitted set of weights was not fitted to. The in-sample
 * figures fall by construction (the weights minimise them); these say whether the drop carries
 * over to other real rows.
 */
final class HeldOutSection {

    private HeldOutSection() {
    }

    /**
     * The {@code held_out} object with the check's figures, or null when the alignment ran
     * without the check or the check failed ({@link #failure}).
     */
    static JsonNode of(JsonNode alignment) {
        JsonNode h = alignment == null ? null : alignment.path("held_out");
        return h != null && h.isObject() && !h.has("failed") ? h : null;
    }

    /**
     * The sentence saying that the check was asked for and failed (align and run record
     * {@code held_out: {"failed": "<why>", "folds": K}} when it fails after the outputs were
     * written), or null when it was not asked for or succeeded. Without it such a document
     * read as one without the check, and the page advised asking for it.
     */
    static String failure(JsonNode alignment) {
        JsonNode h = alignment == null ? null : alignment.path("held_out");
        if (h == null || !h.isObject() || !h.has("failed")) {
            return null;
        }
        return "The held-out check was asked for (<code>--holdout-folds "
                + h.path("folds").asInt() + "</code>) and failed after the outputs were"
                + " written, so nothing was measured on real rows the weights were not fitted"
                + " to: " + Html.escape(h.path("failed").asText()) + ".";
    }

    /**
     * The verdict's sentence on the check, e.g. "On real rows each fit left out (5-fold
     * cross-fitting, 96 rows) MMD<sup>2</sup> went from 0.1285 (uniform) to 0.1317 (learned),
     * +0.003184; lower in 0 of 6 labels."; that it failed, where it did; without a check, how
     * to get one.
     */
    static String verdict(JsonNode alignment) {
        JsonNode h = of(alignment);
        if (h == null && failure(alignment) != null) {
            return " " + failure(alignment);
        }
        if (h == null) {
            String tooFew = tooFewForACheck(alignment);
            return tooFew != null ? " " + tooFew : " Run " + command(alignment) + " to measure it"
                    + " on real rows the weights were not fitted to.";
        }
        int checked = h.path("labels_checked").asInt(0);
        if (checked == 0 || !h.path("mmd2_uniform").isNumber()
                || !h.path("mmd2_weighted").isNumber()) {
            return " The held-out check (" + h.path("folds").asInt() + " folds) could check no "
                    + (byLabel(h) ? "label." : "fit.");
        }
        double u = h.path("mmd2_uniform").asDouble();
        double w = h.path("mmd2_weighted").asDouble();
        StringBuilder sb = new StringBuilder(" On real rows each fit left out (")
                .append(h.path("folds").asInt()).append("-fold cross-fitting, ")
                .append(h.path("n_held_out").asInt()).append(" rows) it ")
                .append(w < u ? "lowered" : "did not lower").append(" MMD<sup>2</sup>: ")
                .append(Html.num(u)).append(" (uniform) to ").append(Html.num(w))
                .append(" (learned), ").append(String.format(Locale.ROOT, "%+.4g", w - u));
        if (byLabel(h)) {
            sb.append("; lower in ").append(h.path("labels_lower").asInt()).append(" of ")
                    .append(checked).append(" label").append(checked == 1 ? "" : "s");
        }
        return sb.append('.').toString();
    }

    /**
     * The command line that adds the check, for the command that made {@code alignment}: a
     * {@code run} user has no align command line to add it to.
     */
    static String command(JsonNode alignment) {
        return "<code>synalign " + (madeByRun(alignment) ? "run" : "align")
                + " --holdout-folds " + suggestedFolds(alignment) + "</code>";
    }

    /**
     * Folds the advice names: 5, or fewer where the largest fitted group (a label aligned on its
     * own, else all real rows) has fewer than the 10 real rows that 5 folds of 2 need, so that
     * the command given is not refused (2 when no group has even 4); 5 when the document does
     * not say.
     */
    static int suggestedFolds(JsonNode alignment) {
        int largest = largestGroup(alignment);
        return largest == 0 ? 5 : Math.max(2, Math.min(5, largest / 2));
    }

    /**
     * Why no held-out check can be run on this alignment's rows (its largest fitted group has
     * fewer than the 4 real rows 2 folds of 2 need), or null: the page then names no command
     * that would be refused.
     */
    static String tooFewForACheck(JsonNode alignment) {
        int largest = largestGroup(alignment);
        return largest == 0 || largest >= 4 ? null : "No held-out check can measure it: the"
                + " largest fitted group has " + largest + " real row" + (largest == 1 ? "" : "s")
                + ", and a check needs 4 (2 folds of at least 2).";
    }

    /**
     * Real rows of the largest fitted group: a label aligned on its own, else all real rows
     * (a global fit: global_fit set; the run directory's copy drops "mode", a setting); 0 when
     * the document does not say.
     */
    private static int largestGroup(JsonNode alignment) {
        if (alignment == null) {
            return 0;
        }
        int largest = 0;
        if (!alignment.path("global_fit").isObject()) {
            for (JsonNode l : alignment.path("labels")) {
                if ("aligned".equals(l.path("status").asText())) {
                    largest = Math.max(largest, l.path("n_real").asInt(0));
                }
            }
        }
        return largest == 0 ? alignment.path("n_real").asInt(0) : largest;
    }

    /**
     * Whether {@code run} wrote {@code alignment}: its {@code command}; in a document written
     * before that field, its {@code settings}, which list every alignment option of the command
     * that wrote it, given or not, and only {@code run} has {@code --weighted-out} (align writes
     * the weighted rows to {@code --out}).
     */
    static boolean madeByRun(JsonNode alignment) {
        if (alignment == null) {
            return false;
        }
        JsonNode command = alignment.path("command");
        return command.isTextual() ? "run".equals(command.asText())
                : alignment.path("settings").has("--weighted-out");
    }

    private static boolean byLabel(JsonNode h) {
        JsonNode labels = h.path("labels");
        return labels.size() > 1 || labels.size() == 1
                && !io.synalign.engine.labelled.LabelPlan.ALL.equals(labels.get(0).path("label").asText());
    }

    /** The MMD section's held-out table and what it measures; empty without a check. */
    static String table(JsonNode alignment) {
        JsonNode h = of(alignment);
        if (h == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder("<h3>Held-out check</h3><p class=\"meta\">")
                .append(h.path("folds").asInt()).append("-fold cross-fitting: ")
                .append(byLabel(h) ? "per label, the real rows" : "the real rows")
                .append(" were split into folds; weights were fitted without each fold,"
                        + " with the same settings, and MMD<sup>2</sup> measured between the"
                        + " weighted synthetic rows and that fold's real rows, the real rows'"
                        + " pairs with themselves left out (so a few rows do not raise it; it can"
                        + " be a little below 0); averaged over the folds. Compare uniform with"
                        + " weighted, not with the in-sample figures (the fit's objective, whose"
                        + " real term keeps those pairs).</p><table"
                        + " id=\"mmd-heldout-table\"><thead><tr>"
                        + "<th class=\"text\">label</th><th>real</th><th>synthetic</th>"
                        + "<th>MMD<sup>2</sup> uniform</th><th>MMD<sup>2</sup> weighted</th>"
                        + "<th>weighted &minus; uniform</th><th class=\"text\">note</th>"
                        + "</tr></thead><tbody>");
        for (JsonNode l : h.path("labels")) {
            double u = number(l.path("mmd2_uniform"));
            double w = number(l.path("mmd2_weighted"));
            sb.append("<tr class=\"heldout-row\" data-label=\"")
                    .append(Html.escape(l.path("label").asText())).append("\"><td class=\"text\">")
                    .append(Html.label(l.path("label").asText())).append("</td><td>")
                    .append(Html.num(number(l.path("n_real")))).append("</td><td>")
                    .append(Html.num(number(l.path("n_synthetic")))).append("</td><td>")
                    .append(Html.num(u)).append("</td><td>").append(Html.num(w))
                    .append("</td><td>").append(signed(w - u)).append("</td><td class=\"text\">")
                    .append(l.path("skipped").isTextual()
                            ? "not checked: " + Html.escape(l.path("skipped").asText()) : "")
                    .append("</td></tr>");
        }
        sb.append("<tr class=\"heldout-row\" data-label=\"\"><td class=\"text\">all</td><td>")
                .append(Html.num(number(h.path("n_held_out")))).append("</td><td>-</td><td>")
                .append(Html.num(number(h.path("mmd2_uniform")))).append("</td><td>")
                .append(Html.num(number(h.path("mmd2_weighted")))).append("</td><td>")
                .append(signed(number(h.path("mmd2_change")))).append("</td><td class=\"text\">")
                .append("averaged over the checked labels by their real rows</td></tr>");
        return sb.append("</tbody></table>").toString();
    }

    /** A difference with its sign: a rise reads as one. */
    private static String signed(double v) {
        return (v > 0 ? "+" : "") + Html.num(v);
    }

    private static double number(JsonNode n) {
        return n != null && n.isNumber() ? n.doubleValue() : Double.NaN;
    }
}
