package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.pipeline.RunFiles;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report of one run directory as a single self-contained HTML page: inline CSS and SVG, no
 * scripts, no external fonts or images, nothing fetched. Sections (each a "not run" note when
 * its artefact is absent): the verdict (what alignment changed, and whether the aligned variant
 * trained a better student, with paired intervals), weight histograms per label, texts per label
 * (highest-weighted, zero-weighted, real), MMD^2 before and after alignment per label, a 2-D PCA
 * projection fitted on the real rows and coloured by label (uniform and weighted point sizes),
 * the evaluation table, generation coverage, and one settings table.
 *
 * <p>Stable element ids for tools and tests: {@code weights-histogram}, {@code mmd-chart},
 * {@code mmd-table}, {@code pca-plot} (panels {@code pca-uniform}, {@code pca-weighted}),
 * {@code evaluation-table}, {@code generation-table}, {@code settings} ({@code settings-table}),
 * {@code verdict}, {@code examples}, {@code pca-legend}; a missing section has
 * an element with class {@code not-run} and id {@code SECTION-not-run}.
 */
public final class ReportPage {

    /** At most this many points per side in the PCA plot (deterministic subsample). */
    public static final int MAX_POINTS_PER_SIDE = 2000;
    static final int HISTOGRAM_BINS = 20;

    private static final String CSS = """
            body{font-family:sans-serif;margin:24px;color:#222;background:#fff;max-width:1160px}
            h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;\
            border-bottom:1px solid #ccc;padding-bottom:4px}
            .meta{color:#555;font-size:13px}
            .not-run{background:#fff6e0;border:1px solid #e8c66a;padding:8px 12px;color:#6b5200}
            table{border-collapse:collapse;font-size:13px;margin:8px 0}
            th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
            th{background:#f0f0f0}td.text,th.text{text-align:left}
            td,th,figcaption,.data,svg text{unicode-bidi:isolate}.data{overflow-wrap:anywhere}
            .grid{display:flex;flex-wrap:wrap;gap:12px}
            figure{margin:0;border:1px solid #ddd;padding:6px}
            figcaption{font-size:12px;color:#333;max-width:340px;overflow-wrap:anywhere}
            svg text{font-size:11px;fill:#333}
            .axis{stroke:#666;fill:none}.zero{stroke:#999}.frame{fill:#fafafa;stroke:#ccc}
            .histogram-chart .bar{fill:#4a7fb5}.marker{stroke:#c0392b;stroke-dasharray:4 3}
            .bar.series-0{fill:#9e9e9e}.bar.series-1{fill:#2e9d5b}
            .legend span{display:inline-block;margin-right:16px;font-size:13px}
            .tick{stroke:#666}line.grid{stroke:#e4e4e4}
            circle.real{fill-opacity:.95;stroke:#111;stroke-width:.8}
            circle.synthetic{fill-opacity:.35}
            circle.synthetic.zero{fill:none;stroke-width:.8}
            .c0{fill:#4e79a7;stroke:#4e79a7}.c1{fill:#f28e2b;stroke:#f28e2b}
            .c2{fill:#e15759;stroke:#e15759}.c3{fill:#76b7b2;stroke:#76b7b2}
            .c4{fill:#59a14f;stroke:#59a14f}.c5{fill:#edc948;stroke:#edc948}
            .c6{fill:#b07aa1;stroke:#b07aa1}.c7{fill:#ff9da7;stroke:#ff9da7}
            .c8{fill:#9c755f;stroke:#9c755f}.c9{fill:#bab0ac;stroke:#bab0ac}
            circle.real.c0,circle.real.c1,circle.real.c2,circle.real.c3,circle.real.c4,\
            circle.real.c5,circle.real.c6,circle.real.c7,circle.real.c8,circle.real.c9{stroke:#111}
            #verdict ul{margin:6px 0;padding-left:20px}#verdict li{margin:4px 0}
            details.examples{margin:6px 0;border:1px solid #ddd;padding:4px 8px}
            details.examples summary{cursor:pointer;font-weight:bold}
            .examples h4{margin:6px 0 2px;font-size:13px}
            .examples ol{margin:2px 0 6px;padding-left:24px;font-size:13px}
            td.given{font-weight:bold}.legend svg circle.real{fill-opacity:1}
            path.series-line{fill:none;stroke-width:2}
            .other-experiment{border:2px solid #c60;background:#fff4e5;padding:4px 10px;margin:6px 0}
            .swatch{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}
            .scroll{overflow-x:auto;max-width:100%}
            """;

    private final RunArtefacts run;

    public ReportPage(RunArtefacts run) {
        this.run = run;
    }

    /** The whole page. */
    public String html() {
        StringBuilder sb = new StringBuilder(1 << 16);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width\">")
                .append("<title>SynAlign report</title><style>").append(CSS)
                .append("</style></head><body>\n");
        sb.append("<h1 id=\"title\">SynAlign report</h1><p class=\"meta\">Run directory: <code"
                + " id=\"run-dir\">").append(Html.escape(run.dir().toString()))
                .append("</code></p>\n");
        sb.append(Verdict.html(run.alignment(), run.weighted(), run.evaluation(),
                run.testPredictions(), run.testRanks(), run.provenance().evaluation()));
        weights(sb);
        examples(sb);
        queries(sb);
        mmd(sb);
        pca(sb);
        sb.append(TwoSampleSection.html(run.test(), run.alignment()));
        evaluation(sb);
        generation(sb);
        sb.append(RoundsSection.html(run.generation()));
        settings(sb);
        return sb.append("</body></html>\n").toString();
    }

    // ------------------------------------------------------------ weights

    private void weights(StringBuilder sb) {
        sb.append("<section id=\"weights\"><h2>Synthetic weights per label</h2>\n");
        RunArtefacts.Weighted w = run.weighted();
        if (w == null) {
            notRun(sb, "weights", RunFiles.WEIGHTED, "synalign align --run-dir");
            sb.append("</section>\n");
            return;
        }
        sb.append("<p class=\"meta\">Each row's weight divided by its label's mean weight: 1"
                + " (dashed line) is the uniform weight; 0 drops the row.</p>");
        sb.append("<div id=\"weights-histogram\" class=\"grid\">");
        for (Map.Entry<String, List<Integer>> g : groups(w).entrySet()) {
            List<Integer> rows = g.getValue();
            double sum = 0;
            double sumSq = 0;
            int zeros = 0;
            for (int i : rows) {
                sum += w.weights()[i];
                sumSq += w.weights()[i] * w.weights()[i];
                zeros += w.weights()[i] == 0 ? 1 : 0;
            }
            double mean = sum / rows.size();
            double[] ratios = new double[rows.size()];
            for (int k = 0; k < ratios.length; k++) {
                ratios[k] = mean > 0 ? w.weights()[rows.get(k)] / mean : 0;
            }
            String label = g.getKey();
            sb.append("<figure class=\"histogram\" data-label=\"").append(Html.escape(label))
                    .append("\">")
                    .append(Charts.histogram(Histogram.of(ratios, HISTOGRAM_BINS), 1,
                            "weight / mean weight"))
                    .append("<figcaption><b class=\"label\">").append(Html.label(label))
                    .append("</b>: ").append(rows.size()).append(" rows, ESS ")
                    .append(Html.num(sumSq > 0 ? sum * sum / sumSq : 0)).append(", ")
                    .append(zeros).append(" with weight 0, weight share ")
                    .append(Html.percent(sum)).append("</figcaption></figure>");
        }
        sb.append("</div></section>\n");
    }

    /** Row indices per label, in order of first appearance; one group without labels. */
    private static Map<String, List<Integer>> groups(RunArtefacts.Weighted w) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < w.weights().length; i++) {
            String label = w.labels() == null ? "all rows" : w.labels().get(i);
            groups.computeIfAbsent(label, k -> new ArrayList<>()).add(i);
        }
        return groups;
    }

    // ------------------------------------------------------------ MMD

    private void mmd(StringBuilder sb) {
        sb.append("<section id=\"mmd\"><h2>MMD<sup>2</sup> before and after alignment</h2>\n");
        JsonNode a = run.alignment();
        if (a == null) {
            notRun(sb, "mmd", RunFiles.ALIGNMENT, "synalign align --run-dir");
            sb.append("</section>\n");
            return;
        }
        List<String> categories = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        StringBuilder rows = new StringBuilder();
        for (JsonNode l : a.path("labels")) {
            String label = l.path("label").asText();
            JsonNode fit = l.path("fit");
            double before = number(fit.path("mmd2_uniform"));
            double after = number(fit.path("mmd2_weighted"));
            if (!Double.isNaN(before) || !Double.isNaN(after)) {
                categories.add(label);
                values.add(new double[] {before, after});
            }
            rows.append("<tr class=\"mmd-row\" data-label=\"").append(Html.escape(label))
                    .append("\"><td class=\"text\">").append(Html.label(label))
                    .append("</td><td class=\"text\">").append(Html.escape(l.path("status")
                            .asText())).append("</td>");
            cells(rows, Html.num(number(l.path("n_real"))), Html.num(number(l.path("n_synthetic"))),
                    Html.num(before), Html.num(after), reduction(fit),
                    Html.num(number(l.path("effective_sample_size"))),
                    share(l.path("real_share")), share(l.path("weight_share")));
            rows.append("</tr>");
        }
        JsonNode global = a.path("global_fit");
        if (global.isObject()) {
            categories.add("all (global fit)");
            values.add(new double[] {number(global.path("mmd2_uniform")),
                number(global.path("mmd2_weighted"))});
            rows.append("<tr class=\"mmd-row\" data-label=\"\"><td class=\"text\">all (global"
                    + " fit)</td><td class=\"text\">fitted</td>");
            cells(rows, Html.num(number(a.path("n_real"))), Html.num(number(a.path("n_synthetic"))),
                    Html.num(number(global.path("mmd2_uniform"))),
                    Html.num(number(global.path("mmd2_weighted"))), reduction(global),
                    Html.num(number(a.path("effective_sample_size"))), "100.0%", "-");
            rows.append("</tr>");
        }
        if (categories.isEmpty()) {
            sb.append("<p class=\"meta\">No MMD<sup>2</sup> values in ").append(RunFiles.ALIGNMENT)
                    .append(".</p>");
        } else {
            sb.append(Charts.groupedBars("mmd-chart", categories,
                    List.of("uniform (before)", "weighted (after)"),
                    values.toArray(double[][]::new)));
        }
        String estimator = firstText(a, "mmd_estimator");
        sb.append("<table id=\"mmd-table\"><thead><tr><th class=\"text\">label</th>"
                + "<th class=\"text\">status</th><th>real</th><th>synthetic</th>"
                + "<th>MMD<sup>2</sup> uniform</th><th>MMD<sup>2</sup> weighted</th>"
                + "<th>reduction</th><th>ESS</th><th>real share</th><th>weight share</th>"
                + "</tr></thead><tbody>").append(rows).append("</tbody></table>");
        if (estimator != null) {
            sb.append("<p class=\"meta\">MMD<sup>2</sup> estimator: ")
                    .append(Html.escape(estimator)).append("</p>");
        }
        // The table's MMD^2 is to the rows the weights minimised it to.
        sb.append("<p class=\"meta\" id=\"mmd-in-sample\">These MMD<sup>2</sup> values are"
                + " measured against the real rows the weights were fitted to (in-sample), so"
                + " the weighted value is lower by construction.")
                .append(HeldOutSection.of(a) != null ? ""
                        : HeldOutSection.failure(a) != null ? " " + HeldOutSection.failure(a)
                        : HeldOutSection.tooFewForACheck(a) != null
                                ? " " + HeldOutSection.tooFewForACheck(a)
                                : " " + HeldOutSection.command(a)
                                        + " measures it on real rows the weights did not see.")
                .append("</p>").append(HeldOutSection.table(a));
        sb.append("</section>\n");
    }

    private static String reduction(JsonNode fit) {
        double r = number(fit.path("mmd2_reduction"));
        return Double.isNaN(r) ? "-" : Html.percent(r);
    }

    private static String share(JsonNode n) {
        double v = number(n);
        return Double.isNaN(v) ? "-" : Html.percent(v);
    }

    /** The first text value of {@code field} in the per-label fits or the global fit. */
    private static String firstText(JsonNode a, String field) {
        if (a.path("global_fit").path(field).isTextual()) {
            return a.path("global_fit").path(field).asText();
        }
        for (JsonNode l : a.path("labels")) {
            if (l.path("fit").path(field).isTextual()) {
                return l.path("fit").path(field).asText();
            }
        }
        return null;
    }

    // ------------------------------------------------------------ PCA

    /** Colour classes of the label palette; labels beyond it share colours in turn. */
    static final int COLOURS = 10;

    private void pca(StringBuilder sb) {
        sb.append("<section id=\"pca\"><h2>Real and synthetic embeddings (PCA)</h2>\n");
        RunArtefacts.Embeddings e = run.embeddings();
        if (e == null) {
            notRun(sb, "pca", RunFiles.REAL_EMBEDDINGS + " and " + RunFiles.SYNTHETIC_EMBEDDINGS,
                    "synalign align --run-dir");
            sb.append("</section>\n");
            return;
        }
        int[] realRows = e.realRows();
        int[] synthRows = e.syntheticRows();
        if (realRows.length + synthRows.length == 0) {
            sb.append("<p class=\"meta\">Both embedding files are empty.</p></section>\n");
            return;
        }
        EmbeddingProjection projection = EmbeddingProjection.of(e);
        Pca pca = projection.pca();
        List<String> realLabels = run.realLabels();
        List<String> synthLabels = run.weighted() == null ? null : run.weighted().labels();
        Map<String, Integer> colour = new LinkedHashMap<>();
        for (List<String> ls : java.util.Arrays.asList(realLabels, synthLabels)) {
            if (ls != null) {
                for (String l : ls) {
                    colour.putIfAbsent(l, colour.size() % COLOURS);
                }
            }
        }
        double[] w = run.weighted() == null ? null : run.weighted().weights();
        double total = 0;
        if (w != null) {
            for (double v : w) {
                total += v;
            }
        }
        List<Charts.Point> uniform = new ArrayList<>();
        List<Charts.Point> sized = new ArrayList<>();
        for (int i = 0; i < synthRows.length; i++) {
            double[] p = projection.synthetic()[i];
            String c = colourClass(colour, synthLabels, synthRows[i]);
            uniform.add(new Charts.Point(p[0], p[1], 2.2, "synthetic " + c));
            if (w != null) {
                // Area proportional to the weight: radius 2.2 at the uniform weight total / n.
                double rel = total > 0 ? w[synthRows[i]] * w.length / total : 0;
                sized.add(rel == 0 ? new Charts.Point(p[0], p[1], 1.8, "synthetic zero " + c)
                        : new Charts.Point(p[0], p[1],
                                Math.min(14, Math.max(0.6, 2.2 * Math.sqrt(rel))), "synthetic " + c));
            }
        }
        // Large circles first, so that small ones stay visible on top.
        sized.sort((p, q) -> Double.compare(q.radius(), p.radius()));
        List<Charts.Point> realDrawn = new ArrayList<>();
        for (int i = 0; i < realRows.length; i++) {
            double[] p = projection.real()[i];
            realDrawn.add(new Charts.Point(p[0], p[1], 3.2, "real "
                    + colourClass(colour, realLabels, realRows[i])));
        }
        // The real points last: on top of the (usually many more) synthetic ones.
        uniform.addAll(realDrawn);
        List<Charts.Point> weighted = new ArrayList<>(sized);
        weighted.addAll(realDrawn);
        // Both panels show the same positions: one set of bounds keeps them comparable.
        Charts.Bounds bounds = Charts.Bounds.of(uniform);
        sb.append("<p class=\"meta legend\" id=\"pca-legend\">");
        int shown = 0;
        for (Map.Entry<String, Integer> c : colour.entrySet()) {
            if (shown++ == COLOURS) {
                sb.append("<span>+").append(colour.size() - COLOURS)
                        .append(" more labels, which reuse these colours</span>");
                break;
            }
            sb.append("<span><svg width=\"10\" height=\"10\"><circle class=\"real c")
                    .append(c.getValue()).append("\" cx=\"5\" cy=\"5\" r=\"4\"/></svg> ")
                    .append(Html.label(c.getKey())).append("</span>");
        }
        sb.append("</p><p class=\"meta\">Real rows: dark-outlined dots, drawn on top; synthetic"
                + " rows: pale dots. Colour: the row's label. The axes are the first two"
                + " principal components of the ").append(projection.fittedOnReal() ? "real rows" : "real and"
                + " synthetic rows (too few real rows to fit them alone)").append(": PC1 ")
                .append(Html.percent(pca.explained(0))).append(" and PC2 ")
                .append(Html.percent(pca.explained(1))).append(" of their variance. Showing ")
                .append(realRows.length).append(" of ").append(e.realTotal())
                .append(" real and ").append(synthRows.length).append(" of ")
                .append(e.syntheticTotal()).append(" synthetic rows (")
                .append(e.cols()).append(" dimensions).</p>");
        sb.append("<div id=\"pca-plot\" class=\"grid\">");
        sb.append(Charts.scatter("pca-uniform", "synthetic rows, uniform weight", uniform,
                bounds, "PC1", "PC2"));
        if (w != null) {
            sb.append(Charts.scatter("pca-weighted",
                    "synthetic rows sized by weight (area), hollow: weight 0", weighted, bounds,
                    "PC1", "PC2"));
        } else {
            notRun(sb, "pca-weighted", RunFiles.WEIGHTED, "synalign align --run-dir");
        }
        sb.append("</div></section>\n");
    }

    private static String colourClass(Map<String, Integer> colour, List<String> labels, int row) {
        if (labels == null || row >= labels.size()) {
            return "c0";
        }
        return "c" + colour.getOrDefault(labels.get(row), 0);
    }

    // ------------------------------------------------------------ examples

    /** Texts shown per label and kind (highest weight, weight 0, real). */
    static final int EXAMPLES = 3;
    /** Characters shown per text. */
    static final int EXAMPLE_CHARS = 240;
    /** Labels whose examples are open when the page loads; the rest are one click away. */
    static final int OPEN_LABELS = 4;

    private void examples(StringBuilder sb) {
        sb.append("<section id=\"examples\"><h2>Texts per label</h2>\n");
        RunArtefacts.Weighted w = run.weighted();
        if (w == null || w.texts() == null) {
            notRun(sb, "examples", RunFiles.WEIGHTED, "synalign align --run-dir");
            sb.append("</section>\n");
            return;
        }
        RunArtefacts.RealTexts real = run.realTexts();
        sb.append("<p class=\"meta\">Per label: the synthetic texts with the highest weight"
                + " (the weight as a multiple of the label's mean weight), synthetic texts that"
                + " got weight 0 (alignment drops them), and real texts of the label.");
        if (real.texts() == null) {
            sb.append(" Real texts not shown: ").append(Html.escape(real.problem())).append('.');
        }
        sb.append("</p>");
        // The first real texts of each label, in one pass over the real rows.
        Map<String, List<String>> realShown = new LinkedHashMap<>();
        if (real.texts() != null) {
            for (int i = 0; i < real.texts().size(); i++) {
                String label = w.labels() == null ? "" : real.labels().get(i);
                List<String> shown = realShown.computeIfAbsent(label, x -> new ArrayList<>());
                if (shown.size() < EXAMPLES && real.texts().get(i) != null) {
                    shown.add(real.texts().get(i));
                }
            }
        }
        int k = 0;
        for (Map.Entry<String, List<Integer>> g : groups(w).entrySet()) {
            List<Integer> rows = g.getValue();
            double sum = 0;
            for (int i : rows) {
                sum += w.weights()[i];
            }
            double mean = sum / rows.size();
            List<Integer> byWeight = new ArrayList<>(rows);
            byWeight.sort((x, y) -> Double.compare(w.weights()[y], w.weights()[x]));
            sb.append("<details class=\"examples\" data-label=\"").append(Html.escape(g.getKey()))
                    .append('"').append(k++ < OPEN_LABELS ? " open" : "").append("><summary>")
                    .append(Html.label(g.getKey())).append(" (").append(rows.size())
                    .append(" synthetic rows)</summary>");
            sb.append("<h4>highest weight</h4><ol class=\"top-weighted\">");
            for (int i = 0; i < Math.min(EXAMPLES, byWeight.size()); i++) {
                int r = byWeight.get(i);
                if (w.weights()[r] == 0) {
                    break;
                }
                exampleItem(sb, w.texts().get(r), String.format(java.util.Locale.ROOT, "%.2f&times;",
                        mean > 0 ? w.weights()[r] / mean : 0));
            }
            if (byWeight.isEmpty() || w.weights()[byWeight.get(0)] == 0) {
                // Every row got weight 0: an empty list read as a rendering fault.
                sb.append("<li class=\"meta\">none: every synthetic row of this label got"
                        + " weight 0</li>");
            }
            sb.append("</ol><h4>weight 0</h4><ol class=\"zero-weighted\">");
            int zeros = 0;
            for (int r : rows) {
                if (w.weights()[r] == 0 && zeros < EXAMPLES) {
                    exampleItem(sb, w.texts().get(r), null);
                    zeros++;
                }
            }
            if (zeros == 0) {
                sb.append("<li class=\"meta\">no synthetic row of this label got weight 0</li>");
            }
            sb.append("</ol>");
            if (real.texts() != null) {
                sb.append("<h4>real</h4><ol class=\"real-texts\">");
                List<String> shown = realShown.getOrDefault(w.labels() == null ? ""
                        : g.getKey(), List.of());
                for (String text : shown) {
                    exampleItem(sb, text, null);
                }
                if (shown.isEmpty()) {
                    sb.append("<li class=\"meta\">no real row has this label</li>");
                }
                sb.append("</ol>");
            }
            sb.append("</details>");
        }
        sb.append("</section>\n");
    }

    private static void exampleItem(StringBuilder sb, String text, String weight) {
        sb.append("<li><span class=\"data\">").append(Html.escape(text == null ? "(no text)"
                : Html.cut(text, EXAMPLE_CHARS))).append("</span>");
        if (weight != null) {
            sb.append(" <span class=\"meta\">(").append(weight).append(")</span>");
        }
        sb.append("</li>");
    }

    // ------------------------------------------------------------ queries

    /** Queries most shown per passage, and passages shown. */
    static final int QUERIES_PER_PASSAGE = 6;
    static final int PASSAGES_SHOWN = 5;

    /**
     * Query rows (the synthetic rows carry a corpus_id): the shape of real, synthetic and aligned
     * queries ({@link QueryProfile}), and the passages with the most weight, each with its
     * queries and their weights.
     */
    private void queries(StringBuilder sb) {
        RunArtefacts.Weighted w = run.weighted();
        if (w == null || w.corpusIds() == null || w.texts() == null) {
            return;
        }
        sb.append("<section id=\"queries\"><h2>Queries: real, synthetic and aligned</h2>\n");
        sb.append("<p class=\"meta\">Length in words and form of the queries; the aligned row weighs"
                + " each synthetic query by its alignment weight.</p>");
        sb.append("<table id=\"query-profile-table\"><thead><tr><th class=\"text\">queries</th>"
                + "<th>mean words</th>");
        for (String b : QueryProfile.BUCKET_NAMES) {
            sb.append("<th>").append(Html.escape(b)).append("</th>");
        }
        sb.append("<th>questions</th></tr></thead><tbody>");
        if (run.realTexts().texts() != null) {
            profileRow(sb, "real", QueryProfile.of(run.realTexts().texts(), null));
        }
        profileRow(sb, "synthetic", QueryProfile.of(w.texts(), null));
        profileRow(sb, "aligned", QueryProfile.of(w.texts(), w.weights()));
        sb.append("</tbody></table>");
        Map<String, Double> mass = new java.util.HashMap<>();
        Map<String, List<Integer>> rows = new java.util.LinkedHashMap<>();
        for (int i = 0; i < w.weights().length; i++) {
            mass.merge(w.corpusIds().get(i), w.weights()[i], Double::sum);
            rows.computeIfAbsent(w.corpusIds().get(i), k -> new ArrayList<>()).add(i);
        }
        List<String> top = rows.keySet().stream()
                .sorted((a, b) -> Double.compare(mass.get(b), mass.get(a))).limit(PASSAGES_SHOWN).toList();
        sb.append("<table id=\"query-examples-table\"><thead><tr><th class=\"text\">passage</th>"
                + "<th>weight</th><th class=\"text\">queries (weight)</th></tr></thead><tbody>");
        for (String id : top) {
            List<Integer> qs = new ArrayList<>(rows.get(id));
            qs.sort((a, b) -> Double.compare(w.weights()[b], w.weights()[a]));
            StringBuilder list = new StringBuilder();
            for (int i : qs.subList(0, Math.min(QUERIES_PER_PASSAGE, qs.size()))) {
                list.append(list.length() == 0 ? "" : "<br>").append(Html.escape(Html.cut(w.texts().get(i), 120)))
                        .append(" (").append(Html.num(w.weights()[i])).append(")");
            }
            sb.append("<tr class=\"query-example\"><td class=\"text\"><code>").append(Html.escape(id))
                    .append("</code></td><td>").append(Html.num(mass.get(id))).append("</td><td class=\"text\">")
                    .append(list).append("</td></tr>");
        }
        sb.append("</tbody></table></section>\n");
    }

    private static void profileRow(StringBuilder sb, String name, QueryProfile p) {
        sb.append("<tr class=\"query-profile\" data-set=\"").append(name).append("\"><td class=\"text\">")
                .append(name).append("</td>");
        cells(sb, Html.num(p.meanWords()));
        for (double share : p.bucketShares()) {
            cells(sb, Double.isNaN(p.meanWords()) ? "-" : Html.percent(share));
        }
        cells(sb, Double.isNaN(p.questionShare()) ? "-" : Html.percent(p.questionShare()));
        sb.append("</tr>");
    }

    // ------------------------------------------------------------ evaluation

    private void evaluation(StringBuilder sb) {
        sb.append("<section id=\"evaluation\"><h2>Downstream evaluation</h2>\n");
        JsonNode ev = run.evaluation();
        if (ev == null) {
            notRun(sb, "evaluation", RunFiles.EVALUATION, "synalign evaluate");
            sb.append("</section>\n");
            return;
        }
        otherExperiment(sb, "evaluation", run.provenance().evaluation());
        if (Verdict.retrieval(ev)) {
            retrievalEvaluation(sb, ev);
            sb.append("</section>\n");
            return;
        }
        sb.append("<p class=\"meta\">Classifier: ").append(Html.escape(ev.path("settings")
                .path("--classifier").asText("?"))).append(", repeats: ").append(Html.escape(ev
                .path("settings").path("--repeats").asText("?")))
                .append("; mean &plusmn; std over the repeats.</p>");
        sb.append("<table id=\"evaluation-table\"><thead><tr><th class=\"text\">variant</th>"
                + "<th>train rows</th><th>accuracy</th><th>macro-F1</th>"
                + "<th>MMD<sup>2</sup> to test</th><th>ESS</th></tr></thead><tbody>");
        List<String> labels = new ArrayList<>();
        for (JsonNode v : ev.path("variants")) {
            String name = v.path("name").asText();
            sb.append("<tr class=\"evaluation-row\" data-variant=\"").append(Html.escape(name))
                    .append("\"><td class=\"text\">").append(Html.escape(name)).append("</td>");
            cells(sb, Html.num(number(v.path("trainRows"))), meanStd(v.path("accuracy")),
                    meanStd(v.path("macroF1")), Html.num(number(v.path("mmd2ToTest")
                            .path("overall"))), Html.num(number(v.path("ess"))));
            sb.append("</tr>");
            for (Iterator<String> it = v.path("mmd2ToTest").path("perLabel").fieldNames();
                    it.hasNext(); ) {
                String l = it.next();
                if (!labels.contains(l)) {
                    labels.add(l);
                }
            }
        }
        sb.append("</tbody></table>");
        if (!labels.isEmpty()) {
            sb.append("<table id=\"evaluation-mmd-table\"><thead><tr><th class=\"text\">"
                    + "MMD<sup>2</sup> to test, per label</th>");
            for (JsonNode v : ev.path("variants")) {
                sb.append("<th>").append(Html.escape(v.path("name").asText())).append("</th>");
            }
            sb.append("</tr></thead><tbody>");
            for (String l : labels) {
                sb.append("<tr><td class=\"text\">").append(Html.label(l)).append("</td>");
                for (JsonNode v : ev.path("variants")) {
                    cells(sb, Html.num(number(v.path("mmd2ToTest").path("perLabel").path(l))));
                }
                sb.append("</tr>");
            }
            sb.append("</tbody></table>");
        }
        sb.append("</section>\n");
    }

    /** The retrieval variants: each metric's mean &plusmn; std over the repeats. */
    private static void retrievalEvaluation(StringBuilder sb, JsonNode ev) {
        sb.append("<p class=\"meta\">Student: a retriever (low-rank query projection over frozen"
                + " passage embeddings), repeats: ").append(Html.escape(ev.path("settings")
                .path("--repeats").asText("?"))).append("; ").append(Html.num(number(ev
                .path("testQueries")))).append(" test queries, exact search over ")
                .append(Html.num(number(ev.path("corpusPassages")))).append(" passages; mean"
                + " &plusmn; std over the repeats (zero_shot is not trained).</p>");
        List<String> metrics = List.of("recall@1", "recall@10", "recall@100", "mrr@10", "ndcg@10");
        sb.append("<table id=\"retrieval-table\"><thead><tr><th class=\"text\">variant</th>"
                + "<th>train rows</th>");
        for (String m : metrics) {
            sb.append("<th>").append(Html.escape(m)).append("</th>");
        }
        sb.append("</tr></thead><tbody>");
        for (Iterator<Map.Entry<String, JsonNode>> it = ev.path("variants").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            sb.append("<tr class=\"retrieval-row\" data-variant=\"").append(Html.escape(e.getKey()))
                    .append("\"><td class=\"text\">").append(Html.escape(e.getKey())).append("</td>");
            cells(sb, Html.num(number(v.path("trainRows"))));
            for (String m : metrics) {
                double mean = number(v.path(m));
                double std = number(v.path(m + "_std"));
                cells(sb, Double.isNaN(mean) ? "-" : Html.num(mean)
                        + (Double.isNaN(std) ? "" : " &plusmn; " + Html.num(std)));
            }
            sb.append("</tr>");
        }
        sb.append("</tbody></table>");
    }

    private static String meanStd(JsonNode n) {
        double mean = number(n.path("mean"));
        double std = number(n.path("std"));
        if (Double.isNaN(mean)) {
            return "-";
        }
        return Html.num(mean) + (Double.isNaN(std) ? "" : " &plusmn; " + Html.num(std));
    }

    // ------------------------------------------------------------ generation

    private void generation(StringBuilder sb) {
        sb.append("<section id=\"generation\"><h2>Generation and demonstration coverage</h2>\n");
        JsonNode gen = run.generation();
        if (gen == null) {
            notRun(sb, "generation", RunFiles.GENERATION, "synalign generate");
            sb.append("</section>\n");
            return;
        }
        otherExperiment(sb, "generation", run.provenance().generation());
        if (Verdict.retrieval(gen)) {
            sb.append("<p class=\"meta\" id=\"generation-retrieval\">Generator: ")
                    .append(Html.escape(gen.path("generator").asText("?")))
                    .append(ServedModelNote.html(gen)).append(": ")
                    .append(Html.num(number(gen.path("queries")))).append(" synthetic queries for ")
                    .append(Html.num(number(gen.path("targetPassages")))).append(" of ")
                    .append(Html.num(number(gen.path("corpusPassages")))).append(" passages (picked"
                    + " by GP exploration to cover the corpus), from ")
                    .append(Html.num(number(gen.path("realQueries")))).append(" real queries.</p>");
            sb.append("</section>\n");
            return;
        }
        // --demos random (the paper's ablation) picks at random: its picks are not GP's.
        boolean random = "random".equals(gen.path("settings").path("--demos").asText("gp"));
        String chosen = random ? "randomly chosen (<code>--demos random</code>)" : "GP-selected";
        sb.append("<p class=\"meta\">Generator: ").append(Html.escape(gen.path("generator")
                .asText("?"))).append(ServedModelNote.html(gen)).append(". Coverage: MMD<sup>2</sup> of the ").append(chosen)
                .append(" demonstrations").append(gen.has("rounds") ? " of round 1's first batch"
                        : "").append(" against the label's real rows, and of random selections of"
                + " the same count (lower covers better).</p>");
        if (!random) {
            sb.append("<p class=\"meta\" id=\"coverage-explained\">How to read it: MMD<sup>2</sup>"
                    + " measures how well the picked rows mirror the <em>density</em> of the label's"
                    + " rows, and a random pick does that well on average. GP exploration picks each"
                    + " group far from the groups before it, to reach the <em>spread</em> of the"
                    + " rows, outliers included, so its picks lean towards sparse regions; its"
                    + " MMD<sup>2</sup> can then be above the random mean while it covers more of the"
                    + " space the generator is shown. A GP value well above random with few rows per"
                    + " label is expected, not a failure.</p>");
        }
        sb.append("<table id=\"generation-table\"><thead><tr><th class=\"text\">label</th>"
                + "<th>real</th><th>generated</th><th>demonstrations</th>"
                + "<th>coverage MMD<sup>2</sup> ").append(random ? "chosen" : "GP")
                .append("</th><th>random</th></tr></thead><tbody>");
        for (Iterator<Map.Entry<String, JsonNode>> it = gen.path("perLabel").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode l = e.getValue();
            JsonNode cov = l.path("coverageMmd2");
            sb.append("<tr class=\"generation-row\" data-label=\"").append(Html.escape(e.getKey()))
                    .append("\"><td class=\"text\">").append(Html.label(e.getKey()))
                    .append("</td>");
            cells(sb, Html.num(number(l.path("real"))), Html.num(number(l.path("generated"))),
                    Html.num(number(l.path("demonstrations"))), Html.num(number(cov.path("gp"))),
                    meanStd(cov.path("random")));
            sb.append("</tr>");
        }
        sb.append("</tbody></table>");
        JsonNode filter = gen.path("filter");
        if (filter.isObject()) {
            // The rows 'run --dedup/--leakage-against' removed between generation and alignment:
            // without this the generated counts stood beside far fewer synthetic rows, unexplained.
            List<String> perLabel = new ArrayList<>();
            filter.path("removed_per_label").fields().forEachRemaining(e -> perLabel.add(
                    e.getKey() + " " + e.getValue().asInt()));
            sb.append("<p class=\"meta\" id=\"generation-filter\">Before alignment, rows at a"
                    + " cosine of ").append(Html.num(number(filter.path("threshold"))))
                    .append(" or more were removed: ").append(Html.num(number(filter.path("removed_leaking"))))
                    .append(" leaking the reference sets, ").append(Html.num(number(
                            filter.path("removed_near_duplicates")))).append(" near-duplicates")
                    .append(perLabel.isEmpty() ? "" : " (" + Html.escape(String.join(", ", perLabel)) + ")")
                    .append("; ").append(Html.num(number(filter.path("aligned"))))
                    .append(" rows were aligned.</p>");
        }
        sb.append("</section>\n");
    }

    // ------------------------------------------------------------ settings

    /**
     * One table for every step: a row per setting (in pipeline order: generation, alignment,
     * evaluation), its value once when the steps agree, else per step, and which steps read it.
     * Settings the user gave are bold; the others are defaults.
     */
    private void settings(StringBuilder sb) {
        sb.append("<section id=\"settings\"><h2>Settings</h2>\n");
        Map<String, JsonNode> docs = new LinkedHashMap<>();
        docs.put("generate", run.generation());
        docs.put("align", run.alignment());
        docs.put("evaluate", run.evaluation());
        Map<String, Map<String, String>> values = new LinkedHashMap<>();
        java.util.Set<String> given = new java.util.HashSet<>();
        for (Map.Entry<String, JsonNode> d : docs.entrySet()) {
            JsonNode doc = d.getValue();
            if (doc == null || !doc.path("settings").isObject()) {
                continue;
            }
            Map<String, String> flat = new LinkedHashMap<>();
            flatten("", doc.get("settings"), flat);
            for (Map.Entry<String, String> e : flat.entrySet()) {
                values.computeIfAbsent(e.getKey(), x -> new LinkedHashMap<>())
                        .put(d.getKey(), e.getValue());
            }
            for (JsonNode g : doc.path("given")) {
                given.add(g.asText());
            }
        }
        if (values.isEmpty()) {
            sb.append("<p class=\"meta\">No settings recorded.</p></section>\n");
            return;
        }
        sb.append("<p class=\"meta\">Each setting once, as it took effect; bold: given on the"
                + " command line, the rest are defaults. Paths are relative to the run"
                + " directory.</p><table class=\"settings-table\" id=\"settings-table\"><thead>"
                + "<tr><th class=\"text\">setting</th><th class=\"text\">value</th>"
                + "<th class=\"text\">steps</th></tr></thead><tbody>");
        for (Map.Entry<String, Map<String, String>> e : values.entrySet()) {
            Map<String, String> perStep = e.getValue();
            java.util.Set<String> distinct = new java.util.LinkedHashSet<>(perStep.values());
            String value;
            if (distinct.size() == 1) {
                value = Html.escape(distinct.iterator().next());
            } else {
                List<String> parts = new ArrayList<>();
                perStep.forEach((step, v) -> parts.add(Html.escape(step) + ": " + Html.escape(v)));
                value = String.join("; ", parts);
            }
            boolean isGiven = given.contains(e.getKey());
            sb.append("<tr class=\"setting\" data-setting=\"").append(Html.escape(e.getKey()))
                    .append("\"><td class=\"text").append(isGiven ? " given" : "").append("\">")
                    .append(Html.escape(e.getKey())).append("</td><td class=\"text data\">")
                    .append(value).append("</td><td class=\"text\">")
                    .append(String.join(", ", perStep.keySet())).append("</td></tr>");
        }
        sb.append("</tbody></table></section>\n");
    }

    /** Nested objects become dotted keys; arrays and scalars their JSON text. */
    static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(),
                        out);
            }
        } else {
            out.put(prefix, node.isTextual() ? node.textValue() : node.toString());
        }
    }

    // ------------------------------------------------------------ helpers

    private static void notRun(StringBuilder sb, String section, String file, String command) {
        sb.append("<p class=\"not-run\" id=\"").append(section).append("-not-run\">Not run: no ")
                .append(Html.escape(file)).append(" in this run directory (written by <code>")
                .append(Html.escape(command)).append("</code>).</p>");
    }

    /**
     * The findings of {@link Provenance} about a section's document, shown above it: the
     * document may be an earlier experiment's, left in a reused run directory.
     */
    private static void otherExperiment(StringBuilder sb, String section, List<String> findings) {
        if (findings.isEmpty()) {
            return;
        }
        sb.append("<div class=\"other-experiment\" id=\"").append(section)
                .append("-other-experiment\"><b>This may describe another experiment.</b><ul>");
        for (String f : findings) {
            sb.append("<li>").append(Html.escape(f)).append("</li>");
        }
        sb.append("</ul>Run the command again with this run directory, or remove its file.</div>");
    }

    private static void cells(StringBuilder sb, String... values) {
        for (String v : values) {
            sb.append("<td>").append(v).append("</td>");
        }
    }

    private static double number(JsonNode n) {
        return n != null && n.isNumber() ? n.doubleValue() : Double.NaN;
    }
}
