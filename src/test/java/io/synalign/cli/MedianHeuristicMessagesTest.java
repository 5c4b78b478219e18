package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.NpyFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the median heuristic has nothing to work with (identical rows, or rows so small or large
 * that no bandwidth float32 can use), each command names the option that gives the value.
 */
class MedianHeuristicMessagesTest {

    @TempDir
    Path dir;

    private Path rows(String name, int n, int d, double value) {
        double[] v = new double[n * d];
        java.util.Arrays.fill(v, value);
        return NpyFixtures.write(dir.resolve(name), NpyFixtures.float32Matrix(n, d, v));
    }

    @Test
    void selectNamesLengthScaleAndAlignNamesBandwidth() throws java.io.IOException {
        // Rows 1e-25 apart: a median distance below the usable range.
        double[] tiny = new double[12 * 4];
        for (int i = 0; i < tiny.length; i += 5) {
            tiny[i] = 1e-25;
        }
        Path close = NpyFixtures.write(dir.resolve("close.npy"), NpyFixtures.float32Matrix(12, 4, tiny));
        Cli.Run select = Cli.run(cl -> { }, "select", "--quiet", "--embeddings", close.toString(),
                "--count", "3", "--out", dir.resolve("picks.txt").toString());
        assertEquals(2, select.status(), select.toString());
        assertEquals(1, select.errLines().size(), select.toString());
        assertTrue(select.err().contains("--length-scale auto: the median pairwise distance of the rows is")
                && select.err().contains("(give --length-scale L)"), select.err());
        assertFalse(select.err().contains("--bandwidth"), select.err());

        // Rows all alike: every kernel value is 1 whatever l, so the picks need none (generate's
        // GP demonstrations for a label whose texts differ only in case came to this).
        Path same = rows("same.npy", 12, 4, 0.5);
        Cli.Run alike = Cli.run(cl -> { }, "select", "--embeddings", same.toString(),
                "--count", "3", "--out", dir.resolve("picks.txt").toString());
        assertEquals(0, alike.status(), alike.toString());
        assertTrue(alike.out().contains("length scale: 1 (rows all alike: any l gives these picks)"),
                alike.out());
        assertEquals(3, Files.readAllLines(dir.resolve("picks.txt")).size());
        Files.delete(dir.resolve("picks.txt"));

        // align on real and synthetic rows all one point: any bandwidth gives the same exact
        // fit, so it runs (it asked for --bandwidth, and per label stopped every label).
        Cli.Run align = Cli.run(cl -> { }, "align", "--quiet", "--real-embeddings",
                same.toString(), "--synthetic-embeddings", rows("same2.npy", 9, 4, 0.5).toString(),
                "--out", dir.resolve("w.npy").toString());
        assertEquals(0, align.status(), align.toString());
        assertTrue(Files.exists(dir.resolve("w.npy")));
        // Rows 1e-25 apart still name --bandwidth.
        Cli.Run tooClose = Cli.run(cl -> { }, "align", "--quiet", "--real-embeddings",
                close.toString(), "--synthetic-embeddings", close.toString(),
                "--out", dir.resolve("w2.npy").toString());
        assertEquals(2, tooClose.status(), tooClose.toString());
        assertTrue(tooClose.err().contains("(give --bandwidth SIGMA)"), tooClose.err());
        assertFalse(Files.exists(dir.resolve("w2.npy")));
        assertFalse(Files.exists(dir.resolve("picks.txt")));
    }

    /**
     * test and evaluate pick their bandwidth themselves: on identical texts they said "give
     * --bandwidth SIGMA", and the option given was refused as unknown.
     */
    @Test
    void aCommandWithoutBandwidthDoesNotAskForOne() throws java.io.IOException {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            rows.append("{\"text\": \"the same text\", \"label\": \"a\"}\n");
        }
        Files.writeString(dir.resolve("same.jsonl"), rows.toString());
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run test = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand()).loader =
                counter.loader(), "test", "--real", dir.resolve("same.jsonl").toString(), "--synthetic",
                dir.resolve("same.jsonl").toString(), "--no-cache", "-q");
        String line = Cli.assertBadInputLine(test, dir, "every sampled row identical",
                "(this command takes no bandwidth: the rows are too alike to compare)");
        assertFalse(line.contains("--bandwidth") || line.contains("give the value explicitly"), line);
    }
}
