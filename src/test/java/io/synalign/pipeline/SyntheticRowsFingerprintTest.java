package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The synthetic rows' and weights' fingerprint against its definition written out independently
 * ({@link ReferenceFingerprint}); what {@link WeightedFileOrigin} tells from it.
 */
class SyntheticRowsFingerprintTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<String> TEXTS = List.of("", "café", "日本語", "an emoji \uD83D\uDE00",
            "a \"quoted\",\ttext\nwith a newline", "x".repeat(70_000), "a b");
    private static final List<String> LABELS = List.of("p", "n", "", "é", "p", "n", "p");
    /** Awkward weights: 0, subnormal, -0.0, a value with 17 significant digits, 1. */
    private static final double[] WEIGHTS = {0, Double.MIN_VALUE, -0.0, 0.12345678901234567,
        1.0 / 3, 1e-300, 1};

    @Test
    void theFingerprintIsItsDefinitionWrittenOut() {
        SyntheticRowsFingerprint fp = SyntheticRowsFingerprint.of(TEXTS, LABELS, WEIGHTS);
        assertEquals(7, fp.count());
        assertEquals(ReferenceFingerprint.inOrder(LABELS, TEXTS), fp.sha256());
        assertEquals(ReferenceFingerprint.inOrder(null, TEXTS), fp.textsSha256());
        assertEquals(ReferenceFingerprint.weights(WEIGHTS), fp.weightsSha256());
        SyntheticRowsFingerprint.Builder b = SyntheticRowsFingerprint.builder();
        for (int i = 0; i < TEXTS.size(); i++) {
            b.add(LABELS.get(i), TEXTS.get(i));
        }
        assertEquals(fp, b.build().weighted(WEIGHTS), "row by row, as align's scan adds them");
        assertEquals(ReferenceFingerprint.inOrder(null, List.of()),
                SyntheticRowsFingerprint.of(List.of(), null, new double[0]).sha256());
        assertThrows(IllegalArgumentException.class,
                () -> SyntheticRowsFingerprint.of(TEXTS, LABELS, new double[6]));
    }

    @Test
    void orderTextsAndWeightsCountLabelsAreRecordedApart() {
        SyntheticRowsFingerprint fp = SyntheticRowsFingerprint.of(TEXTS, LABELS, WEIGHTS);
        List<String> reversed = new ArrayList<>(TEXTS);
        Collections.reverse(reversed);
        List<String> reversedLabels = new ArrayList<>(LABELS);
        Collections.reverse(reversedLabels);
        assertNotEquals(fp.textsSha256(), SyntheticRowsFingerprint.of(reversed, reversedLabels,
                WEIGHTS).textsSha256(), "in the order weighted");
        SyntheticRowsFingerprint unlabelled = SyntheticRowsFingerprint.of(TEXTS, null, WEIGHTS);
        assertEquals(fp.textsSha256(), unlabelled.textsSha256());
        assertNotEquals(fp.sha256(), unlabelled.sha256());
        double[] nudged = WEIGHTS.clone();
        nudged[3] = Math.nextUp(nudged[3]);
        assertNotEquals(fp.weightsSha256(),
                SyntheticRowsFingerprint.of(TEXTS, LABELS, nudged).weightsSha256());
        assertEquals(fp.weightsSha256(), SyntheticRowsFingerprint.of(TEXTS, LABELS,
                new double[] {0, Double.MIN_VALUE, -0.0, Double.parseDouble(
                        Double.toString(0.12345678901234567)), 1.0 / 3, 1e-300, 1})
                .weightsSha256(), "written and read back as text: the same doubles");
    }

    @Test
    void theRecordIsReadBackAndAForeignOneIsNone() throws Exception {
        SyntheticRowsFingerprint fp = SyntheticRowsFingerprint.of(TEXTS, LABELS, WEIGHTS);
        JsonNode json = JSON.valueToTree(fp.json());
        assertEquals(fp, SyntheticRowsFingerprint.fromJson(json));
        assertNull(SyntheticRowsFingerprint.fromJson(null));
        assertNull(SyntheticRowsFingerprint.fromJson(JSON.readTree("{}")));
        assertNull(SyntheticRowsFingerprint.fromJson(JSON.readTree("{\"count\": 1, \"sha256\": \""
                + "0".repeat(64) + "\"}")), "no texts' fingerprint");
    }

    /** W against the record: the alignment's, its rows with other weights, other rows. */
    @Test
    void theOriginOfAWeightedFileIsToldByTextsInOrderAndWeights() {
        SyntheticRowsFingerprint recorded = SyntheticRowsFingerprint.of(TEXTS, LABELS, WEIGHTS);
        assertEquals(WeightedFileOrigin.Status.SAME, WeightedFileOrigin.compare(recorded,
                SyntheticRowsFingerprint.of(TEXTS, LABELS, WEIGHTS), "w", "a").status());
        assertEquals(WeightedFileOrigin.Status.SAME, WeightedFileOrigin.compare(recorded,
                SyntheticRowsFingerprint.of(TEXTS, null, WEIGHTS), "w", "a").status(),
                "read with another label field: the same file");
        double[] edited = WEIGHTS.clone();
        edited[6] = 0.5;
        WeightedFileOrigin other = WeightedFileOrigin.compare(recorded,
                SyntheticRowsFingerprint.of(TEXTS, LABELS, edited), "w.jsonl", "d/alignment.json");
        assertEquals(WeightedFileOrigin.Status.OTHER_WEIGHTS, other.status());
        assertEquals("--weighted w.jsonl holds the synthetic rows d/alignment.json records, in"
                + " its order, but not the weights that alignment wrote (edited, or written by"
                + " another alignment of these rows), so which real rows they were fitted to is"
                + " not recorded", other.why());
        List<String> changed = new ArrayList<>(TEXTS);
        changed.set(2, "日本");
        WeightedFileOrigin rows = WeightedFileOrigin.compare(recorded,
                SyntheticRowsFingerprint.of(changed, LABELS, WEIGHTS), "w.jsonl", "d/a.json");
        assertEquals(WeightedFileOrigin.Status.OTHER_ROWS, rows.status());
        assertEquals("--weighted w.jsonl's 7 rows are not the synthetic rows d/a.json records"
                + " weighting (other texts, or another order): it records other weights",
                rows.why());
        WeightedFileOrigin fewer = WeightedFileOrigin.compare(recorded, SyntheticRowsFingerprint
                .of(TEXTS.subList(0, 6), null, new double[6]), "w.jsonl", "d/a.json");
        assertEquals("--weighted w.jsonl has 6 rows but d/a.json weighted 7: it records other"
                + " weights", fewer.why());
        assertEquals("other_rows", JSON.valueToTree(fewer.json()).path("status").asText());
    }
}
