package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The real rows' fingerprint against its definition written out independently
 * ({@link ReferenceFingerprint}), on awkward rows; what it tells apart and what it does not.
 */
class RealRowsFingerprintTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Texts that stress the encoding: empty, non-ASCII (2-, 3- and 4-byte UTF-8), long, quotes. */
    private static final List<String> TEXTS = List.of("", "café au lait", "日本語のテキスト",
            "an emoji \uD83D\uDE00 in it", "a \"quoted\", comma-separated\ttext\nwith a newline",
            "x".repeat(70_000), "a b", "c");

    @Test
    void theFingerprintIsItsDefinitionWrittenOut() {
        List<String> labels = List.of("pos", "neg", "", "é", "pos", "neg", "pos", "a");
        RealRowsFingerprint fp = RealRowsFingerprint.of(TEXTS, labels);
        assertEquals(ReferenceFingerprint.set(labels, TEXTS), fp.sha256());
        assertEquals(8, fp.count());
        // The texts alone: the listed digests and texts_sha256 take every label as none.
        assertEquals(ReferenceFingerprint.rows(null, TEXTS).stream()
                .map(h -> h.substring(0, 16)).toList(), fp.rowDigests());
        assertEquals(ReferenceFingerprint.set(null, TEXTS), fp.textsSha256());
        RealRowsFingerprint unlabelled = RealRowsFingerprint.of(TEXTS, null);
        assertEquals(ReferenceFingerprint.set(null, TEXTS), unlabelled.sha256());
        assertEquals(unlabelled.sha256(), unlabelled.textsSha256());
        RealRowsFingerprint none = RealRowsFingerprint.of(List.of(), null);
        assertEquals(ReferenceFingerprint.set(null, List.of()), none.sha256());
        assertEquals(0, none.count());
    }

    @Test
    void theSameRowsInAnyOrderMatchAndAnyChangedRowDoesNot() {
        Random rnd = new Random(3);
        List<String> texts = new ArrayList<>(TEXTS);
        List<String> labels = IntStream.range(0, texts.size()).mapToObj(i -> "l" + i % 3).toList();
        String fp = RealRowsFingerprint.of(texts, labels).sha256();
        List<Integer> order = new ArrayList<>(IntStream.range(0, texts.size()).boxed().toList());
        Collections.shuffle(order, rnd);
        assertEquals(fp, RealRowsFingerprint.of(order.stream().map(texts::get).toList(),
                order.stream().map(labels::get).toList()).sha256(), "order does not count");

        List<String> changed = new ArrayList<>(texts);
        changed.set(1, "cafe au lait");
        assertNotEquals(fp, RealRowsFingerprint.of(changed, labels).sha256(), "a text");
        List<String> relabelled = new ArrayList<>(labels);
        relabelled.set(0, "l9");
        assertNotEquals(fp, RealRowsFingerprint.of(texts, relabelled).sha256(), "a label");
        assertNotEquals(fp, RealRowsFingerprint.of(texts, null).sha256(), "no labels");
        List<String> doubled = new ArrayList<>(texts);
        doubled.add(texts.get(2));
        List<String> doubledLabels = new ArrayList<>(labels);
        doubledLabels.add(labels.get(2));
        assertNotEquals(fp, RealRowsFingerprint.of(doubled, doubledLabels).sha256(),
                "a duplicate counts");
        // The length prefixes: label "a b" text "c" is not label "a" text "b c"; nor is an
        // empty label no label.
        assertNotEquals(RealRowsFingerprint.of(List.of("c"), List.of("a b")).sha256(),
                RealRowsFingerprint.of(List.of("b c"), List.of("a")).sha256());
        assertNotEquals(RealRowsFingerprint.of(List.of("c"), List.of("")).sha256(),
                RealRowsFingerprint.of(List.of("c"), null).sha256());
    }

    @Test
    void rowDigestsAreListedUpToTheLimitAndReadBack() {
        List<String> texts = IntStream.range(0, RealRowsFingerprint.LISTED_ROWS + 1)
                .mapToObj(i -> "row " + i).toList();
        RealRowsFingerprint atLimit = RealRowsFingerprint.of(texts.subList(0,
                RealRowsFingerprint.LISTED_ROWS), null);
        JsonNode listed = JSON.valueToTree(atLimit.json());
        assertEquals(RealRowsFingerprint.LISTED_ROWS, listed.path("row_digests").size());
        assertEquals(atLimit, RealRowsFingerprint.fromJson(listed));
        RealRowsFingerprint over = RealRowsFingerprint.of(texts, null);
        JsonNode unlisted = JSON.valueToTree(over.json());
        assertTrue(unlisted.path("row_digests").isNull(), unlisted.toString());
        RealRowsFingerprint read = RealRowsFingerprint.fromJson(unlisted);
        assertEquals(over.sha256(), read.sha256());
        assertEquals(RealRowsFingerprint.LISTED_ROWS + 1, read.count());
        assertNull(read.rowDigests());
        assertEquals(-1, read.amongThese(atLimit), "not listed: no overlap counted");
        assertEquals(RealRowsFingerprint.LISTED_ROWS, atLimit.amongThese(over),
                "the test's own rows are always digested");
    }

    @Test
    void aRecordThisClassDidNotWriteReadsAsNone() throws Exception {
        assertNull(RealRowsFingerprint.fromJson(null));
        assertNull(RealRowsFingerprint.fromJson(JSON.readTree("{}")));
        assertNull(RealRowsFingerprint.fromJson(JSON.readTree("{\"count\": 3, \"sha256\": \"ab\"}")));
        assertNull(RealRowsFingerprint.fromJson(JSON.readTree("{\"count\": \"3\", \"sha256\": \""
                + "0".repeat(64) + "\"}")));
        RealRowsFingerprint noList = RealRowsFingerprint.fromJson(JSON.readTree(
                "{\"count\": 2, \"sha256\": \"" + "0".repeat(64) + "\", \"row_digests\": [\"a\"]}"));
        assertNull(noList.rowDigests(), "a list of another length is not used");
    }

    /**
     * Embeddings: the definition written out on awkward values (subnormal, -0.0, float32
     * values widened, large magnitudes) and an awkward shape (7 x 3); order-free; a changed
     * value or a row more differs; the kind is recorded and read back, and a text record is
     * never compared with it.
     */
    @Test
    void embeddingsAreFingerprintedByTheirValuesInAnyRowOrder() {
        double[][] rows = {
            {0.1f, -0.0, Double.MIN_VALUE}, {1e300, -1e-300, 3}, {0.1, 0.2, 0.3},
            {0, 0, 0}, {(double) 1.17549435e-38f, 2.5f, -7}, {0.1, 0.2, 0.3}, {1, 2, 3}};
        RealRowsFingerprint fp = RealRowsFingerprint.ofEmbeddings(rows.length, 3,
                (row, out) -> System.arraycopy(rows[(int) row], 0, out, 0, 3));
        assertEquals(ReferenceFingerprint.embeddingSet(rows), fp.sha256());
        assertEquals(7, fp.count());
        assertEquals(RealRowsFingerprint.EMBEDDINGS, fp.kind());

        double[][] reversed = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            reversed[i] = rows[rows.length - 1 - i];
        }
        assertEquals(fp.sha256(), RealRowsFingerprint.ofEmbeddings(7, 3,
                (row, out) -> System.arraycopy(reversed[(int) row], 0, out, 0, 3)).sha256(),
                "order does not count");
        double[][] changed = rows.clone();
        changed[2] = new double[] {0.1, 0.2, Math.nextUp(0.3)};
        assertNotEquals(fp.sha256(), RealRowsFingerprint.ofEmbeddings(7, 3,
                (row, out) -> System.arraycopy(changed[(int) row], 0, out, 0, 3)).sha256());
        assertNotEquals(fp.sha256(), RealRowsFingerprint.ofEmbeddings(6, 3,
                (row, out) -> System.arraycopy(rows[(int) row], 0, out, 0, 3)).sha256());

        JsonNode json = JSON.valueToTree(fp.json());
        assertEquals("embeddings", json.path("kind").asText());
        assertTrue(json.path("about").asText().startsWith("the real embeddings"), json::toString);
        assertTrue(json.path("row_digests").isMissingNode(), "not listed");
        assertEquals(fp, RealRowsFingerprint.fromJson(json));
        RealRowsFingerprint texts = RealRowsFingerprint.of(List.of("a"), null);
        assertEquals("texts", JSON.valueToTree(texts.json()).path("kind").asText());
        RealRowsFingerprint sameDigestOtherKind = new RealRowsFingerprint(
                RealRowsFingerprint.TEXTS, fp.count(), fp.sha256(), fp.sha256(), null);
        assertEquals(-1, sameDigestOtherKind.amongThese(fp), "never compared across kinds");
        assertEquals(FittedRealRows.Status.UNKNOWN,
                FittedRealRows.compare(fp, sameDigestOtherKind).status());
        assertEquals(FittedRealRows.Status.UNKNOWN,
                FittedRealRows.compare(sameDigestOtherKind, fp).status());
    }

    /** A record without kind (written before it was) is of texts; an unknown kind is none. */
    @Test
    void aRecordWithoutAKindIsOfTexts() throws Exception {
        String sha = "0".repeat(64);
        assertEquals(RealRowsFingerprint.TEXTS, RealRowsFingerprint.fromJson(JSON.readTree(
                "{\"count\": 2, \"sha256\": \"" + sha + "\"}")).kind());
        assertNull(RealRowsFingerprint.fromJson(JSON.readTree("{\"kind\": \"images\","
                + " \"count\": 2, \"sha256\": \"" + sha + "\"}")));
    }
}
