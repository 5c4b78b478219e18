package io.synalign.cli;

import static io.synalign.io.NpyFixtures.gaussian;
import static io.synalign.io.NpyFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.io.NpyFixtures;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align --synthetic-embeddings} repeated: shards taken one after another give the weights
 * of the one file that holds their rows, bit for bit, on the streamed path (rff) and the whole
 * path (exact), float32 and float64 shards mixed, a one-row shard among them.
 */
@Tag("engine")
class AlignShardsTest {

    private static final int N = 53;
    private static final int D = 5;

    @TempDir
    Path dir;

    private double[] synthetic;

    @BeforeEach
    void inputs() {
        write(dir.resolve("r.npy"), NpyFixtures.float32Matrix(37, D, gaussian(37 * D, 1, 1)));
        synthetic = gaussian(N * D, 2, 1);
        for (int i = 0; i < synthetic.length; i++) {
            synthetic[i] = (float) (synthetic[i] + (i >= 30 * D ? 1.5 : 0)); // float32 values
        }
        write(dir.resolve("s.npy"), NpyFixtures.float32Matrix(N, D, synthetic));
        shard("a.npy", 0, 20, 4);
        shard("empty.npy", 20, 20, 4);
        shard("b.npy", 20, 21, 8);
        shard("c.npy", 21, N, 8);
    }

    /** Rows [from, to) of the synthetic set as float32 (4) or float64 (8). */
    private void shard(String name, int from, int to, int itemSize) {
        double[] rows = Arrays.copyOfRange(synthetic, from * D, to * D);
        write(dir.resolve(name), NpyFixtures.file(NpyFixtures.dict(itemSize == 4 ? "<f4" : "<f8",
                false, "(" + (to - from) + ", " + D + ")"),
                NpyFixtures.data(rows, itemSize, ByteOrder.LITTLE_ENDIAN)));
    }

    private Cli.Run align(String out, List<String> files, String... extra) {
        List<String> args = new ArrayList<>(List.of("align", "--real-embeddings",
                dir.resolve("r.npy").toString()));
        for (String f : files) {
            args.add("--synthetic-embeddings");
            args.add(dir.resolve(f).toString());
        }
        args.addAll(List.of("--out", dir.resolve(out).toString(), "--summary",
                dir.resolve(out + ".json").toString(), "--backend", "reference", "--quiet"));
        args.addAll(List.of(extra));
        return Cli.run(cl -> { }, args.toArray(String[]::new));
    }

    private double[] weights(String out) throws IOException {
        return NpyFixtures.float64(NpyFixtures.parse(Files.readAllBytes(dir.resolve(out))).data());
    }

    @Test
    void shardsGiveTheWeightsOfTheWholeFileStreamedAndWhole() throws IOException {
        List<String> shards = List.of("a.npy", "b.npy", "c.npy");
        for (String[] method : new String[][] {{"--method", "rff", "--features", "64"},
                {"--method", "exact"}}) {
            Cli.Run one = align("w1.npy", List.of("s.npy"), method);
            assertEquals(0, one.status(), one.toString());
            Cli.Run parts = align("w4.npy", shards, method);
            assertEquals(0, parts.status(), parts.toString());
            double[] want = weights("w1.npy");
            assertEquals(N, want.length);
            assertArrayEquals(want, weights("w4.npy"), method[1]);
            JsonNode summary = new ObjectMapper().readTree(dir.resolve("w4.npy.json").toFile());
            assertEquals(N, summary.get("n_synthetic").asInt());
            JsonNode files = summary.get("synthetic_embeddings_files");
            assertEquals(3, files.size(), summary.toString());
            for (int k = 0; k < 3; k++) {
                assertEquals(dir.resolve(shards.get(k)).toString(), files.get(k).asText());
            }
            assertEquals(String.join(java.io.File.pathSeparator, shards.stream()
                    .map(s -> dir.resolve(s).toString()).toList()),
                    summary.get("synthetic_embeddings").asText());
        }
    }

    @Test
    void anEmptyShardOneOfAnotherWidthOrWithANaNIsNamedAndNothingIsWritten() throws IOException {
        Cli.assertBadInputLine(align("w.npy", List.of("a.npy", "empty.npy")), dir,
                "@/empty.npy: array is empty");
        write(dir.resolve("wide.npy"), NpyFixtures.float32Matrix(3, D + 1, gaussian(3 * (D + 1), 3, 1)));
        Cli.assertBadInputLine(align("w.npy", List.of("a.npy", "wide.npy")), dir,
                "@/wide.npy has shape (3, 6)", "@/r.npy has shape (37, 5)");
        double[] bad = Arrays.copyOfRange(synthetic, 21 * D, N * D);
        bad[4 * D + 2] = Double.NaN;
        write(dir.resolve("c.npy"), NpyFixtures.float32Matrix(N - 21, D, bad));
        Cli.assertBadInputLine(align("w.npy", List.of("a.npy", "b.npy", "c.npy"), "--method",
                "rff", "--features", "16"), dir, "@/c.npy", "NaN at row 4, column 2");
        assertTrue(Files.notExists(dir.resolve("w.npy")) && Files.notExists(dir.resolve("w.npy.json")));
    }

    @Test
    void theTextFormTakesOneSyntheticEmbeddingsFile() throws IOException {
        Files.writeString(dir.resolve("r.jsonl"), "{\"text\": \"a\"}\n");
        Files.writeString(dir.resolve("s.jsonl"), "{\"text\": \"b\"}\n");
        Cli.Run run = Cli.run(cl -> { }, "align", "--real", dir.resolve("r.jsonl").toString(),
                "--synthetic", dir.resolve("s.jsonl").toString(), "--synthetic-embeddings",
                dir.resolve("a.npy").toString(), "--synthetic-embeddings",
                dir.resolve("b.npy").toString(), "--out", dir.resolve("w.jsonl").toString(),
                "--backend", "reference", "--quiet");
        Cli.assertBadInputLine(run, dir, "takes one --synthetic-embeddings file", "got 2");
    }
}
