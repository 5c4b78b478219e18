package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.NpyWriter;
import io.synalign.kernels.FloatMatrix;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synalign report} on constructed run directories: the page holds what the artefacts
 * say (histogram counts per label, MMD values, evaluation and generation rows, settings),
 * escapes every string from data, references nothing outside itself, notes what did not run,
 * and refuses unusable run directories with exit 2 without touching the output.
 */
class ReportCommandTest {

    @TempDir
    Path dir;

    private Cli.Run report(String... args) {
        List<String> all = new ArrayList<>(List.of("report"));
        all.addAll(List.of(args));
        return Cli.run(cl -> { }, all.toArray(String[]::new));
    }

    private Set<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(f -> !f.equals(d)).map(f -> d.relativize(f).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** The text between the element with {@code id} and the end of its enclosing section. */
    static String section(String html, String id) {
        int start = html.indexOf("id=\"" + id + "\"");
        assertTrue(start >= 0, "no element with id " + id);
        int end = html.indexOf("</section>", start);
        return html.substring(start, end);
    }

    private static int count(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void fullRunDirectoryShowsEverySection() throws IOException {
        RunDirFixture fx = new RunDirFixture().write(dir);
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        Path out = dir.resolve(RunFiles.REPORT);
        assertTrue(r.out().contains(out.toString()), r::toString);
        String html = Files.readString(out);

        // Self-contained: no scripts, no external references, no network.
        assertFalse(html.contains("<script"), "no script element (and the label is escaped)");
        for (String external : List.of("http:", "https:", "src=", "href=", "url(", "@import")) {
            assertFalse(html.contains(external), external);
        }
        assertFalse(html.contains("class=\"not-run\""), "every artefact is present");
        assertFalse(html.contains("other-experiment\""), "the documents of one experiment");
        assertFalse(r.err().contains("note:"), r::toString);

        // The two-sample test: a row per label and overall; the verdict counts labels at p >= 0.01.
        String twoSample = section(html, "two-sample");
        assertEquals(RunDirFixture.LABELS.size() + 1, count(twoSample, "class=\"two-sample-row\""));
        assertTrue(twoSample.contains("Indistinguishable in 0 of " + RunDirFixture.LABELS.size()
                + " labels as generated, in " + RunDirFixture.LABELS.size() + " of "
                + RunDirFixture.LABELS.size() + " under the learned weights"), twoSample);
        assertTrue(section(html, "witness").contains("a synthetic all row"), "overall witness rows shown");

        // One histogram per label; its bar counts add up to the label's rows.
        String hist = section(html, "weights-histogram");
        Matcher fig = Pattern.compile("<figure class=\"histogram\" data-label=\"([^\"]*)\">(.*?)"
                + "</figure>").matcher(hist);
        List<String> shown = new ArrayList<>();
        while (fig.find()) {
            shown.add(fig.group(1));
            int rows = 0;
            Matcher bar = Pattern.compile("<title>(\\d+) rows in").matcher(fig.group(2));
            while (bar.find()) {
                rows += Integer.parseInt(bar.group(1));
            }
            String label = fig.group(1).equals(RunDirFixture.NASTY_ESCAPED) ? RunDirFixture.NASTY
                    : fig.group(1);
            assertEquals(fx.syntheticRows(label), rows, label);
        }
        assertEquals(List.of("alpha", RunDirFixture.NASTY_ESCAPED, "gamma"), shown);
        // Zero weights land in the first bin and are counted in the caption.
        int zeros = 0;
        Matcher z = Pattern.compile("(\\d+) with weight 0").matcher(hist);
        while (z.find()) {
            zeros += Integer.parseInt(z.group(1));
        }
        assertEquals(fx.zeroWeights, zeros);

        // MMD: one table row per label with its before/after values; two bars per label.
        String mmd = section(html, "mmd-table");
        assertEquals(3, count(mmd, "<tr class=\"mmd-row\""));
        for (double[] v : RunDirFixture.MMD) {
            assertTrue(mmd.contains("<td>" + trim(v[0]) + "</td><td>" + trim(v[1]) + "</td>"),
                    v[0] + " -> " + v[1] + " in " + mmd);
        }
        assertTrue(mmd.contains(RunDirFixture.NASTY_ESCAPED));
        String chart = section(html, "mmd-chart");
        assertEquals(3, count(chart.substring(0, chart.indexOf("</svg>")),
                "<rect class=\"bar series-0\" x=\"[^\"]*\" y=\"[^\"]*\" width=\"[^\"]*\" height=\"[^\"]*\"><title>")); 
        assertEquals(3, count(chart.substring(0, chart.indexOf("</svg>")),
                "<rect class=\"bar series-1\" x=\"[^\"]*\" y=\"[^\"]*\" width=\"[^\"]*\" height=\"[^\"]*\"><title>"));

        // PCA: every point in both panels, coloured by label, real points drawn after (on top
        // of) the synthetic ones; the weighted panel draws zero weights hollow.
        String pca = section(html, "pca-plot");
        int nReal = RunDirFixture.LABELS.size() * RunDirFixture.REAL_PER_LABEL;
        int nSynth = fx.weights.length;
        String uniform = pca.substring(0, pca.indexOf("</svg>"));
        String weighted = pca.substring(pca.indexOf("id=\"pca-weighted\""));
        assertEquals(nReal, count(uniform, "<circle class=\"real c[0-9]\""));
        assertEquals(nSynth, count(uniform, "<circle class=\"synthetic c[0-9]\""));
        assertTrue(uniform.lastIndexOf("<circle class=\"synthetic") < uniform.indexOf(
                "<circle class=\"real"), "real points on top");
        for (int l = 0; l < RunDirFixture.LABELS.size(); l++) {
            assertEquals(RunDirFixture.REAL_PER_LABEL, count(uniform, "<circle class=\"real c" + l
                    + "\""), "label " + l + " has its own colour");
        }
        assertEquals(nReal, count(weighted, "<circle class=\"real c[0-9]\""));
        assertEquals(fx.zeroWeights, count(weighted, "<circle class=\"synthetic zero c[0-9]\""));
        assertEquals(nSynth - fx.zeroWeights, count(weighted, "<circle class=\"synthetic c[0-9]\""));
        assertTrue(section(html, "pca-legend").contains(RunDirFixture.NASTY_ESCAPED));
        assertTrue(html.contains("principal components of the real rows"), "fitted on the real rows");
        // Readable axes: named, with more than the two end ticks.
        assertTrue(uniform.contains(">PC1</text>") && uniform.contains(">PC2</text>"), uniform);
        assertTrue(count(uniform, "<line class=\"tick\"") >= 3, "x ticks");
        assertTrue(count(uniform, "<line class=\"grid\"") >= 3, "y ticks");
        // Sizes follow the weights: two distinct positive weights give two distinct radii.
        Set<String> radii = new TreeSet<>();
        Matcher rad = Pattern.compile("<circle class=\"synthetic c[0-9]\" cx=\"[^\"]*\" cy=\"[^\"]*\""
                + " r=\"([^\"]*)\"").matcher(weighted);
        while (rad.find()) {
            radii.add(rad.group(1));
        }
        assertTrue(radii.size() >= 4, radii::toString);

        // Evaluation: three variants with mean ± std; per-label MMD^2 to test.
        String eval = section(html, "evaluation-table");
        assertEquals(3, count(eval, "<tr class=\"evaluation-row\""));
        assertTrue(eval.contains("data-variant=\"real+aligned\""));
        assertTrue(eval.contains("<td>0.8125 &plusmn; 0.0125</td>"), eval);
        assertTrue(eval.contains("<td>21.5</td>"), eval);
        assertTrue(section(html, "evaluation-mmd-table").contains(RunDirFixture.NASTY_ESCAPED));

        // Generation coverage per label.
        String gen = section(html, "generation-table");
        assertEquals(3, count(gen, "<tr class=\"generation-row\""));
        assertTrue(gen.contains("<td>0.0375</td><td>0.0875 &plusmn; 0.0063</td>"), gen);
        String explained = section(html, "coverage-explained");
        assertTrue(explained.contains("GP exploration picks each group far from the groups before"
                + " it") && explained.contains("is expected, not a failure"), explained);

        // Settings: one table, each setting once; a value the steps share is shown once, one
        // that differs per step; given options bold; escaped.
        String settings = section(html, "settings-table");
        assertEquals(1, count(settings, "data-setting=\"--seed\""));
        assertTrue(settings.contains("<td class=\"text given\">--seed</td><td class=\"text data\">"
                + "4242</td><td class=\"text\">generate, align, evaluate</td>"), settings);
        assertTrue(settings.contains("<td class=\"text\">--encoder</td><td class=\"text data\">"
                + "generate: minilm; align: minilm; evaluate: bge-small</td>"), settings);
        assertTrue(settings.contains("data/" + RunDirFixture.NASTY_ESCAPED + ".json"));

        // Verdict at the top: MMD^2 before and after (real-share weighted), and the aligned
        // variant against each other one with paired 95 % intervals.
        String verdict = section(html, "verdict");
        assertTrue(html.indexOf("id=\"verdict\"") < html.indexOf("id=\"weights\""));
        double before = (RunDirFixture.MMD[0][0] + RunDirFixture.MMD[1][0] + RunDirFixture.MMD[2][0]) / 3;
        double after = (RunDirFixture.MMD[0][1] + RunDirFixture.MMD[1][1] + RunDirFixture.MMD[2][1]) / 3;
        assertTrue(verdict.contains("from " + trim(before) + " (uniform weights) to " + trim(after)),
                verdict);
        assertTrue(verdict.contains("lower in 3 of 3"), verdict);
        assertTrue(verdict.contains(fx.zeroWeights + " got weight 0"), verdict);
        // The fixture's evaluation.json keeps no test predictions (as written before they were
        // kept): the seeds-only interval, worded as such.
        // real+aligned - real: +10, +10, +10 points: interval [+10, +10], a win.
        assertTrue(verdict.contains("beat <b>real</b> by +10.0 macro-F1 points (95% CI +10.0 to"
                + " +10.0, paired over 3 repeats on this test set)"), verdict);
        // real+aligned - real+synthetic: 0, +15, -5: mean +3.3, t(2) = 4.303, sd 10.41 -> ±25.9
        assertTrue(verdict.contains("is not distinguishable from <b>real+synthetic</b>: +3.3"
                + " macro-F1 points (95% CI -22.5 to +29.2"), verdict);

        // Texts per label: highest weight first, the zero-weighted ones, and real texts.
        String examples = section(html, "examples");
        assertEquals(3, count(examples, "<details class=\"examples\""));
        String alpha = examples.substring(examples.indexOf("data-label=\"gamma\""));
        alpha = alpha.substring(0, alpha.indexOf("</details>"));
        int best = -1;
        for (int i = 0; i < fx.weights.length; i++) {
            if (fx.syntheticLabels.get(i).equals("gamma")
                    && (best < 0 || fx.weights[i] > fx.weights[best])) {
                best = i;
            }
        }
        String top = alpha.substring(alpha.indexOf("class=\"top-weighted\""));
        assertTrue(top.indexOf("synthetic " + best + "<") > 0
                && top.indexOf("synthetic " + best + "<") < top.indexOf("</li>"), top);
        String zero = alpha.substring(alpha.indexOf("class=\"zero-weighted\""));
        zero = zero.substring(0, zero.indexOf("</ol>"));
        Matcher zm = Pattern.compile("synthetic (\\d+)<").matcher(zero);
        int zeroShown = 0;
        while (zm.find()) {
            assertEquals(0.0, fx.weights[Integer.parseInt(zm.group(1))], zero);
            zeroShown++;
        }
        assertTrue(zeroShown > 0, zero);
        assertTrue(alpha.contains("real text 2 of gamma") && !alpha.contains("of alpha"), alpha);
        // alpha has no zero weight: said, not left empty.
        assertTrue(examples.substring(examples.indexOf("data-label=\"alpha\"")).contains(
                "no synthetic row of this label got weight 0"), examples);
    }

    private static String trim(double v) {
        return io.synalign.report.ReportPageAccess.num(v);
    }

    @Test
    void missingArtefactsAreNotedAndTheRestShown() throws IOException {
        new RunDirFixture().write(dir);
        for (String f : List.of(RunFiles.ALIGNMENT, RunFiles.WEIGHTED, RunFiles.LABELS,
                RunFiles.SYNTHETIC_EMBEDDINGS, RunFiles.GENERATION)) {
            Files.delete(dir.resolve(f));
        }
        Path out = dir.resolve("elsewhere.html");
        Cli.Run r = report("--run", dir.toString(), "--out", out.toString());
        assertEquals(0, r.status(), r::toString);
        assertFalse(Files.exists(dir.resolve(RunFiles.REPORT)));
        String html = Files.readString(out);
        for (String id : List.of("weights-not-run", "mmd-not-run", "pca-not-run",
                "generation-not-run")) {
            assertTrue(html.contains("class=\"not-run\" id=\"" + id + "\""), id);
        }
        assertTrue(section(html, "pca-not-run").contains(RunFiles.SYNTHETIC_EMBEDDINGS));
        assertEquals(3, count(section(html, "evaluation-table"), "<tr class=\"evaluation-row\""));
        assertFalse(html.contains("id=\"weights-histogram\""));
    }

    /**
     * A reused run directory: generate wrote one set, align read another, and evaluate scored
     * other weights. The report says so beside each section and on stderr, and keeps the
     * evaluation out of the verdict; the documents of one experiment get no such box (the
     * full-run test above).
     */
    @Test
    void documentsOfAnotherExperimentAreNamedAndTheEvaluationLeftOutOfTheVerdict()
            throws IOException {
        new RunDirFixture().write(dir);
        editSettings(RunFiles.ALIGNMENT, s -> s.put("--synthetic", "llm.jsonl").put("--out", "w.jsonl"));
        editSettings(RunFiles.GENERATION, s -> s.put("--out", "offline.jsonl"));
        editSettings(RunFiles.EVALUATION, s -> s.put("--weighted", "w.jsonl"));

        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.err().contains("synalign: note: " + RunFiles.GENERATION
                + " records rows written to offline.jsonl, but " + RunFiles.ALIGNMENT
                + " aligned llm.jsonl"), r::toString);
        // The fixture's evaluation recorded ESS 21.5 for weights whose ESS is 17.5.
        assertTrue(r.err().contains("synalign: note: " + RunFiles.EVALUATION
                + " scored weights whose effective sample size is 21.5000"), r::toString);
        String html = Files.readString(dir.resolve(RunFiles.REPORT));
        assertTrue(section(html, "generation-other-experiment").contains("offline.jsonl"), html);
        assertTrue(section(html, "evaluation-other-experiment").contains("21.5000"), html);
        String verdict = section(html, "verdict");
        assertTrue(verdict.contains("id=\"verdict-evaluation-other\"")
                && !verdict.contains("class=\"verdict-evaluation\""), verdict);
        // The evaluation's own table is still shown, under the box.
        assertEquals(3, count(section(html, "evaluation-table"), "<tr class=\"evaluation-row\""));
    }

    /**
     * A path recorded in a run document reaches the terminal in a note: an ESC sequence in it
     * recoloured the terminal and a newline forged a note of its own.
     */
    @Test
    void pathsFromTheDocumentsReachTheTerminalWithoutControlCharacters() throws IOException {
        new RunDirFixture().write(dir);
        editSettings(RunFiles.ALIGNMENT, s -> s.put("--synthetic", "llm.jsonl"));
        // an ESC sequence (red), a forged line and a right-to-left override in a recorded path
        String path = "x\u001b[31mred\nsynalign: note: forged\u202eevil\u009b2J.jsonl";
        editSettings(RunFiles.GENERATION, s -> s.put("--out", path));
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.err().contains("records rows written to x\ufffd[31mred\ufffdsynalign: note:"
                + " forged\ufffdevil\ufffd2J.jsonl, but"), r::toString);
        for (String line : r.err().split("\n", -1)) {
            assertFalse(line.startsWith("synalign: note: forged"), r::toString);
        }
        assertFalse(r.err().chars().anyMatch(c -> c == 0x1b || c == 0x9b || c == 0x202e),
                r::toString);
    }

    @Test
    void outDashIsRefusedAndWritesNoFileNamedDash() throws IOException {
        new RunDirFixture().write(dir);
        Path dash = Path.of("-").toAbsolutePath();
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(dash), dash + " exists");
        try {
            Cli.assertBadInputLine(report("--run", dir.toString(), "--out", "-"), dir,
                    "--out -: give a file name; for standard output give --out /dev/stdout");
            assertFalse(Files.exists(dash), "a file named '-' was written");
        } finally {
            Files.deleteIfExists(dash);
        }
    }

    @Test
    void aPipeGetsThePageAndTheWroteLineGoesToStderr() throws Exception {
        // report --out /dev/stdout | wc -c failed with NoSuchFileException on
        // /proc/self/fd/pipe:[...]; a pipe of this process through /proc/self/fd is the same case.
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")));
        new RunDirFixture().write(dir);
        Set<String> before = io.synalign.io.PipeFds.openFds();
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        Path fd = io.synalign.io.PipeFds.pipeWriteEnd(before);
        java.io.ByteArrayOutputStream page = new java.io.ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (var in = java.nio.channels.Channels.newInputStream(pipe.source())) {
                in.transferTo(page); // the page is larger than the pipe's buffer
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        reader.start();
        Cli.Run r;
        try {
            r = report("--run", dir.toString(), "--out", fd.toString());
        } finally {
            pipe.sink().close();
        }
        reader.join(60_000);
        assertEquals(0, r.status(), r::toString);
        String html = page.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(html.startsWith("<!DOCTYPE html>") && html.strip().endsWith("</html>"),
                "nothing after the page: " + html.substring(Math.max(0, html.length() - 200)));
        assertEquals("", r.out(), "standard output may be the pipe: nothing else goes there");
        assertTrue(r.err().contains("wrote " + fd), r::toString);
        assertFalse(Files.exists(dir.resolve(RunFiles.REPORT)));
    }

    @Test
    void aLabelWhoseRowsAllGotWeightZeroSaysSoUnderHighestWeight() throws IOException {
        new RunDirFixture().write(dir);
        // alpha's rows get weight 0, the others keep theirs
        StringBuilder rewritten = new StringBuilder();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve(RunFiles.WEIGHTED))) {
            var row = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(line);
            if (row.get("label").asText().equals("alpha")) {
                row.put("synalign_weight", 0.0);
            }
            rewritten.append(json.writeValueAsString(row)).append('\n');
        }
        Files.writeString(dir.resolve(RunFiles.WEIGHTED), rewritten);
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        String html = Files.readString(dir.resolve(RunFiles.REPORT));
        String examples = section(html, "examples");
        String alpha = examples.substring(examples.indexOf("data-label=\"alpha\""));
        String top = alpha.substring(alpha.indexOf("class=\"top-weighted\""), alpha.indexOf("</ol>"));
        // was an empty list
        assertTrue(top.contains("<li class=\"meta\">none: every synthetic row of this label got"
                + " weight 0</li>"), top);
        String gamma = examples.substring(examples.indexOf("data-label=\"gamma\""));
        gamma = gamma.substring(gamma.indexOf("class=\"top-weighted\""), gamma.indexOf("</ol>"));
        assertFalse(gamma.contains("none:"), gamma);
    }

    /** --demos random (the ablation): its coverage is not called GP's, nor explained as GP's. */
    @Test
    void aRandomDemonstrationAblationIsNotCalledGp() throws IOException {
        new RunDirFixture().write(dir);
        editSettings(RunFiles.GENERATION, s -> s.put("--demos", "random"));
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        String html = Files.readString(dir.resolve(RunFiles.REPORT));
        String gen = section(html, "generation-table");
        assertTrue(html.contains("randomly chosen (<code>--demos random</code>) demonstrations"), html);
        assertFalse(html.contains("GP-selected") || html.contains("id=\"coverage-explained\""), html);
        assertTrue(gen.contains("coverage MMD<sup>2</sup> chosen</th>"), gen);
    }

    /**
     * generation.json's servedModel (the model a llama.cpp server answered with, which the
     * journal keys named) stands beside the generator, escaped, with where it was learnt; a
     * document without one shows the generator alone.
     */
    @Test
    void theServedModelStandsBesideTheGenerator() throws IOException {
        new RunDirFixture().write(dir);
        Cli.Run plain = report("--run", dir.toString());
        assertEquals(0, plain.status(), plain::toString);
        String before = Files.readString(dir.resolve(RunFiles.REPORT));
        assertTrue(before.contains("<p class=\"meta\">Generator: offline. Coverage:"), before);
        assertFalse(before.contains("served-model"), "nothing recorded, nothing shown");

        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        var gen = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(
                dir.resolve(RunFiles.GENERATION).toFile());
        gen.put("generator", "openai-compatible (gpt-4o-mini)");
        var served = gen.putObject("servedModel").put("id", "/models/<b>q</b>&\"x\".gguf");
        served.putObject("weights").put("n_params", 7615616512L).put("size", 4683073952L);
        served.put("source", "server");
        json.writeValue(dir.resolve(RunFiles.GENERATION).toFile(), gen);
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        String html = Files.readString(dir.resolve(RunFiles.REPORT));
        assertTrue(html.contains("Generator: openai-compatible (gpt-4o-mini)<span id=\"served-model\">, answered"
                + " by the served model <code>/models/&lt;b&gt;q&lt;/b&gt;&amp;&quot;x&quot;.gguf</code> (n_params"
                + " 7615616512, size 4683073952; the server answers with it whatever model is asked for, and the"
                + " journal's keys name it)</span>. Coverage:"), html);
        assertFalse(html.contains("<b>q</b>"), "escaped");
        assertFalse(html.contains("served-models.json"), "the server said so on that run");

        served.put("source", "journal");
        json.writeValue(dir.resolve(RunFiles.GENERATION).toFile(), gen);
        assertEquals(0, report("--run", dir.toString()).status());
        html = Files.readString(dir.resolve(RunFiles.REPORT));
        assertTrue(html.contains("journal's keys name it; taken from the journal's record,"
                + " <code>served-models.json</code>: the server could not be reached when this run asked it)"
                + "</span>."), html);
    }

    @Test
    void labelsComeFromTheWeightedRecordsWithoutLabelsJson() throws IOException {
        RunDirFixture fx = new RunDirFixture().write(dir);
        Files.delete(dir.resolve(RunFiles.LABELS));
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        String hist = section(Files.readString(dir.resolve(RunFiles.REPORT)), "weights-histogram");
        assertEquals(3, count(hist, "<figure class=\"histogram\""));
        assertTrue(hist.contains(fx.syntheticRows("gamma") + " rows, ESS"));
    }

    @Test
    void manyPointsAreSubsampledDeterministically() throws IOException {
        int n = io.synalign.report.ReportPage.MAX_POINTS_PER_SIDE + 101;
        float[] data = new float[n * 2];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) Math.sin(i * 0.37);
        }
        NpyWriter.writeMatrix(dir.resolve(RunFiles.REAL_EMBEDDINGS), new FloatMatrix(n, 2, data));
        NpyWriter.writeMatrix(dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS),
                new FloatMatrix(3, 2, new float[] {0, 1, 2, 3, 4, 5}));
        assertEquals(0, report("--run", dir.toString()).status());
        String first = Files.readString(dir.resolve(RunFiles.REPORT));
        String pca = section(first, "pca-plot");
        assertEquals(io.synalign.report.ReportPage.MAX_POINTS_PER_SIDE,
                count(pca, "<circle class=\"real c0\""));
        assertEquals(3, count(pca, "<circle class=\"synthetic c0\""));
        assertTrue(pca.contains("Showing 2000 of " + n + " real") || first.contains("Showing "
                + io.synalign.report.ReportPage.MAX_POINTS_PER_SIDE + " of " + n + " real"));
        assertTrue(section(first, "pca-weighted-not-run").contains(RunFiles.WEIGHTED));
        assertEquals(0, report("--run", dir.toString()).status());
        assertEquals(first, Files.readString(dir.resolve(RunFiles.REPORT)), "deterministic");
    }

    @Test
    void missingFileOrEmptyRunDirectoryIsExit2() throws IOException {
        Path missing = dir.resolve("nope");
        Cli.Run r = report("--run", missing.toString());
        assertEquals(2, r.status(), r::toString);
        assertEquals(1, r.errLines().size());
        assertTrue(r.err().contains(missing.toString()) && r.err().contains("does not exist"),
                r::toString);

        Path file = Files.writeString(dir.resolve("file.txt"), "x");
        r = report("--run", file.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains(file.toString()), r::toString);

        Path empty = Files.createDirectory(dir.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "unrelated");
        r = report("--run", empty.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains(empty.toString()) && r.err().contains("no run artefacts"),
                r::toString);
        assertEquals(Set.of("notes.txt"), listing(empty));

        r = report();
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("--run"), r::toString);
    }

    @Test
    void unusableArtefactIsExit2AndLeavesTheOldReport() throws IOException {
        new RunDirFixture().write(dir);
        Path out = dir.resolve(RunFiles.REPORT);
        Files.writeString(out, "old report");
        List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve(RunFiles.WEIGHTED)));
        lines.set(4, lines.get(4).replaceAll("\"synalign_weight\":[^,}]*",
                "\"synalign_weight\":-0.5"));
        Files.write(dir.resolve(RunFiles.WEIGHTED), lines);
        Set<String> before = listing(dir);
        Cli.Run r = report("--run", dir.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains(RunFiles.WEIGHTED) && r.err().contains("5")
                && r.err().contains("synalign_weight"), r::toString);
        assertEquals("old report", Files.readString(out));
        assertEquals(before, listing(dir), "no temporary file left");

        new RunDirFixture().write(dir);
        Files.writeString(dir.resolve(RunFiles.EVALUATION), "{\"variants\": [");
        r = report("--run", dir.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains(RunFiles.EVALUATION) && r.err().contains("not valid JSON"),
                r::toString);
        assertEquals("old report", Files.readString(out));
    }

    /**
     * A document a newer SynAlign wrote (a larger format number) is refused, naming it, rather
     * than read as this build's keys: an older report took a newer held_out's
     * {@code {"failed": ..., "folds": K}} for a check that "could check no fit". A document with
     * no format (every build before formats) or format 1 is read.
     */
    @Test
    void aDocumentOfANewerFormatIsRefusedNamingItAndOneWithoutAFormatIsRead() throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Path out = dir.resolve(RunFiles.REPORT);
        for (String name : List.of(RunFiles.ALIGNMENT, RunFiles.LABELS, RunFiles.GENERATION,
                RunFiles.TEST, RunFiles.EVALUATION)) {
            new RunDirFixture().write(dir);
            Files.writeString(out, "old report");
            Path file = dir.resolve(name);
            com.fasterxml.jackson.databind.node.ObjectNode doc =
                    (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(file.toFile());
            assertFalse(doc.has("format"), "the fixture is written as builds before formats wrote");
            json.writeValue(file.toFile(), doc.put("format", 2));
            Cli.Run r = report("--run", dir.toString());
            assertEquals(2, r.status(), r::toString);
            assertEquals(List.of("synalign: error: " + file + ": written by a newer SynAlign (format 2;"
                    + " this build reads format 1): use that build or a newer one"), r.errLines(), name);
            assertEquals("old report", Files.readString(out), name);

            json.writeValue(file.toFile(), doc.put("format", 1));
            r = report("--run", dir.toString());
            assertEquals(0, r.status(), r::toString);
        }
        new RunDirFixture().write(dir);
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), "no format anywhere: format 1 " + r);
    }

    @Test
    void outMayNotReplaceAnArtefactOfTheRun() throws IOException {
        new RunDirFixture().write(dir);
        for (String name : RunFiles.ARTEFACTS) {
            Path artefact = dir.resolve(name);
            byte[] before = Files.exists(artefact) ? Files.readAllBytes(artefact) : null;
            Cli.Run r = report("--run", dir.toString(), "--out", artefact.toString());
            assertEquals(2, r.status(), r.toString());
            assertTrue(r.err().contains("would overwrite the input given with --run (" + name + ")"),
                    r.err());
            if (before != null) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(before, Files.readAllBytes(artefact));
            } else {
                assertFalse(Files.exists(artefact));
            }
        }
    }

    @Test
    void aRetrievalEvaluationGetsItsTableAndAnMrrVerdict() throws IOException {
        new RunDirFixture().write(dir);
        Files.writeString(dir.resolve(RunFiles.EVALUATION), """
                {"task": "retrieval", "settings": {"--repeats": 3}, "corpusPassages": 1000, "testQueries": 50,
                 "variants": {
                  "zero_shot": {"recall@1": 0.25, "recall@1_std": null, "recall@10": 0.5, "recall@10_std": null,
                    "recall@100": 0.75, "recall@100_std": null, "mrr@10": 0.3125, "mrr@10_std": null,
                    "ndcg@10": 0.375, "ndcg@10_std": null, "values": {"mrr@10": [0.3125]}, "trainRows": 0},
                  "real": {"recall@1": 0.3, "recall@1_std": 0.01, "recall@10": 0.6, "recall@10_std": 0.01,
                    "recall@100": 0.8, "recall@100_std": 0.01, "mrr@10": 0.4, "mrr@10_std": 0.01,
                    "ndcg@10": 0.45, "ndcg@10_std": 0.01, "values": {"mrr@10": [0.39, 0.40, 0.41]}, "trainRows": 80},
                  "real+aligned": {"recall@1": 0.35, "recall@1_std": 0.01, "recall@10": 0.65, "recall@10_std": 0.01,
                    "recall@100": 0.85, "recall@100_std": 0.01, "mrr@10": 0.45, "mrr@10_std": 0.01,
                    "ndcg@10": 0.5, "ndcg@10_std": 0.01, "values": {"mrr@10": [0.44, 0.45, 0.46]}, "trainRows": 120}
                 }}
                """);
        Files.writeString(dir.resolve(RunFiles.GENERATION), """
                {"task": "retrieval", "settings": {"--llm": "offline"}, "generator": "offline (query baseline)",
                 "corpusPassages": 1000, "realQueries": 40, "targetPassages": 100, "queries": 300}
                """);
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r.toString());
        String html = Files.readString(dir.resolve(RunFiles.REPORT));
        assertTrue(html.contains("offline (query baseline): 300 synthetic queries for 100 of 1000 passages"),
                "generation line");
        assertTrue(html.contains("<table id=\"retrieval-table\">"), "retrieval table");
        assertFalse(html.contains("id=\"evaluation-table\""), "no classification table");
        for (String v : List.of("zero_shot", "real", "real+aligned")) {
            assertTrue(html.contains("class=\"retrieval-row\" data-variant=\"" + v + "\""), v);
        }
        assertTrue(html.contains("exact search over 1000 passages"), "corpus size");
        // real+aligned beats real by 5 points in every repeat: the paired interval excludes 0.
        assertTrue(html.contains("beat <b>real</b> by +5.0 MRR@10 points"), "verdict");
        // zero_shot is not trained, one value for every repeat: each aligned repeat against it
        // (0.44, 0.45, 0.46 - 0.3125: mean +13.75 points, a t-interval over 3 repeats). It said
        // "no per-repeat values to pair".
        assertTrue(html.contains("beat <b>zero_shot</b> by +13.8 MRR@10 points (95% CI +11.3 to"
                + " +16.2, against its one (untrained) value over 3 repeats on this test set)"),
                "vs zero-shot");
    }

    @Test
    void queryRowsGetTheQueriesSection() throws IOException {
        new RunDirFixture().write(dir);
        // The synthetic rows become query rows: two passages, weights 3 + 1 and 0.5.
        Files.writeString(dir.resolve(RunFiles.WEIGHTED), """
                {"text": "cat", "corpus_id": "p1", "synalign_weight": 3.0, "label": "a"}
                {"text": "what is a house cat", "corpus_id": "p1", "synalign_weight": 1.0, "label": "a"}
                {"text": "dog", "corpus_id": "p2", "synalign_weight": 0.5, "label": "a"}
                """);
        Files.deleteIfExists(dir.resolve(RunFiles.LABELS));
        Files.deleteIfExists(dir.resolve(RunFiles.REAL_EMBEDDINGS));
        Files.deleteIfExists(dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS));
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r.toString());
        String html = Files.readString(dir.resolve(RunFiles.REPORT));
        assertTrue(html.contains("<section id=\"queries\">"), "queries section");
        // synthetic, unweighted: words 1, 5, 1 -> mean 2.333; aligned: (3*1 + 1*5 + 0.5*1) / 4.5
        assertTrue(html.contains("data-set=\"synthetic\"><td class=\"text\">synthetic</td><td>2.333</td>"), html);
        assertTrue(html.contains("data-set=\"aligned\"><td class=\"text\">aligned</td><td>1.889</td>"), html);
        // p1 carries weight 4 and comes first, its queries by weight.
        int p1 = html.indexOf("<code>p1</code></td><td>4</td><td class=\"text\">cat (3)<br>what is a house cat (1)");
        int p2 = html.indexOf("<code>p2</code></td><td>0.5</td>");
        assertTrue(p1 > 0 && p2 > p1, "passages by weight");
    }

    @Test
    void outMayNotReplaceTheRealFileTheRunNames() throws IOException {
        new RunDirFixture().write(dir);
        Path real = dir.resolve("real.jsonl"); // named by alignment.json's --real
        byte[] before = Files.readAllBytes(real);
        Cli.Run r = report("--run", dir.toString(), "--out", real.toString());
        assertEquals(2, r.status(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().contains("--out " + real + " would overwrite the input given with --run (the"
                + " --real of alignment.json)"), r.err());
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, Files.readAllBytes(real));
    }

    @Test
    void settingPathsResolveAgainstTheRunDirectoryOrTheHome() {
        Path run = dir.resolve("runs/one");
        assertEquals(dir.resolve("real.jsonl"), RunFiles.settingPath(run, "../../real.jsonl"));
        assertEquals(Path.of(System.getProperty("user.home")).resolve("data/real.jsonl"),
                RunFiles.settingPath(run, "~/data/real.jsonl"));
        assertEquals(Path.of("/abs/real.jsonl"), RunFiles.settingPath(run, "/abs/real.jsonl"));
    }

    @Test
    void reportReplacesAnExistingFileAtomically() throws IOException {
        new RunDirFixture().write(dir);
        Path out = dir.resolve(RunFiles.REPORT);
        Files.writeString(out, "old report");
        assertEquals(0, report("--run", dir.toString()).status());
        assertTrue(Files.readString(out).startsWith("<!DOCTYPE html>"));
        assertFalse(listing(dir).stream().anyMatch(f -> f.endsWith(".tmp")), listing(dir)::toString);

        Path nowhere = dir.resolve("missing/report.html");
        Cli.Run r = report("--run", dir.toString(), "--out", nowhere.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("does not exist"), r::toString);
        assertFalse(Files.exists(nowhere.getParent()));
    }

    /** 90 test rows, 30 of each of the fixture's 3 labels. */
    private static final int[] TRUTH = java.util.stream.IntStream.range(0, 90).map(i -> i % 3)
            .toArray();

    /**
     * Predictions of 3 repeats that are right on about {@code rightTenths} rows in 10 (a
     * rotation of the rows per repeat), wrong ones the next class.
     */
    private static int[][] predictions(int rightTenths, int stride) {
        return predictions(TRUTH, rightTenths, stride);
    }

    /** As {@link #predictions(int, int)} for the test rows {@code truth}. */
    private static int[][] predictions(int[] truth, int rightTenths, int stride) {
        int[][] out = new int[3][truth.length];
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < truth.length; i++) {
                out[r][i] = (i * stride + r) % 10 < rightTenths ? truth[i] : (truth[i] + 1) % 3;
            }
        }
        return out;
    }

    /**
     * Rewrites the fixture's evaluation.json as evaluate writes it now: each variant's
     * test predictions (its macro-F1 values and mean those of the predictions), the classes and
     * the test labels.
     */
    private void keepPredictions(int[][]... byVariant) throws IOException {
        keepPredictions(TRUTH, byVariant);
    }

    /** As {@link #keepPredictions(int[][]...)} for the test rows {@code truth}. */
    private void keepPredictions(int[] truth, int[][]... byVariant) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json =
                new com.fasterxml.jackson.databind.ObjectMapper();
        var doc = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(
                dir.resolve(RunFiles.EVALUATION).toFile());
        for (int v = 0; v < byVariant.length; v++) {
            var variant = (com.fasterxml.jackson.databind.node.ObjectNode) doc.get("variants").get(v);
            var f1 = variant.putObject("macroF1");
            var values = f1.putArray("values");
            double mean = 0;
            for (int[] repeat : byVariant[v]) {
                double x = io.synalign.evaluation.ClassificationScores.of(truth, repeat).macroF1();
                values.add(x);
                mean += x / byVariant[v].length;
            }
            f1.put("mean", mean).put("std", 0.01);
            variant.set("testPredictions", json.valueToTree(byVariant[v]));
        }
        doc.set("classes", json.valueToTree(RunDirFixture.LABELS));
        doc.set("testLabels", json.valueToTree(truth));
        json.writeValue(dir.resolve(RunFiles.EVALUATION).toFile(), doc);
    }

    /**
     * The verdict's interval for 3 repeats, worked out here: the rows' bootstrap (scope
     * TEST_ROWS, 2,000 resamples, seed 4242) and the seeds' paired t (t = 4.303 for 2 degrees of
     * freedom), each side's half-widths added in quadrature.
     */
    private static String interval(int[][] a, int[][] b) {
        return interval(TRUTH, a, b);
    }

    /** As {@link #interval(int[][], int[][])} for the test rows {@code truth}. */
    private static String interval(int[] truth, int[][] a, int[][] b) {
        io.synalign.evaluation.PairedBootstrap.Interval i =
                new io.synalign.evaluation.PairedBootstrap(truth, 3, 2000, 4242).difference(
                        io.synalign.evaluation.PairedBootstrap.Metric.MACRO_F1,
                        io.synalign.evaluation.PairedBootstrap.Scope.TEST_ROWS, a, b);
        double[] d = new double[a.length];
        double mean = 0;
        for (int r = 0; r < a.length; r++) {
            d[r] = io.synalign.evaluation.ClassificationScores.of(truth, a[r]).macroF1()
                    - io.synalign.evaluation.ClassificationScores.of(truth, b[r]).macroF1();
            mean += d[r] / a.length;
        }
        double ss = 0;
        for (double v : d) {
            ss += (v - mean) * (v - mean);
        }
        double t = 4.303 * Math.sqrt(ss / (a.length - 1) / a.length);
        double low = mean - Math.sqrt(t * t + Math.pow(mean - i.low(), 2));
        double high = mean + Math.sqrt(t * t + Math.pow(i.high() - mean, 2));
        return String.format(java.util.Locale.ROOT, "%+.1f macro-F1 points (95%% CI %+.1f to"
                + " %+.1f: a paired bootstrap over %d test rows and a paired t over 3 repeats,"
                + " combined", 100 * mean, 100 * low, 100 * high, truth.length);
    }

    /**
     * The seeds' paired t interval alone of the repeats' macro-F1 differences on the test rows
     * {@code truth} (t = 4.303 for 2 degrees of freedom), as the verdict words it.
     */
    private static String seedsInterval(int[] truth, int[][] a, int[][] b) {
        double[] d = new double[a.length];
        double mean = 0;
        for (int r = 0; r < a.length; r++) {
            d[r] = io.synalign.evaluation.ClassificationScores.of(truth, a[r]).macroF1()
                    - io.synalign.evaluation.ClassificationScores.of(truth, b[r]).macroF1();
            mean += d[r] / a.length;
        }
        double ss = 0;
        for (double v : d) {
            ss += (v - mean) * (v - mean);
        }
        double t = 4.303 * Math.sqrt(ss / (a.length - 1) / a.length);
        return String.format(java.util.Locale.ROOT, "%+.1f macro-F1 points (95%% CI %+.1f to"
                + " %+.1f, paired over 3 repeats on this test set", 100 * mean, 100 * (mean - t),
                100 * (mean + t));
    }

    /**
     * Fewer test rows than the bootstrap's minimum (20): one row and one repeat give no
     * interval (a bootstrap over one row has width 0), 19 rows the seeds' interval alone, both
     * saying why; 20 rows the bootstrap's.
     */
    @Test
    void tooFewTestRowsGetNoBootstrapOverThem() throws IOException {
        new RunDirFixture().write(dir);
        int[] one = {0};
        keepPredictions(one, new int[][] {{1}}, new int[][] {{1}}, new int[][] {{0}});
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        String verdict = section(Files.readString(dir.resolve(RunFiles.REPORT)), "verdict");
        assertTrue(verdict.contains("<b>real</b>: +100.0 macro-F1 points; one repeat gives no"
                + " interval (use --repeats 3 or more), and there are too few test rows (1, fewer"
                + " than 20) for a bootstrap over them.</li>"), verdict);
        assertFalse(verdict.contains("beat"), verdict);
        assertEquals(0, count(verdict, "data-interval=\"bootstrap\""), verdict);

        int[] nineteen = java.util.Arrays.copyOf(TRUTH, 19);
        int[][] real = predictions(nineteen, 6, 7);
        int[][] synthetic = predictions(nineteen, 8, 3);
        int[][] aligned = predictions(nineteen, 8, 7);
        new RunDirFixture().write(dir);
        keepPredictions(nineteen, real, synthetic, aligned);
        r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        verdict = section(Files.readString(dir.resolve(RunFiles.REPORT)), "verdict");
        String why = "; too few test rows (19, fewer than 20) for a bootstrap over them)";
        assertTrue(verdict.contains(seedsInterval(nineteen, aligned, real) + why), verdict);
        assertTrue(verdict.contains(seedsInterval(nineteen, aligned, synthetic)
                + ", which includes 0" + why), verdict);
        assertEquals(0, count(verdict, "data-interval=\"bootstrap\""), verdict);

        int[] twenty = java.util.Arrays.copyOf(TRUTH, 20);
        real = predictions(twenty, 6, 7);
        synthetic = predictions(twenty, 8, 3);
        aligned = predictions(twenty, 8, 7);
        new RunDirFixture().write(dir);
        keepPredictions(twenty, real, synthetic, aligned);
        r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        verdict = section(Files.readString(dir.resolve(RunFiles.REPORT)), "verdict");
        assertTrue(verdict.contains(interval(twenty, aligned, real)), verdict);
        assertTrue(verdict.contains(interval(twenty, aligned, synthetic)), verdict);
        assertEquals(2, count(verdict, "data-interval=\"bootstrap\""), verdict);
        assertFalse(verdict.contains("too few"), verdict);
    }

    /**
     * An evaluation that kept its test predictions gets the verdict's interval from a paired
     * bootstrap over the test rows and repeats (2,000 resamples seeded by its --seed, 4242),
     * said so; the seeds-only wording is gone.
     */
    @Test
    void keptTestPredictionsGiveABootstrapIntervalOverTheTestRows() throws IOException {
        new RunDirFixture().write(dir);
        int[][] real = predictions(6, 7);
        int[][] synthetic = predictions(8, 3);
        int[][] aligned = predictions(8, 7);
        keepPredictions(real, synthetic, aligned);
        Cli.Run r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        String verdict = section(Files.readString(dir.resolve(RunFiles.REPORT)), "verdict");
        // +20 points on 90 rows: a win; against synthetic (as often right) no difference.
        assertTrue(verdict.contains("beat <b>real</b> by " + interval(aligned, real) + ")."),
                verdict);
        assertTrue(verdict.contains("is not distinguishable from <b>real+synthetic</b>: "
                + interval(aligned, synthetic) + ", which includes 0)."), verdict);
        assertFalse(verdict.contains("on this test set"), verdict);
        assertEquals(2, count(verdict, "data-interval=\"bootstrap\""), verdict);

        // The other way round: a loss.
        new RunDirFixture().write(dir);
        keepPredictions(aligned, synthetic, real);
        r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        verdict = section(Files.readString(dir.resolve(RunFiles.REPORT)), "verdict");
        assertTrue(verdict.contains("did worse than <b>real</b>: " + interval(real, aligned)
                + ")."), verdict);

        // One repeat: the rows still give an interval (the seeds gave none).
        new RunDirFixture().write(dir);
        keepPredictions(new int[][] {real[0]}, new int[][] {synthetic[0]},
                new int[][] {aligned[0]});
        r = report("--run", dir.toString());
        assertEquals(0, r.status(), r::toString);
        verdict = section(Files.readString(dir.resolve(RunFiles.REPORT)), "verdict");
        assertTrue(verdict.contains("a paired bootstrap over 90 test rows; one repeat, so the"
                + " seeds' spread is not in it)"), verdict);
        assertFalse(verdict.contains("one repeat gives no interval"), verdict);
    }

    /** Test predictions that do not fit their document: exit 2, one line, the old report kept. */
    @Test
    void unusableTestPredictionsAreExit2NamingTheVariantAndValue() throws IOException {
        Path out = dir.resolve(RunFiles.REPORT);
        record Case(String expected,
                java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit) {
        }
        List<Case> cases = List.of(
                new Case("variant 'real' testPredictions[1] has 89 entries for 90 testLabels",
                        doc -> repeat(doc, 0, 1).remove(89)),
                new Case("variant 'real' testPredictions[0][3] is \"x\"",
                        doc -> repeat(doc, 0, 0).set(3, new com.fasterxml.jackson.databind.node
                                .TextNode("x"))),
                new Case("variant 'real' testPredictions[2][0] is -1",
                        doc -> repeat(doc, 0, 2).set(0, new com.fasterxml.jackson.databind.node
                                .IntNode(-1))),
                new Case("variant 'real+synthetic' testPredictions is missing",
                        doc -> ((com.fasterxml.jackson.databind.node.ObjectNode) doc
                                .get("variants").get(1)).remove("testPredictions")),
                new Case("class index 3 in testLabels or testPredictions, but classes has 3 names",
                        doc -> ((com.fasterxml.jackson.databind.node.ArrayNode) doc
                                .get("testLabels")).set(0, new com.fasterxml.jackson.databind
                                .node.IntNode(3))),
                // Another run's predictions beside this run's scores.
                new Case("variant 'real' repeat 0: testPredictions score macro-F1",
                        doc -> ((com.fasterxml.jackson.databind.node.ObjectNode) doc
                                .get("variants").get(0)).set("testPredictions",
                                doc.get("variants").get(2).get("testPredictions"))),
                new Case("variant 'real' has 3 testPredictions arrays for 2 macroF1 values",
                        doc -> ((com.fasterxml.jackson.databind.node.ArrayNode) doc
                                .get("variants").get(0).get("macroF1").get("values")).remove(2)));
        com.fasterxml.jackson.databind.ObjectMapper json =
                new com.fasterxml.jackson.databind.ObjectMapper();
        for (Case c : cases) {
            new RunDirFixture().write(dir);
            keepPredictions(predictions(6, 7), predictions(8, 3), predictions(8, 7));
            Path evaluation = dir.resolve(RunFiles.EVALUATION);
            var doc = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(
                    evaluation.toFile());
            c.edit().accept(doc);
            json.writeValue(evaluation.toFile(), doc);
            Files.writeString(out, "old report");
            Cli.Run r = report("--run", dir.toString());
            assertEquals(2, r.status(), r::toString);
            assertEquals(1, r.errLines().size(), r::toString);
            assertTrue(r.err().contains(RunFiles.EVALUATION + ": " + c.expected()), r::toString);
            assertEquals("old report", Files.readString(out));
        }
    }

    private static com.fasterxml.jackson.databind.node.ArrayNode repeat(
            com.fasterxml.jackson.databind.JsonNode doc, int variant, int repeat) {
        return (com.fasterxml.jackson.databind.node.ArrayNode) doc.get("variants").get(variant)
                .get("testPredictions").get(repeat);
    }

    /** Changes the {@code settings} of the run document {@code name} in {@code dir}. */
    private void editSettings(String name,
            java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit)
            throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json =
                new com.fasterxml.jackson.databind.ObjectMapper();
        var doc = json.readTree(dir.resolve(name).toFile());
        edit.accept((com.fasterxml.jackson.databind.node.ObjectNode) doc.get("settings"));
        json.writeValue(dir.resolve(name).toFile(), doc);
    }
}
