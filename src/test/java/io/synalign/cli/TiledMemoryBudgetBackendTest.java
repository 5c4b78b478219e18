package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.io.NpyFixtures;
import io.synalign.io.NpyReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --memory-budget} with {@code --method tiled} on a backend whose kernel operators give
 * no principal submatrix (cuda's; here {@link NoSubmatrixTestProvider}, the reference backend
 * without them): the fit keeps no working sets, so the option bounds nothing there. The run
 * says so in one warning and goes on (exit 0, the weights those of the run without the
 * option), since the backend is resolved at run time and portable scripts pass the same
 * options everywhere; where the option is read, or not given, nothing is said.
 */
class TiledMemoryBudgetBackendTest {

    private static final String WARNING = "synalign: warning: --memory-budget is not read with"
            + " --method tiled on the " + NoSubmatrixTestProvider.NAME + " backend: its kernel"
            + " operators give no principal submatrices, so the fit keeps no working sets for the"
            + " budget to bound (it bounds them on backends that keep them, such as nd4j); the"
            + " fit goes on";

    @TempDir
    Path dir;

    @BeforeEach
    void inputs() throws IOException {
        Files.write(dir.resolve("r.npy"), NpyFixtures.float32Matrix(23, 5,
                NpyFixtures.gaussian(23 * 5, 3, 1)));
        Files.write(dir.resolve("s.npy"), NpyFixtures.float32Matrix(37, 5,
                NpyFixtures.gaussian(37 * 5, 4, 1.3)));
    }

    private Cli.Run align(String out, String... extra) {
        List<String> args = new ArrayList<>(List.of("align", "--real-embeddings",
                dir.resolve("r.npy").toString(), "--synthetic-embeddings",
                dir.resolve("s.npy").toString(), "--out", dir.resolve(out).toString(),
                "--iterations", "40", "--quiet"));
        args.addAll(List.of(extra));
        return Cli.run(cl -> { }, args.toArray(String[]::new));
    }

    private List<String> warnings(Cli.Run r) {
        return r.errLines().stream().filter(l -> l.startsWith("synalign: warning:")).toList();
    }

    private double[] weights(String out) throws IOException {
        return NpyReader.readVector(dir.resolve(out));
    }

    @Test
    void aBackendWithoutSubmatricesSaysOnceThatTiledLeavesTheBudgetUnread() throws IOException {
        Cli.Run warned = align("w.npy", "--backend", NoSubmatrixTestProvider.NAME,
                "--method", "tiled", "--memory-budget", "1MiB", "--holdout-folds", "2");
        assertEquals(0, warned.status(), warned::toString);
        // Once, though the held-out check fits twice more on the same backend.
        assertEquals(List.of(WARNING), warnings(warned), warned::toString);

        Cli.Run plain = align("plain.npy", "--backend", NoSubmatrixTestProvider.NAME,
                "--method", "tiled");
        assertEquals(0, plain.status(), plain::toString);
        assertEquals(List.of(), warnings(plain), "not given, nothing to say: " + plain);
        assertArrayEquals(weights("plain.npy"), weights("w.npy"),
                "the budget bounds nothing on this backend: the same weights");
    }

    @Test
    void whereTheBudgetIsReadOrTheMethodNeverReadsWorkingSetsNothingIsSaid() {
        // The reference backend keeps working sets within the budget: it is read.
        Cli.Run reference = align("r1.npy", "--backend", "reference", "--method", "tiled",
                "--memory-budget", "1MiB");
        assertEquals(0, reference.status(), reference::toString);
        assertEquals(List.of(), warnings(reference), reference::toString);
        // exact and auto: the budget bounds a kept K_SS, which this backend keeps.
        for (String method : List.of("exact", "auto")) {
            Cli.Run r = align(method + ".npy", "--backend", NoSubmatrixTestProvider.NAME,
                    "--method", method, "--memory-budget", "1MiB");
            assertEquals(0, r.status(), r::toString);
            assertEquals(List.of(), warnings(r), method + ": " + r);
        }
    }

    /** The text form opens its backend inside the pipeline's session: the warning is said there. */
    @Test
    void theTextFormSaysItOnceForAllItsLabels() throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder real = new StringBuilder();
        StringBuilder synth = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            real.append(json.writeValueAsString(Map.of("text", "real text " + i,
                    "label", i % 2 == 0 ? "a" : "b"))).append('\n');
        }
        for (int i = 0; i < 16; i++) {
            synth.append(json.writeValueAsString(Map.of("text", "synthetic text " + i,
                    "label", (i / 3) % 2 == 0 ? "a" : "b"))).append('\n');
        }
        Files.writeString(dir.resolve("real.jsonl"), real, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("synth.jsonl"), synth, StandardCharsets.UTF_8);
        Cli.Run r = Cli.run(cl -> Cli.align(cl).loader = (spec, options)
                -> new GenerateCommandTest.HashEncoder(), "align", "--real",
                dir.resolve("real.jsonl").toString(), "--synthetic",
                dir.resolve("synth.jsonl").toString(), "--out",
                dir.resolve("weighted.jsonl").toString(), "--no-cache", "--quiet",
                "--backend", NoSubmatrixTestProvider.NAME, "--method", "tiled",
                "--memory-budget", "1MiB", "--iterations", "30");
        assertEquals(0, r.status(), r::toString);
        assertEquals(List.of(WARNING), warnings(r), r::toString);
        assertTrue(Files.size(dir.resolve("weighted.jsonl")) > 0);
    }
}
