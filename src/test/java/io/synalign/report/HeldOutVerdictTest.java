package io.synalign.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * The verdict's alignment line says its MMD^2 drop is in-sample, and gives the held-out check's
 * figures where alignment.json has them (as align --holdout-folds writes them).
 */
class HeldOutVerdictTest {

    private static final String LABELS = "\"labels\": ["
            + "{\"label\": \"A\", \"real_share\": 0.5, \"fit\": {\"mmd2_uniform\": 0.03,"
            + " \"mmd2_weighted\": 0.02}},"
            + "{\"label\": \"B\", \"real_share\": 0.5, \"fit\": {\"mmd2_uniform\": 0.05,"
            + " \"mmd2_weighted\": 0.03}}]";

    private static final String HELD_OUT = "\"held_out\": {\"folds\": 5, \"mmd2_uniform\":"
            + " 0.1285, \"mmd2_weighted\": 0.1317, \"mmd2_change\": 0.0032, \"n_held_out\": 96,"
            + " \"labels_checked\": 2, \"labels_lower\": 1, \"labels\": ["
            + "{\"label\": \"A\", \"n_real\": 16, \"n_synthetic\": 60, \"skipped\": null,"
            + " \"mmd2_uniform\": 0.12, \"mmd2_weighted\": 0.11, \"mmd2_change\": -0.01},"
            + "{\"label\": \"B\", \"n_real\": 80, \"n_synthetic\": 60, \"skipped\": null,"
            + " \"mmd2_uniform\": 0.13, \"mmd2_weighted\": 0.136, \"mmd2_change\": 0.006},"
            + "{\"label\": \"C\", \"n_real\": 1, \"n_synthetic\": 4, \"skipped\":"
            + " \"1 real row, fewer than the 10 that 5 folds of at least 2 need\", \"mmd2_uniform\": null,"
            + " \"mmd2_weighted\": null, \"mmd2_change\": null}]}";

    private static JsonNode doc(String body) throws Exception {
        return new ObjectMapper().readTree("{" + body + "}");
    }

    @Test
    void theInSampleDropIsCalledSoAndTheHeldOutFiguresFollow() throws Exception {
        String line = Verdict.alignment(doc(LABELS + ", " + HELD_OUT), null);
        assertTrue(line.startsWith("<b>Alignment</b> lowered MMD<sup>2</sup> between the"
                + " synthetic and the real rows from 0.04 (uniform weights) to 0.025 (learned"
                + " weights), -37.5% (averaged over 2 labels by their real shares; lower in 2 of"
                + " 2), measured against the real rows the weights were fitted to, where it falls"
                + " by construction."), line);
        assertTrue(line.contains(" On real rows each fit left out (5-fold cross-fitting, 96"
                + " rows) it did not lower MMD<sup>2</sup>: 0.1285 (uniform) to 0.1317 (learned),"
                + " +0.003200; lower in 1 of 2 labels."), line);
    }

    @Test
    void withoutACheckTheLineSaysHowToGetOne() throws Exception {
        String line = Verdict.alignment(doc(LABELS), null);
        assertTrue(line.contains("measured against the real rows the weights were fitted to"),
                line);
        assertTrue(line.contains("<code>synalign align --holdout-folds 5</code>"), line);
        assertFalse(line.contains("cross-fitting"), line);
        assertEquals("", HeldOutSection.table(doc(LABELS)));
    }

    /**
     * A check asked for that failed after the outputs were written is said to have failed,
     * with its line (escaped), and no check is advised as though it had never been asked for
     * (was: held_out null, and the page said "Run ... --holdout-folds 5"); no table.
     */
    @Test
    void aCheckThatFailedIsSaidToHaveFailedNotAdvised() throws Exception {
        JsonNode failed = doc(LABELS + ", \"held_out\": {\"failed\": \"out of memory (Java heap"
                + " space) <at> fold 2\", \"folds\": 3}");
        String line = Verdict.alignment(failed, null);
        assertTrue(line.contains(" The held-out check was asked for (<code>--holdout-folds"
                + " 3</code>) and failed after the outputs were written, so nothing was measured on"
                + " real rows the weights were not fitted to: out of memory (Java heap space)"
                + " &lt;at&gt; fold 2."), line);
        assertFalse(line.contains("Run <code>synalign"), line);
        assertFalse(line.contains("could check no"), line);
        assertEquals("", HeldOutSection.table(failed));
        assertNull(HeldOutSection.of(failed), "no figures");
        assertNull(HeldOutSection.failure(doc(LABELS + ", " + HELD_OUT)));
        assertNull(HeldOutSection.failure(doc(LABELS + ", \"held_out\": null")));
    }

    /**
     * The advice names the command that wrote alignment.json, told by its settings: every
     * alignment option of that command is listed, and only run has --weighted-out.
     */
    @Test
    void theAdviceNamesTheCommandThatWroteTheAlignment() throws Exception {
        String byAlign = Verdict.alignment(doc(LABELS + ", \"settings\": {\"--synthetic\":"
                + " \"s.jsonl\", \"--holdout-folds\": 0}"), null);
        assertTrue(byAlign.contains("Run <code>synalign align --holdout-folds 5</code>"), byAlign);
        String byRun = Verdict.alignment(doc(LABELS + ", \"settings\": {\"--weighted-out\":"
                + " null, \"--holdout-folds\": 0}"), null);
        assertTrue(byRun.contains("Run <code>synalign run --holdout-folds 5</code>"), byRun);
        assertFalse(byRun.contains("align --holdout-folds"), byRun);
        // Since alignment.json names its command, the command decides, not the settings.
        assertTrue(Verdict.alignment(doc(LABELS + ", \"command\": \"run\", \"settings\": {}"), null)
                .contains("Run <code>synalign run --holdout-folds 5</code>"));
        assertTrue(Verdict.alignment(doc(LABELS + ", \"command\": \"align\", \"settings\":"
                + " {\"--weighted-out\": null}"), null)
                .contains("Run <code>synalign align --holdout-folds 5</code>"));
    }

    /**
     * The advice's folds fit the largest fitted group: 5 folds of 2 need 10 real rows, so a run
     * whose labels have 8 is told 4 (the 5 it was told before was refused).
     */
    @Test
    void theAdvisedFoldsFitTheLargestGroup() throws Exception {
        String perLabel = "\"global_fit\": null, \"n_real\": 40, \"labels\": ["
                + "{\"label\": \"a\", \"status\": \"aligned\", \"n_real\": %d},"
                + "{\"label\": \"b\", \"status\": \"aligned\", \"n_real\": 3},"
                + "{\"label\": \"c\", \"status\": \"no-synthetic\", \"n_real\": 29}]";
        assertEquals(4, HeldOutSection.suggestedFolds(doc(String.format(perLabel, 8))));
        assertEquals(5, HeldOutSection.suggestedFolds(doc(String.format(perLabel, 11))));
        assertEquals(2, HeldOutSection.suggestedFolds(doc(String.format(perLabel, 5))));
        assertEquals(3, HeldOutSection.suggestedFolds(doc("\"global_fit\": {\"mmd2_uniform\": 0.1},"
                + " \"n_real\": 7, \"labels\": [{\"label\": \"a\", \"status\": \"aligned\", \"n_real\": 30}]")));
        assertEquals(5, HeldOutSection.suggestedFolds(doc("\"n_real\": 120")));
        assertEquals(5, HeldOutSection.suggestedFolds(doc(LABELS)), "a document without counts");
        // Labels of 3 real rows: no command (2 folds would be refused); the page says why.
        String few = "\"global_fit\": null, \"n_real\": 6, \"labels\": ["
                + "{\"label\": \"a\", \"status\": \"aligned\", \"n_real\": 3,"
                + " \"real_share\": 0.5, \"fit\": {\"mmd2_uniform\": 0.03, \"mmd2_weighted\": 0.02}},"
                + "{\"label\": \"b\", \"status\": \"aligned\", \"n_real\": 3,"
                + " \"real_share\": 0.5, \"fit\": {\"mmd2_uniform\": 0.05, \"mmd2_weighted\": 0.03}}]";
        String line = Verdict.alignment(doc(few), null);
        assertTrue(line.contains(" No held-out check can measure it: the largest fitted group has"
                + " 3 real rows, and a check needs 4 (2 folds of at least 2)."), line);
        assertFalse(line.contains("--holdout-folds"), line);
        assertNull(HeldOutSection.tooFewForACheck(doc(String.format(perLabel, 8))));
    }

    @Test
    void aGlobalCheckCountsNoLabels() throws Exception {
        String global = "\"global_fit\": {\"mmd2_uniform\": 0.03, \"mmd2_weighted\": 0.02},"
                + " \"held_out\": {\"folds\": 3, \"mmd2_uniform\": 0.2, \"mmd2_weighted\": 0.19,"
                + " \"n_held_out\": 30, \"labels_checked\": 1, \"labels_lower\": 1, \"labels\":"
                + " [{\"label\": \"(all)\", \"n_real\": 30}]}";
        String line = Verdict.alignment(doc(global), null);
        assertTrue(line.contains("(3-fold cross-fitting, 30 rows) it lowered MMD<sup>2</sup>:"
                + " 0.2 (uniform) to 0.19 (learned), -0.01000."), line);
    }

    @Test
    void theTableShowsEachLabelAndWhyOneWasNotChecked() throws Exception {
        String table = HeldOutSection.table(doc(LABELS + ", " + HELD_OUT));
        assertTrue(table.contains("<table id=\"mmd-heldout-table\">"), table);
        assertTrue(table.contains("data-label=\"A\"><td class=\"text\">"), table);
        assertTrue(table.contains("<td>0.12</td><td>0.11</td><td>-0.01</td>"), table);
        assertTrue(table.contains("not checked: 1 real row, fewer than the 10 that 5 folds of at least 2 need"), table);
        assertTrue(table.contains("<td>96</td><td>-</td><td>0.1285</td><td>0.1317</td>"
                + "<td>+0.0032</td>"), table);
    }
}
