package io.synalign.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Provenance}: the documents of one experiment pass; each way an earlier experiment's
 * generation.json or evaluation.json can sit beside a new alignment is found and named.
 */
class ProvenanceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    /** align --real ../real.jsonl --synthetic ../syn.jsonl --out ../w.jsonl, two labels. */
    private ObjectNode alignment() {
        ObjectNode a = JSON.createObjectNode();
        a.put("effective_sample_size", 48.3951190273973);
        a.putArray("labels").add(JSON.createObjectNode().put("label", "A").put("n_synthetic", 10))
                .add(JSON.createObjectNode().put("label", "B").put("n_synthetic", 7));
        a.putObject("settings").put("--real", "../real.jsonl").put("--synthetic", "../syn.jsonl")
                .put("--out", "../w.jsonl").putNull("--sampled-out");
        return a;
    }

    /** generate --real ../real.jsonl --out ../syn.jsonl, the rows align read. */
    private ObjectNode generation() {
        ObjectNode g = JSON.createObjectNode();
        g.putObject("settings").put("--real", "../real.jsonl").put("--out", "../syn.jsonl");
        ObjectNode per = g.putObject("perLabel");
        per.putObject("A").put("generated", 10);
        per.putObject("B").put("generated", 7);
        return g;
    }

    /** evaluate --train ../real.jsonl --synthetic ../syn.jsonl --weighted ../w.jsonl. */
    private ObjectNode evaluation() {
        ObjectNode e = JSON.createObjectNode();
        e.putObject("settings").put("--train", "../real.jsonl").put("--synthetic", "../syn.jsonl")
                .put("--weighted", "../w.jsonl").putNull("--aligned");
        e.putArray("variants").add(JSON.createObjectNode().put("name", "real").putNull("ess"))
                .add(JSON.createObjectNode().put("name", "real+aligned")
                        .put("ess", 48.39511902739728));
        return e;
    }

    private Path dir() throws IOException {
        return Files.createDirectories(root.resolve("run"));
    }

    @Test
    void theDocumentsOfOneExperimentPass() throws IOException {
        Provenance p = Provenance.check(dir(), alignment(), generation(), evaluation());
        assertEquals(List.of(), p.all());
        // The run directory's own weighted.jsonl is an output of the alignment too.
        ObjectNode e = evaluation();
        ((ObjectNode) e.get("settings")).put("--weighted", RunFiles.WEIGHTED);
        assertEquals(List.of(), Provenance.check(dir(), alignment(), null, e).all());
        // Nothing to compare with without alignment.json.
        ObjectNode other = generation();
        ((ObjectNode) other.get("settings")).put("--out", "../elsewhere.jsonl");
        assertEquals(List.of(), Provenance.check(dir(), null, other, evaluation()).all());
    }

    @Test
    void aGenerationOfAnotherSetOrAnotherRealFileIsNamed() throws IOException {
        ObjectNode g = generation();
        ((ObjectNode) g.get("settings")).put("--out", "../llm.jsonl").put("--real", "../r2.jsonl");
        Provenance p = Provenance.check(dir(), alignment(), g, evaluation());
        assertEquals(2, p.generation().size(), p::toString);
        assertTrue(p.generation().get(0).contains("../llm.jsonl")
                && p.generation().get(0).contains("aligned ../syn.jsonl"), p::toString);
        assertTrue(p.generation().get(1).contains("--real ../r2.jsonl"), p::toString);
        assertEquals(List.of(), p.evaluation());
    }

    @Test
    void aSetWrittenAgainAfterItsGenerationIsNamedByItsCounts() throws IOException {
        ObjectNode g = generation();
        ((ObjectNode) g.get("perLabel").get("B")).put("generated", 30);
        Provenance p = Provenance.check(dir(), alignment(), g, null);
        assertEquals(1, p.generation().size(), p::toString);
        assertTrue(p.generation().get(0).contains("generated 30 rows of label 'B'")
                && p.generation().get(0).contains("aligned 7"), p::toString);
        // Rounds generate more than the last file holds per round: not compared.
        g.putArray("rounds");
        assertEquals(List.of(), Provenance.check(dir(), alignment(), g, null).all());
    }

    @Test
    void anEvaluationOfOtherWeightsIsNamedByItsPathOrItsEffectiveSampleSize() throws IOException {
        ObjectNode e = evaluation();
        ((ObjectNode) e.get("settings")).put("--weighted", "../old-w.jsonl");
        Provenance p = Provenance.check(dir(), alignment(), null, e);
        assertEquals(1, p.evaluation().size(), p::toString);
        assertTrue(p.evaluation().get(0).contains("--weighted ../old-w.jsonl"), p::toString);

        // The same path, written again by a later align: the weights themselves differ.
        ObjectNode stale = evaluation();
        ((ObjectNode) stale.get("variants").get(1)).put("ess", 44.0);
        p = Provenance.check(dir(), alignment(), null, stale);
        assertEquals(1, p.evaluation().size(), p::toString);
        assertTrue(p.evaluation().get(0).contains("44.0000") && p.evaluation().get(0)
                .contains("48.3951"), p::toString);
        // Within the tolerance (a weight printed and parsed again): the same weights.
        ((ObjectNode) stale.get("variants").get(1)).put("ess", 48.3951190273973 * (1 + 5e-7));
        assertEquals(List.of(), Provenance.check(dir(), alignment(), null, stale).all());

        // Other training or synthetic rows.
        ObjectNode rows = evaluation();
        ((ObjectNode) rows.get("settings")).put("--train", "../train2.jsonl")
                .put("--synthetic", "../syn2.jsonl");
        p = Provenance.check(dir(), alignment(), null, rows);
        assertEquals(2, p.evaluation().size(), p::toString);
        assertTrue(p.evaluation().get(0).contains("--train ../train2.jsonl"), p::toString);
        assertTrue(p.evaluation().get(1).contains("--synthetic ../syn2.jsonl"), p::toString);
    }

    @Test
    void anAlignedSetIsOneOfTheAlignmentsOutputs() throws IOException {
        ObjectNode a = alignment();
        ((ObjectNode) a.get("settings")).put("--sampled-out", "../sampled.jsonl");
        ObjectNode e = evaluation();
        ((ObjectNode) e.get("settings")).putNull("--weighted").put("--aligned", "../sampled.jsonl");
        assertEquals(List.of(), Provenance.check(dir(), a, null, e).all());
        // run's weighted rows (--weighted-out) are an output too.
        ObjectNode run = alignment();
        ((ObjectNode) run.get("settings")).put("--out", "../aligned.jsonl").put("--weighted-out",
                "../w-run.jsonl");
        ObjectNode byRun = evaluation();
        ((ObjectNode) byRun.get("settings")).put("--weighted", "../w-run.jsonl");
        assertEquals(List.of(), Provenance.check(dir(), run, null, byRun).all());
        ((ObjectNode) e.get("settings")).put("--aligned", "../other-sampled.jsonl");
        List<String> found = Provenance.check(dir(), a, null, e).evaluation();
        assertEquals(1, found.size(), found::toString);
        assertTrue(found.get(0).contains("--aligned ../other-sampled.jsonl"), found::toString);
    }

    @Test
    void pathsNamingOneFileThroughALinkOrSpellingMatch() throws IOException {
        Path run = dir();
        Path syn = Files.writeString(root.resolve("syn.jsonl"), "{}\n");
        Files.createSymbolicLink(root.resolve("link.jsonl"), syn);
        assertTrue(Provenance.sameFile(run, "../link.jsonl", "../syn.jsonl"));
        assertTrue(Provenance.sameFile(run, "../syn.jsonl", run.getParent().resolve("syn.jsonl")
                .toAbsolutePath().toString()));
        assertTrue(Provenance.sameFile(run, "./x/../gone.jsonl", "gone.jsonl"), "absent, equal names");
        Files.writeString(root.resolve("other.jsonl"), "{}\n");
        assertTrue(!Provenance.sameFile(run, "../other.jsonl", "../syn.jsonl"));
        ObjectNode g = generation();
        ((ObjectNode) g.get("settings")).put("--out", "../link.jsonl");
        assertEquals(List.of(), Provenance.check(run, alignment(), g, null).all());
    }
}
