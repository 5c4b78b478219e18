package io.synalign.fuzz;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.synalign.data.RecordReader;
import io.synalign.io.InputException;
import io.synalign.io.NpyFixtures;
import io.synalign.io.NpyReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of the input readers: valid files damaged at random ({@link Damage}: bytes
 * flipped, cut, duplicated; brackets, quotes, digits and invalid UTF-8 spliced in). Every case must
 * end in a valid result or an {@link InputException} naming the file, never another throwable
 * and never a hang; each family is bounded to a few seconds. A failure prints the seed and the
 * case so that it can be replayed.
 */
class DamagedInputFuzzTest {

    private static final int CASES = 1500;

    @TempDir
    Path dir;

    interface Reader {
        Object read(Path file) throws IOException;
    }

    /** Runs every case; anything but a result or an InputException naming the file fails. */
    private void fuzz(String name, byte[][] seeds, long seed, Reader reader) {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(seed);
            int rejected = 0;
            for (int k = 0; k < CASES; k++) {
                byte[] bytes = Damage.damage(seeds[k % seeds.length], r);
                Path file = dir.resolve(name + "-" + k + nameSuffix(name));
                Files.write(file, bytes);
                try {
                    reader.read(file);
                } catch (InputException e) {
                    rejected++;
                    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
                    assertTrue(!e.getMessage().contains("\n") && e.getMessage().length() < 1000,
                            "one short line: " + e.getMessage().length() + " characters");
                } catch (Throwable t) {
                    fail("case " + k + " of seed " + seed + " (" + file + "): " + t, t);
                }
                Files.delete(file);
            }
            assertTrue(rejected > 0, "some damage is found");
        });
    }

    private static String nameSuffix(String name) {
        return switch (name) {
            case "npy" -> ".npy";
            case "csv" -> ".csv";
            case "tsv" -> ".tsv";
            case "gz" -> ".jsonl.gz";
            default -> ".jsonl";
        };
    }

    @Test
    void npyHeadersAndData() {
        byte[][] seeds = {
            NpyFixtures.float32Matrix(3, 4, NpyFixtures.gaussian(12, 1, 1)),
            NpyFixtures.file(NpyFixtures.dict("<f8", false, "(2, 3)"),
                    NpyFixtures.data(NpyFixtures.gaussian(6, 2, 1), 8, java.nio.ByteOrder.LITTLE_ENDIAN)),
            NpyFixtures.file(NpyFixtures.dict(">f4", false, "(5,)"),
                    NpyFixtures.data(NpyFixtures.gaussian(5, 3, 1), 4, java.nio.ByteOrder.BIG_ENDIAN)),
        };
        fuzz("npy", seeds, 11, NpyReader::readMatrix);
    }

    @Test
    void jsonLinesCsvAndTsvRecords() {
        byte[] jsonl = ("{\"text\":\"a b c\",\"label\":\"x\",\"n\":1e2}\n{\"text\":\"d \\u00e9 \\ud83d\\ude00\","
                + "\"label\":\"y\",\"k\":[1,{\"z\":null}]}\n{\"text\":\"\",\"label\":true}\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] csv = "text,label\n\"a, quoted \"\"field\"\"\",x\nplain,y\n\"multi\nline\",z\n"
                .getBytes(StandardCharsets.UTF_8);
        byte[] tsv = "text\tlabel\na\tx\n\"b\tc\"\ty\n".getBytes(StandardCharsets.UTF_8);
        fuzz("jsonl", new byte[][] {jsonl}, 12, f -> RecordReader.read(f, 4096));
        fuzz("csv", new byte[][] {csv}, 13, f -> RecordReader.read(f, 4096));
        fuzz("tsv", new byte[][] {tsv}, 14, f -> RecordReader.read(f, 4096));
    }

    @Test
    void gzippedRecords() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
            gz.write("{\"text\":\"a\"}\n{\"text\":\"b\"}\n".repeat(20).getBytes(StandardCharsets.UTF_8));
        }
        fuzz("gz", new byte[][] {b.toByteArray()}, 15, f -> RecordReader.read(f, 4096));
    }
}
