package io.synalign.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Escaping, subsampling and histogram binning of the report. */
class ReportPartsTest {

    @Test
    void escapesEveryMarkupCharacter() {
        assertEquals("&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;",
                Html.escape("<a href=\"x\">&'</a>"));
        assertEquals("a\ufffdb\tc\nd", Html.escape("a\u0000b\tc\nd"));
        assertEquals("", Html.escape(null));
        assertEquals("caf\u00e9 \u4e2d", Html.escape("caf\u00e9 \u4e2d"));
    }

    @Test
    void bidiControlsCannotReorderTheTextAroundALabel() {
        assertEquals("a\ufffdb\ufffdc\ufffd\u05d0", Html.escape("a\u202eb\u2067c\u202a\u05d0"),
                "overrides, isolates and embeddings go; Hebrew letters stay");
    }

    @Test
    void longLabelsAreCutForDisplayAndKeptWholeInTheTitle() {
        String longLabel = "x".repeat(4999) + "\ud83d\ude00";
        String html = Html.label(longLabel);
        String shown = html.substring(html.indexOf('>') + 1, html.lastIndexOf('<'));
        assertEquals(Html.LABEL_CHARS, shown.codePointCount(0, shown.length()));
        assertTrue(shown.endsWith("\u2026"), shown);
        assertTrue(html.contains("title=\"" + longLabel + "\""), "the whole label in the title");
        assertEquals("<span class=\"data\" title=\"a&amp;b\">a&amp;b</span>", Html.label("a&b"));
        // A cut never splits a surrogate pair.
        String emoji = "\ud83d\ude00".repeat(100);
        String cut = Html.label(emoji);
        String text = cut.substring(cut.indexOf('>') + 1, cut.lastIndexOf('<'));
        assertEquals("\ud83d\ude00".repeat(Html.LABEL_CHARS - 1) + "\u2026", text);
    }

    @Test
    void subsampleIsDeterministicSortedDistinctAndCapped() {
        assertArrayEquals(new int[] {0, 1, 2}, Subsample.indices(3, 5, 1));
        int[] a = Subsample.indices(10_007, 2000, 1);
        assertEquals(2000, a.length);
        assertArrayEquals(a, Subsample.indices(10_007, 2000, 1));
        for (int i = 1; i < a.length; i++) {
            assertTrue(a[i] > a[i - 1]);
        }
        assertTrue(a[0] >= 0 && a[a.length - 1] < 10_007);
        // Spread over the whole range: about a fifth in each fifth.
        int[] fifths = new int[5];
        for (int i : a) {
            fifths[i * 5 / 10_007]++;
        }
        for (int f : fifths) {
            assertTrue(f > 300 && f < 500, Arrays.toString(fifths));
        }
        assertThrows(IllegalArgumentException.class, () -> Subsample.indices(5, 0, 1));
    }

    @Test
    void histogramCountsEveryValueInItsBin() {
        double[] values = {0, 0, 0.1, 0.5, 0.99, 1.0, 2.0, 3.99, 4.0};
        Histogram h = Histogram.of(values, 4);
        assertEquals(4.0, h.max());
        // Bins [0,1) [1,2) [2,3) [3,4]: max goes into the last bin.
        assertArrayEquals(new int[] {5, 1, 1, 2}, h.counts());
        assertEquals(5, h.maxCount());
        Histogram zeros = Histogram.of(new double[] {0, 0}, 3);
        assertArrayEquals(new int[] {2, 0, 0}, zeros.counts());
        assertThrows(IllegalArgumentException.class, () -> Histogram.of(new double[] {-1}, 3));
        assertThrows(IllegalArgumentException.class,
                () -> Histogram.of(new double[] {Double.NaN}, 3));
    }

    @Test
    void barChartLeavesOutNonFiniteValuesAndKeepsItsScale() {
        // an MMD^2 of 1e400 in a JSON file reads as +Infinity
        String svg = Charts.groupedBars("c", java.util.List.of("a", "b"),
                java.util.List.of("before", "after"),
                new double[][] {{0.5, Double.POSITIVE_INFINITY}, {Double.NaN, 0.25}});
        assertTrue(!svg.contains("NaN") && !svg.contains("Infinity"), svg);
        assertEquals(2, svg.split("<title>", -1).length - 1, "one bar per finite value: " + svg);
        assertTrue(svg.contains(">0.5</text>"), "the scale ends at the largest finite value: " + svg);
    }

    @Test
    void longCategoryNamesAreCutBetweenCharactersNotInsideOne() {
        String label = "abcdefghijkl\uD83D\uDE00tail-of-a-very-long-label"; // emoji at 12-13
        String svg = Charts.groupedBars("c", java.util.List.of(label), java.util.List.of("s"),
                new double[][] {{1}});
        for (int i = 0; i < svg.length(); i++) {
            char ch = svg.charAt(i);
            if (Character.isHighSurrogate(ch)) {
                assertTrue(i + 1 < svg.length() && Character.isLowSurrogate(svg.charAt(i + 1)),
                        "half a surrogate pair at " + i + ": " + svg);
                i++;
            } else {
                assertTrue(!Character.isLowSurrogate(ch), "lone low surrogate at " + i);
            }
        }
        assertTrue(svg.contains(">abcdefghijkl\uD83D\uDE00\u2026</text>"), svg);
    }

    @Test
    void categoryNamesFitTheirGroupAndAWideChartScrollsInItsOwnBox() {
        // 8 labels: groups 62 px wide, names cut at 14 characters (about 90 px) overlapped
        List<String> eight = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            eight.add("book_restaurant_" + i);
        }
        double[][] values = new double[8][2];
        String svg = Charts.groupedBars("c", eight, List.of("before", "after"), values);
        int width = Integer.parseInt(svg.replaceAll("(?s).*?width=\"(\\d+)\".*", "$1"));
        double groupW = (width - 80) / 8.0;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "<text [^>]*><title>([^<]*)</title>([^<]*)</text>").matcher(svg);
        int names = 0;
        while (m.find()) {
            assertEquals(eight.get(names), m.group(1), "the title holds the whole name");
            assertTrue(m.group(2).length() * Charts.LABEL_CHAR_PX <= groupW,
                    m.group(2) + " is wider than its group of " + groupW + " px");
            names++;
        }
        assertEquals(8, names, svg);
        assertFalse(svg.startsWith("<div"), "a chart that fits the page is not boxed");

        // 300 labels: an SVG 18,680 px wide made the whole page scroll sideways
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            many.add("l" + i);
        }
        String wide = Charts.groupedBars("c", many, List.of("before", "after"), new double[300][2]);
        assertTrue(wide.startsWith("<div class=\"scroll\"><svg") && wide.endsWith("</svg></div>"),
                wide.substring(0, 80));
    }

    @Test
    void numbersHaveFourSignificantDigits() {
        assertEquals("0.0123", Html.num(0.0123));
        assertEquals("0.8125", Html.num(0.8125));
        assertEquals("12", Html.num(12));
        assertEquals("-2.000e-04", Html.num(-0.0002));
        assertEquals("-", Html.num(Double.NaN));
        assertEquals("0", Html.num(0));
    }
    /**
     * With 20 permutations p is never below 0.01 (its floor is 1/21): the page said
     * "Indistinguishable in 1 of 1 labels" beside an AUC of 0.995. It gives no verdict now.
     */
    @Test
    void tooFewPermutationsForTheCutOffGiveNoVerdict() throws Exception {
        String doc = "{\"permutations\": %d, \"labels\": {\"X\": {\"real\": 40, \"synthetic\": 40,"
                + " \"p_value\": %s, \"auc\": 0.995}}, \"overall\": {\"real\": 40, \"synthetic\": 40,"
                + " \"p_value\": %s, \"auc\": 0.995}}";
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        String few = TwoSampleSection.html(json.readTree(String.format(java.util.Locale.ROOT, doc, 20,
                "0.047619", "0.047619")));
        assertFalse(few.contains("Indistinguishable in"), few);
        assertTrue(few.contains("With 20 permutations the smallest p-value is 0.04762, not below 0.01:"
                + " the test cannot tell any label apart"), few);
        String edge = TwoSampleSection.html(json.readTree(String.format(java.util.Locale.ROOT, doc, 99,
                "0.01", "0.01")));
        assertTrue(edge.contains("With 99 permutations the smallest p-value is 0.01, not below 0.01"), edge);
        String enough = TwoSampleSection.html(json.readTree(String.format(java.util.Locale.ROOT, doc, 100,
                "0.0099", "0.0099")));
        assertTrue(enough.contains("Indistinguishable in 0 of 1 labels"), enough);
        assertFalse(enough.contains("Not tested on their own"), enough);
        String alone = TwoSampleSection.html(json.readTree(String.format(java.util.Locale.ROOT, doc, 100,
                "0.0099", "0.0099").replaceFirst("\\}$", ", \"labels_in_one_file\": {\"real\": [\"ABBR\"],"
                + " \"synthetic\": [\"<NEW>\"]}}")));
        assertTrue(alone.contains("Not tested on their own, being in one file only (their rows count in the"
                + " overall row): ABBR (real only), &lt;NEW&gt; (synthetic only)."), alone);
    }

    /**
     * Weighted columns are in-sample when the weights were learned against these real rows: the
     * page says so whenever it shows them, and counts the labels whose weighted AUC is below
     * chance at the weights' effective sample size (0.20 is chance at an ESS of 8 beside 16 real
     * rows, not at 60).
     */
    @Test
    void weightedColumnsAreSaidToBeInSampleAndLowWeightedAucsCounted() throws Exception {
        String doc = "{\"permutations\": 200, \"labels\": {\"A\": {\"real\": 16, \"synthetic\": 60,"
                + " \"p_value\": 0.3, \"auc\": 0.5, \"p_value_weighted\": 0.99, \"auc_weighted\": 0.20%s},"
                + " \"B\": {\"real\": 16, \"synthetic\": 60, \"p_value\": 0.3, \"auc\": 0.5,"
                + " \"p_value_weighted\": 0.9, \"auc_weighted\": 0.45, \"ess_weighted\": 60}},"
                + " \"overall\": {\"real\": 32, \"synthetic\": 120, \"p_value\": 0.3, \"auc\": 0.5,"
                + " \"p_value_weighted\": 0.9, \"auc_weighted\": 0.45}}";
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        String inSample = "The weighted columns score the weights against these real rows; weights"
                + " learned against them (<code>align --real this file</code>) are scored in-sample";
        String wide = TwoSampleSection.html(json.readTree(String.format(java.util.Locale.ROOT, doc,
                ", \"ess_weighted\": 60")));
        assertTrue(wide.contains("In 1 label(s) the weighted AUC is below 0.35 (and 3 standard"
                + " deviations of chance at the weights' effective sample size)"), wide);
        assertTrue(wide.contains(inSample), wide);
        String narrow = TwoSampleSection.html(json.readTree(String.format(java.util.Locale.ROOT, doc,
                ", \"ess_weighted\": 8")));
        assertFalse(narrow.contains("the weighted AUC is below"), narrow);
        assertTrue(narrow.contains(inSample), narrow);
        // A file written before ess_weighted: the note, no count.
        String old = TwoSampleSection.html(json.readTree(String.format(java.util.Locale.ROOT, doc, "")));
        assertFalse(old.contains("the weighted AUC is below"), old);
        assertTrue(old.contains(inSample), old);
        String uniform = TwoSampleSection.html(json.readTree("{\"permutations\": 200, \"labels\": {},"
                + " \"overall\": {\"real\": 32, \"synthetic\": 120, \"p_value\": 0.3, \"auc\": 0.5}}"));
        assertFalse(uniform.contains("in-sample"), uniform);
    }

    /**
     * Where test.json records whether its real rows are the fitted ones (test --run-dir beside
     * an alignment.json that records them, or run), the page says it as a fact, in the words
     * test printed; a finding made against other rows than the directory's alignment.json now
     * records is not trusted.
     */
    @Test
    void theInSampleNoteReadsTheFindingTestRecorded() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        String doc = "{\"permutations\": 200, \"labels\": {}, \"overall\": {\"real\": 32,"
                + " \"synthetic\": 120, \"p_value\": 0.3, \"auc\": 0.5, \"p_value_weighted\": 0.9,"
                + " \"auc_weighted\": 0.45}, \"in_sample\": {\"status\": \"%s\", \"real_rows\": 32,"
                + " \"fitted_rows\": 16, \"among_fitted\": %s, \"fitted_sha256\": \"%s\","
                + " \"why_unknown\": null}}";
        String sha = "ab".repeat(32);
        String disjoint = TwoSampleSection.html(json.readTree(String.format(doc, "disjoint", "0",
                sha)), null);
        assertTrue(disjoint.contains("id=\"two-sample-in-sample\">The weights were fitted to other"
                + " real rows (the run directory&#39;s alignment.json records 16, none of their"
                + " texts among these 32): the weighted columns score the weights on real rows they were not"
                + " fitted to.</p>"), disjoint);
        String overlap = TwoSampleSection.html(json.readTree(String.format(doc, "overlap", "4",
                sha)), null);
        assertTrue(overlap.contains(">4 of these 32 real rows are, by their texts, among the 16 the weights were"
                + " fitted to"), overlap);
        // The directory's alignment.json records other rows since: the finding is not used.
        var alignment = json.readTree("{\"command\": \"run\", \"real_rows\": {\"count\": 16,"
                + " \"sha256\": \"" + "cd".repeat(32) + "\"}}");
        String stale = TwoSampleSection.html(json.readTree(String.format(doc, "disjoint", "0",
                sha)), alignment);
        assertTrue(stale.contains("The weighted columns score the weights against these real"
                + " rows; weights learned against them (<code>run --real this file</code>) are"
                + " scored in-sample"), stale);
        assertTrue(stale.contains("; test.json was written against other real rows than this"
                + " directory&#39;s alignment.json records (an alignment written since).</p>"),
                stale);
    }

    /**
     * W told by its row count alone (an alignment.json from before the record): the page adds
     * test's note as test printed it; a relative run directory's file name keeps its case (it
     * was capitalised into another file's name), and an empty reason adds nothing (review
     * final24).
     */
    @Test
    void theWeightedFilesOriginNoteKeepsTheFileNamesCase() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        String doc = "{\"permutations\": 200, \"labels\": {}, \"overall\": {\"real\": 32,"
                + " \"synthetic\": 120, \"p_value\": 0.3, \"auc\": 0.5, \"p_value_weighted\": 0.9,"
                + " \"auc_weighted\": 0.45}, \"in_sample\": {\"status\": \"same\", \"real_rows\":"
                + " 32, \"fitted_rows\": 32, \"among_fitted\": 32, \"fitted_sha256\": \""
                + "ab".repeat(32) + "\", \"why_unknown\": null}, \"weighted_file\": {\"status\":"
                + " \"unknown\", \"rows\": 120, \"sha256\": null, \"texts_sha256\": null,"
                + " \"weights_sha256\": null, \"why\": %s}}";
        String why = "rdo/alignment.json was written before alignments recorded their synthetic"
                + " rows and weights (align or run again records them), so --weighted w.jsonl is"
                + " taken as its weights by the row count alone (120)";
        String page = TwoSampleSection.html(json.readTree(String.format(java.util.Locale.ROOT,
                doc, "\"" + why + "\"")), null);
        assertTrue(page.contains(" <span id=\"two-sample-weighted-file\">Note: " + why
                + ".</span></p>"), page);
        String empty = TwoSampleSection.html(json.readTree(String.format(java.util.Locale.ROOT,
                doc, "\"\"")), null);
        assertTrue(!empty.contains("two-sample-weighted-file") && empty.contains("in-sample"),
                empty);
    }

    /** A label named "(overall)" keeps its own row beside the overall one (it was replaced). */
    @Test
    void aLabelNamedOverallKeepsItsRow() throws Exception {
        com.fasterxml.jackson.databind.JsonNode test = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"permutations\": 10, \"labels\": {\"(overall)\": {\"real\": 3,"
                        + " \"synthetic\": 4, \"auc\": 0.61}, \"b\": {\"real\": 5, \"synthetic\": 6}},"
                        + " \"overall\": {\"real\": 8, \"synthetic\": 10, \"auc\": 0.55}}");
        String html = TwoSampleSection.html(test);
        assertEquals(3, html.split("class=\"two-sample-row\"", -1).length - 1, html);
        assertTrue(html.contains("0.61") && html.contains("0.55"), html);
        assertEquals(3, html.split("class=\"examples witness\"", -1).length - 1, html);
    }
}
