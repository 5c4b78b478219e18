package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.synalign.io.NpyFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs that are not regular files: a FIFO with no writer used to block for ever on open (and
 * one with a writer failed with "Illegal seek", exit 1); a device read as data. Each is now one
 * line, exit 2, at once.
 */
class SpecialFileInputTest {

    @TempDir
    Path dir;

    private Path fifo(String name) throws Exception {
        Path p = dir.resolve(name);
        Process mk = new ProcessBuilder("mkfifo", p.toString()).start();
        assumeTrue(mk.waitFor() == 0, "mkfifo is available");
        return p;
    }

    @Test
    void fifosAndDevicesAreNamedWithoutBlocking() throws Exception {
        Path jsonl = fifo("real.jsonl");
        Path npy = fifo("R.npy");
        Path s = NpyFixtures.write(dir.resolve("S.npy"), NpyFixtures.float32Matrix(4, 3,
                NpyFixtures.gaussian(12, 1, 1)));
        Files.writeString(dir.resolve("s.jsonl"), "{\"text\":\"a\"}\n");
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Cli.Run text = Cli.run(cl -> { }, "align", "--quiet", "--real", jsonl.toString(),
                    "--synthetic", dir.resolve("s.jsonl").toString(), "--out",
                    dir.resolve("w.jsonl").toString());
            assertEquals(2, text.status(), text.toString());
            assertEquals(1, text.errLines().size(), text.toString());
            assertTrue(text.err().contains(jsonl + ": is not a regular file (a pipe, socket or"
                    + " device)"), text.err());

            Cli.Run matrix = Cli.run(cl -> { }, "align", "--quiet", "--real-embeddings",
                    npy.toString(), "--synthetic-embeddings", s.toString(), "--out",
                    dir.resolve("w.npy").toString());
            assertEquals(2, matrix.status(), matrix.toString());
            assertTrue(matrix.err().contains(npy + ": is not a regular file"), matrix.err());

            Cli.Run device = Cli.run(cl -> { }, "select", "--quiet", "--embeddings", "/dev/zero",
                    "--count", "2", "--out", dir.resolve("p.txt").toString());
            assertEquals(2, device.status(), device.toString());
            assertTrue(device.err().contains("/dev/zero: is not a regular file"), device.err());
        });
        assertFalse(Files.exists(dir.resolve("w.jsonl")) || Files.exists(dir.resolve("w.npy")));
    }
}
