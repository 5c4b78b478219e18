package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.kernels.FloatMatrix;
import io.synalign.models.EncodeProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synalign filter} on rows with planted paraphrases of test rows and planted duplicates:
 * the removed set equals a reference computed here from the encoder's vectors in double
 * precision (leakage first, then the greedy in-order near-duplicate rule), and the summary
 * names each match.
 */
class FilterCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static final List<String> TEST = List.of("The cat sat on the warm windowsill all afternoon.",
            "Quarterly revenue rose by eight percent on strong cloud sales.",
            "Heavy rain is expected across the north on Tuesday.");

    static final List<String> SYNTHETIC = List.of(
            "A recipe for lemon cake with a crunchy sugar glaze.",
            "The cat sat on the warm windowsill all afternoon!",          // leaks TEST 0
            "Stocks of chip makers fell after the export rules.",
            "A recipe for lemon cake with a crunchy sugar glaze",           // duplicates row 0
            "Quarterly revenue rose by 8 percent on strong cloud sales.",  // leaks TEST 1
            "How to train a puppy to walk on a loose leash.",
            "Stocks of chip makers fell after the new export rules.",       // duplicates row 2
            "A lemon cake recipe with a crunchy glaze of sugar.",           // near row 0
            "The best hiking trails in the Alps for beginners.");

    private void write(String name, List<String> texts) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            sb.append(JSON.writeValueAsString(Map.of("text", texts.get(i), "id", i))).append('\n');
        }
        Files.writeString(dir.resolve(name), sb);
    }

    private Cli.Run filter(EmbeddingOptions.EncoderLoader loader, String... args) {
        return Cli.run(cl -> ((FilterCommand) cl.getSubcommands().get("filter").getCommand()).loader = loader, args);
    }

    @Test
    void removedRowsEqualTheReferenceRuleAndTheSummaryNamesEachMatch() throws IOException {
        write("s.jsonl", SYNTHETIC);
        write("test.jsonl", TEST);
        double t = 0.9;
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run run = filter(counter.loader(), "filter", "--in", dir.resolve("s.jsonl").toString(), "--against",
                dir.resolve("test.jsonl").toString(), "--threshold", Double.toString(t), "--out",
                dir.resolve("clean.jsonl").toString(), "--summary", dir.resolve("f.json").toString(),
                "--no-cache", "-q");
        assertEquals(0, run.status(), run.toString());

        // Reference: leakage against the test rows, then greedy near-duplicates among kept rows.
        FloatMatrix s = TestEncoders.minilm().encode(SYNTHETIC, EncodeProgress.NONE);
        FloatMatrix x = TestEncoders.minilm().encode(TEST, EncodeProgress.NONE);
        List<String> want = new ArrayList<>();
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < SYNTHETIC.size(); i++) {
            int leak = -1;
            for (int j = 0; j < TEST.size(); j++) {
                double c = NegativesCommandTest.cosine(s, i, x, j);
                assertTrue(Math.abs(c - t) > 1e-4, "no pair sits on the threshold: " + c);
                if (c >= t && (leak < 0 || c > NegativesCommandTest.cosine(s, i, x, leak))) {
                    leak = j;
                }
            }
            if (leak >= 0) {
                want.add(i + " leakage test.jsonl:" + leak);
                continue;
            }
            int dup = -1;
            for (int j : kept) {
                double c = NegativesCommandTest.cosine(s, i, s, j);
                assertTrue(Math.abs(c - t) > 1e-4, "no pair sits on the threshold: " + c);
                if (c >= t && (dup < 0 || c > NegativesCommandTest.cosine(s, i, s, dup))) {
                    dup = j;
                }
            }
            if (dup >= 0) {
                want.add(i + " duplicate s.jsonl:" + dup);
            } else {
                kept.add(i);
            }
        }
        assertTrue(want.contains("1 leakage test.jsonl:0") && want.contains("4 leakage test.jsonl:1")
                && want.contains("3 duplicate s.jsonl:0") && want.contains("6 duplicate s.jsonl:2"),
                "the planted rows are what the reference removes: " + want);

        JsonNode doc = JSON.readTree(dir.resolve("f.json").toFile());
        List<String> got = new ArrayList<>();
        for (JsonNode r : doc.path("removed")) {
            Path file = Path.of(r.path("match").path("file").asText());
            got.add(r.path("index").asInt() + " " + r.path("reason").asText() + " " + file.getFileName() + ":"
                    + r.path("match").path("index").asInt());
            assertEquals(r.path("index").asInt() + 1, r.path("line").asInt());
            assertTrue(r.path("cosine").asDouble() >= t, r.toString());
        }
        assertEquals(want, got);
        assertEquals(SYNTHETIC.size() - want.size(), doc.path("kept").asInt());
        List<Integer> keptIds = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("clean.jsonl"))) {
            keptIds.add(JSON.readTree(line).path("id").asInt());
        }
        assertEquals(kept, keptIds, "kept rows unchanged, in order");
    }

    @Test
    void badInputIsOneLineExitTwoBeforeTheModelLoads() throws IOException {
        write("s.jsonl", SYNTHETIC);
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.assertBadInputLine(filter(counter.forbidden(), "filter", "--in", dir.resolve("s.jsonl").toString(),
                "--threshold", "1.5", "--out", dir.resolve("c.jsonl").toString()), dir, "--threshold 1.5");
        Cli.assertBadInputLine(filter(counter.forbidden(), "filter", "--in", dir.resolve("s.jsonl").toString(),
                "--against", dir.resolve("missing.jsonl").toString(), "--out", dir.resolve("c.jsonl").toString()),
                dir, "missing.jsonl");
        Cli.assertBadInputLine(filter(counter.forbidden(), "filter", "--in", dir.resolve("s.jsonl").toString(),
                "--against", dir.resolve("s.jsonl").toString(), "--out", dir.resolve("s.jsonl").toString()),
                dir, "would overwrite the input given with");
        assertEquals(0, counter.loads.get());
        assertFalse(Files.exists(dir.resolve("c.jsonl")));
    }
}
