package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The rule: same rows, some, none, not known; its record in test.json and its words. */
class FittedRealRowsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static RealRowsFingerprint rows(int from, int to) {
        List<String> texts = IntStream.range(from, to).mapToObj(i -> "row " + i).toList();
        return RealRowsFingerprint.of(texts, texts.stream().map(t -> "l").toList());
    }

    private static String plain(FittedRealRows f) {
        return f.note("align", t -> t, c -> c);
    }

    @Test
    void sameSomeNoneAndUnlisted() {
        FittedRealRows same = FittedRealRows.compare(rows(0, 16), rows(0, 16));
        assertEquals(FittedRealRows.Status.SAME, same.status());
        assertTrue(plain(same).startsWith("the weights were fitted to these very real rows (the"
                + " run directory's alignment.json records the same 16 rows), so the weighted"
                + " columns score them in-sample, which flatters them: for a fair figure, test"
                + " against real rows the weights were not fitted to (align --holdout-folds K"
                + " measures that from the real rows alone)"), plain(same));

        FittedRealRows some = FittedRealRows.compare(rows(0, 16), rows(10, 20));
        assertEquals(FittedRealRows.Status.OVERLAP, some.status());
        assertEquals(6, some.amongFitted());
        assertTrue(plain(some).startsWith("6 of these 10 real rows are, by their texts, among the 16 the weights"
                + " were fitted to (by the run directory's alignment.json), so the weighted"
                + " columns score the weights partly in-sample"), plain(some));
        FittedRealRows subset = FittedRealRows.compare(rows(0, 16), rows(2, 9));
        assertEquals(FittedRealRows.Status.OVERLAP, subset.status());
        assertTrue(plain(subset).startsWith("all 7 of these 7 real rows are, by their texts, among the 16 the"
                + " weights were fitted to (by the run directory's alignment.json), so the"
                + " weighted columns score the weights in-sample"), plain(subset));

        FittedRealRows none = FittedRealRows.compare(rows(0, 16), rows(16, 26));
        assertEquals(FittedRealRows.Status.DISJOINT, none.status());
        assertEquals("the weights were fitted to other real rows (the run directory's"
                + " alignment.json records 16, none of their texts among these 10): the weighted"
                + " columns score the weights on real rows they were not fitted to", plain(none));

        RealRowsFingerprint large = RealRowsFingerprint.fromJson(JSON.valueToTree(
                rows(0, RealRowsFingerprint.LISTED_ROWS + 5).json()));
        FittedRealRows unlisted = FittedRealRows.compare(large, rows(0, 10));
        assertEquals(FittedRealRows.Status.OTHER, unlisted.status());
        assertTrue(plain(unlisted).startsWith("the weights were fitted to other real rows than"
                + " these (the run directory's alignment.json records 1005 of another"
                + " fingerprint; whether some of these 10 are among them is not recorded for a"
                + " real set over 1000 rows)"), plain(unlisted));
        assertEquals(FittedRealRows.Status.SAME, FittedRealRows.compare(large,
                rows(0, RealRowsFingerprint.LISTED_ROWS + 5)).status(), "the fingerprint decides");
        // The same texts under another label, unlisted: the texts' fingerprint counts them all.
        List<String> texts = IntStream.range(0, RealRowsFingerprint.LISTED_ROWS + 5)
                .mapToObj(i -> "row " + i).toList();
        FittedRealRows relabelled = FittedRealRows.compare(large, RealRowsFingerprint.of(texts,
                texts.stream().map(t -> "other").toList()));
        assertEquals(FittedRealRows.Status.OVERLAP, relabelled.status());
        assertEquals(RealRowsFingerprint.LISTED_ROWS + 5, relabelled.amongFitted());
    }

    @Test
    void unknownKeepsTheConditionalWordingWithItsReason() {
        String old = plain(FittedRealRows.unknown(16, null));
        assertEquals("the weighted columns score the weights against these real rows; weights"
                + " learned against them (align --real this file) are scored in-sample, which"
                + " flatters them: for a fair figure, test against real rows the weights were not"
                + " learned against (align --holdout-folds K measures that from the real rows"
                + " alone)", old);
        assertEquals(old + "; d has no alignment.json to tell whether they were",
                plain(FittedRealRows.unknown(16, "d has no alignment.json to tell whether they"
                        + " were")));
        String html = FittedRealRows.unknown(3, "a <b>").note("run", t -> t.replace("<", "&lt;"),
                c -> "<code>" + c + "</code>");
        assertTrue(html.contains("(<code>run --real this file</code>)"), html);
        assertTrue(html.contains("(<code>run --holdout-folds K</code> measures"), html);
        assertTrue(html.endsWith("; a &lt;b>"), html);
    }

    @Test
    void theRecordReadsBackAndAnotherAlignmentsFindingIsUnknown() throws Exception {
        RealRowsFingerprint fitted = rows(0, 16);
        FittedRealRows some = FittedRealRows.compare(fitted, rows(10, 20));
        ObjectNode test = JSON.createObjectNode();
        test.set(FittedRealRows.KEY, JSON.valueToTree(some.json()));
        ObjectNode alignment = JSON.createObjectNode();
        alignment.set(RealRowsFingerprint.KEY, JSON.valueToTree(fitted.json()));
        assertEquals(some, FittedRealRows.read(test, alignment));
        assertEquals(some, FittedRealRows.read(test, null), "no alignment.json beside: as recorded");

        ObjectNode since = JSON.createObjectNode();
        since.set(RealRowsFingerprint.KEY, JSON.valueToTree(rows(0, 17).json()));
        FittedRealRows stale = FittedRealRows.read(test, since);
        assertEquals(FittedRealRows.Status.UNKNOWN, stale.status());
        assertTrue(plain(stale).endsWith("; test.json was written against other real rows than"
                + " this directory's alignment.json records (an alignment written since)"),
                plain(stale));

        JsonNode older = JSON.readTree("{\"overall\": {\"real\": 32}}");
        FittedRealRows before = FittedRealRows.read(older, alignment);
        assertEquals(FittedRealRows.unknown(32, null), before, "a test.json written before");
    }
}
