package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The report's section on the closed loop ({@code generate/run --rounds}): per round and label,
 * the weighted MMD² and the weighted p-value of the rows so far against the real rows, as two
 * line charts and a table, and why the loop stopped.
 */
final class RoundsSection {

    private RoundsSection() {
    }

    static String html(JsonNode generation) {
        StringBuilder sb = new StringBuilder("<section id=\"rounds\"><h2>Rounds of the closed"
                + " loop</h2>\n");
        JsonNode rounds = generation == null ? null : generation.path("rounds");
        if (rounds == null || !rounds.isArray() || rounds.isEmpty()) {
            sb.append("<p class=\"meta\" id=\"rounds-not-run\">One round: generation ran once"
                    + " (<code>--rounds N</code> generates in rounds, each steered to where the"
                    + " rows so far cover the real rows worst).</p></section>\n");
            return sb.toString();
        }
        Set<String> labels = new LinkedHashSet<>();
        for (JsonNode r : rounds) {
            for (Iterator<String> it = r.path("labels").fieldNames(); it.hasNext();) {
                labels.add(it.next());
            }
        }
        List<String> series = new ArrayList<>(labels);
        String field = series.isEmpty() ? "overall" : null;
        if (series.isEmpty()) {
            series.add("(all rows)");
        }
        double[] xs = new double[rounds.size()];
        double[][] mmd = new double[series.size()][rounds.size()];
        double[][] p = new double[series.size()][rounds.size()];
        for (int i = 0; i < rounds.size(); i++) {
            JsonNode r = rounds.get(i);
            xs[i] = r.path("round").asInt(i + 1);
            for (int s = 0; s < series.size(); s++) {
                JsonNode f = field != null ? r.path(field) : r.path("labels").path(series.get(s));
                mmd[s][i] = f.path("mmd2_weighted").isNumber() ? f.path("mmd2_weighted").asDouble() : Double.NaN;
                p[s][i] = f.path("p_value_weighted").isNumber() ? f.path("p_value_weighted").asDouble() : Double.NaN;
            }
        }
        sb.append("<p class=\"meta\" id=\"rounds-stop\">").append(rounds.size())
                .append(" round(s); ").append(Html.escape(generation.path("stop").asText("")))
                .append(". After each round the rows so far were aligned and tested per label; the"
                + " next round's demonstrations were the real rows they covered worst.</p>");
        sb.append("<div class=\"grid\">")
                .append(Charts.lines("rounds-mmd2", "weighted MMD\u00b2 per label", xs, series, mmd,
                        "round", "MMD\u00b2 (log scale)", true))
                .append(Charts.lines("rounds-p", "weighted p-value per label", xs, series, p, "round",
                        "p-value", false))
                .append("</div>");
        sb.append("<table id=\"rounds-table\"><thead><tr><th>round</th><th>added</th><th>rows so"
                + " far</th><th>labels with weighted p &ge; ").append(TwoSampleSection.ALPHA)
                .append("</th><th>target met</th></tr></thead><tbody>");
        for (int i = 0; i < rounds.size(); i++) {
            JsonNode r = rounds.get(i);
            int passing = 0;
            for (int s = 0; s < series.size(); s++) {
                passing += p[s][i] >= TwoSampleSection.ALPHA ? 1 : 0;
            }
            sb.append("<tr class=\"round-row\"><td>").append(r.path("round").asInt()).append("</td><td>")
                    .append(r.path("generated").asInt()).append("</td><td>").append(r.path("synthetic").asInt())
                    .append("</td><td>").append(passing).append(" of ").append(series.size())
                    .append("</td><td>").append(r.path("target_met").asBoolean() ? "yes" : "no")
                    .append("</td></tr>");
        }
        sb.append("</tbody></table></section>\n");
        return sb.toString();
    }
}
