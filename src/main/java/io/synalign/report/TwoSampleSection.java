package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.pipeline.FittedRealRows;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.WeightedFileOrigin;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report's two-sample test sections, from {@value RunFiles#TEST} ({@code test --run-dir},
 * {@code run --run-dir}): per label the MMD² with its permutation p-value and the classifier
 * AUC, uniform and weighted, and where the samples differ (the real rows covered worst and the
 * synthetic rows over-represented most, by the MMD witness).
 */
final class TwoSampleSection {

    /** Significance level the page reads p-values against. */
    static final double ALPHA = io.synalign.pipeline.TwoSampleTesting.ALPHA;
    /** AUC below which the page warns of near-copies ({@code TwoSampleTesting.COPY_AUC}). */
    static final double COPY_AUC = io.synalign.pipeline.TwoSampleTesting.COPY_AUC;
    /** Rows shown per label and direction. */
    static final int ROWS = 3;

    private TwoSampleSection() {
    }

    static String html(JsonNode test) {
        return html(test, null);
    }

    /**
     * @param alignment the run directory's alignment.json, or null: which command's
     *     {@code --holdout-folds} to name
     */
    static String html(JsonNode test, JsonNode alignment) {
        StringBuilder sb = new StringBuilder();
        sb.append("<section id=\"two-sample\"><h2>Can the synthetic rows be told from the real"
                + " ones?</h2>\n");
        if (test == null) {
            notRun(sb, "two-sample", "synalign test --run-dir, or synalign run --run-dir");
            sb.append("</section>\n");
            witness(sb, null);
            return sb.toString();
        }
        Map<String, JsonNode> rows = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = test.path("labels").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            rows.put(e.getKey(), e.getValue());
        }
        boolean weighted = test.path("overall").has("p_value_weighted");
        int labels = rows.size();
        int passing = 0;
        int passingWeighted = 0;
        for (JsonNode l : rows.values()) {
            passing += l.path("p_value").asDouble(0) >= ALPHA ? 1 : 0;
            passingWeighted += l.path("p_value_weighted").asDouble(0) >= ALPHA ? 1 : 0;
        }
        sb.append("<p class=\"meta\" id=\"two-sample-summary\">Kernel two-sample test on the"
                + " embeddings (MMD<sup>2</sup>, ").append(test.path("permutations").asInt())
                .append(" permutations; p &ge; ").append(ALPHA).append(": the test cannot tell the"
                + " sets apart) and a classifier's held-out AUC (0.5: indistinguishable, 1: always"
                + " told apart).");
        int permutations = test.path("permutations").asInt();
        if (labels > 0 && permutations > 0 && 1.0 / (permutations + 1) >= ALPHA) {
            // Too few permutations for any p below the cut-off: no verdict either way.
            sb.append(" With ").append(permutations).append(" permutations the smallest p-value is ")
                    .append(Html.num(1.0 / (permutations + 1))).append(", not below ").append(ALPHA)
                    .append(": the test cannot tell any label apart, however different; rerun"
                    + " with at least " + io.synalign.pipeline.TwoSampleTesting.MIN_PERMUTATIONS
                    + " permutations for a verdict.");
        } else if (labels > 0) {
            sb.append(" Indistinguishable in ").append(passing).append(" of ").append(labels)
                    .append(" labels as generated");
            if (weighted) {
                sb.append(", in ").append(passingWeighted).append(" of ").append(labels)
                        .append(" under the learned weights");
            }
            sb.append('.');
        }
        JsonNode oneFile = test.path("labels_in_one_file");
        List<String> alone = new java.util.ArrayList<>();
        oneFile.path("real").forEach(l -> alone.add(l.asText() + " (real only)"));
        oneFile.path("synthetic").forEach(l -> alone.add(l.asText() + " (synthetic only)"));
        if (!alone.isEmpty()) {
            sb.append(" Not tested on their own, being in one file only (their rows count in the"
                    + " overall row): ").append(Html.escape(String.join(", ", alone))).append('.');
        }
        sb.append("</p>");
        long copies = 0;
        for (JsonNode l : rows.values()) {
            copies += l.path("auc").isNumber() && l.path("auc").asDouble() < Math.min(COPY_AUC,
                    io.synalign.pipeline.TwoSampleTesting.copyAucBound(l.path("real").asInt(0),
                            l.path("synthetic").asInt(0))) ? 1 : 0;
        }
        if (copies > 0) {
            sb.append("<p class=\"meta\" id=\"two-sample-copies\">In ").append(copies)
                    .append(" label(s) the classifier's AUC is below ").append(COPY_AUC)
                    .append(" (and 3 standard deviations of chance)")
                    .append(": worse than chance, which near-copies of real rows cause (a held-out"
                    + " real row is scored like its copies among the synthetic rows). <code>synalign"
                    + " filter --against</code> the real file finds them.</p>");
        }
        if (weighted) {
            long fitted = 0;
            for (JsonNode l : rows.values()) {
                JsonNode auc = l.path("auc_weighted");
                JsonNode ess = l.path("ess_weighted"); // absent in files written before it
                fitted += auc.isNumber() && ess.isNumber()
                        && io.synalign.pipeline.TwoSampleTesting.weightedBelowChance(
                                l.path("real").asInt(0), auc.asDouble(), ess.asDouble()) ? 1 : 0;
            }
            sb.append("<p class=\"meta\" id=\"two-sample-in-sample\">");
            if (fitted > 0) {
                sb.append("In ").append(fitted).append(" label(s) the weighted AUC is below ")
                        .append(COPY_AUC).append(" (and 3 standard deviations of chance at the"
                        + " weights' effective sample size): the weights favour synthetic rows next"
                        + " to these very real rows, as weights fitted to a few real rows do (or"
                        + " near-copies of them that the weights pick). ");
            }
            // Whether these are the rows the weights were fitted to, as test.json records it
            // (the rule and its words are FittedRealRows', which test's stdout prints too).
            FittedRealRows realRows = FittedRealRows.read(test, alignment);
            String note = realRows.note(HeldOutSection.madeByRun(alignment) ? "run" : "align",
                    Html::escape, c -> "<code>" + Html.escape(c) + "</code>");
            sb.append(Character.toUpperCase(note.charAt(0))).append(note.substring(1))
                    .append(".");
            // And how W was told to be the alignment's where only its row count told it.
            WeightedFileOrigin origin = WeightedFileOrigin.read(test);
            String originNote = origin == null ? null : origin.noteBeside(realRows);
            if (originNote != null && !originNote.isBlank()) {
                // As test's stdout words it, not capitalised: it starts with a file's name
                // (rd/alignment.json), which an upper-case letter would make another file's.
                sb.append(" <span id=\"two-sample-weighted-file\">Note: ")
                        .append(Html.escape(originNote)).append(".</span>");
            }
            sb.append("</p>");
        }
        // A list, not the map: a label may itself be named "(overall)".
        List<Map.Entry<String, JsonNode>> table = new ArrayList<>(rows.entrySet());
        table.add(Map.entry("(overall)", test.path("overall")));
        sb.append("<table id=\"two-sample-table\"><thead><tr><th class=\"text\">label</th>"
                + "<th>real</th><th>synthetic</th><th>MMD<sup>2</sup></th><th>p</th><th>AUC</th>");
        if (weighted) {
            sb.append("<th>MMD<sup>2</sup> weighted</th><th>p weighted</th><th>AUC weighted</th>");
        }
        sb.append("</tr></thead><tbody>");
        for (Map.Entry<String, JsonNode> e : table) {
            JsonNode l = e.getValue();
            sb.append("<tr class=\"two-sample-row\" data-label=\"").append(Html.escape(e.getKey()))
                    .append("\"><td class=\"text\">").append(Html.label(e.getKey())).append("</td>");
            cell(sb, l.path("real"));
            cell(sb, l.path("synthetic"));
            cell(sb, l.path("mmd2"));
            cell(sb, l.path("p_value"));
            cell(sb, l.path("auc"));
            if (weighted) {
                cell(sb, l.path("mmd2_weighted"));
                cell(sb, l.path("p_value_weighted"));
                cell(sb, l.path("auc_weighted"));
            }
            sb.append("</tr>");
        }
        sb.append("</tbody></table></section>\n");
        witness(sb, table);
        return sb.toString();
    }

    /** Per label, the real rows covered worst and the synthetic rows over-represented most. */
    private static void witness(StringBuilder sb, List<Map.Entry<String, JsonNode>> rows) {
        sb.append("<section id=\"witness\"><h2>Where they differ</h2>\n");
        if (rows == null) {
            notRun(sb, "witness", "synalign test --run-dir, or synalign run --run-dir");
            sb.append("</section>\n");
            return;
        }
        sb.append("<p class=\"meta\">By the MMD witness function f(z) = mean k(z, real) &minus;"
                + " weighted mean k(z, synthetic): real rows with the largest f lie where the"
                + " synthetic data has the least mass (generate more like them); synthetic rows"
                + " with the most negative f are what it has too much of.</p>");
        int k = 0;
        for (Map.Entry<String, JsonNode> e : rows) {
            JsonNode l = e.getValue();
            sb.append("<details class=\"examples witness\" data-label=\"").append(Html.escape(e.getKey()))
                    .append('"').append(k++ < 3 ? " open" : "").append("><summary>")
                    .append(Html.label(e.getKey())).append("</summary>");
            list(sb, "real rows covered worst", "under-covered", l.path("under_covered"));
            list(sb, "synthetic rows over-represented most", "over-represented", l.path("over_represented"));
            sb.append("</details>");
        }
        sb.append("</section>\n");
    }

    private static void list(StringBuilder sb, String title, String cls, JsonNode items) {
        sb.append("<h4>").append(title).append("</h4><ol class=\"").append(cls).append("\">");
        int shown = 0;
        for (JsonNode r : items) {
            if (shown++ >= ROWS) {
                break;
            }
            sb.append("<li><span class=\"data\">").append(Html.escape(Html.cut(r.path("text").asText(), 300)))
                    .append("</span> <span class=\"meta\">(record ").append(r.path("row").asInt() + 1)
                    .append(", f = ").append(Html.num(r.path("witness").asDouble())).append(")</span></li>");
        }
        if (shown == 0) {
            sb.append("<li class=\"meta\">none listed</li>");
        }
        sb.append("</ol>");
    }

    private static void cell(StringBuilder sb, JsonNode n) {
        sb.append("<td>").append(n.isNumber() ? Html.num(n.doubleValue()) : "&ndash;").append("</td>");
    }

    private static void notRun(StringBuilder sb, String section, String command) {
        sb.append("<p class=\"not-run\" id=\"").append(section).append("-not-run\">Not run: no ")
                .append(RunFiles.TEST).append(" in this run directory (written by <code>")
                .append(Html.escape(command)).append("</code>).</p>");
    }
}
