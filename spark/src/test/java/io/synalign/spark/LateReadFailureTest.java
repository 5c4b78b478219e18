package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An input file that fails after Spark inferred its schema (deleted or cut short before the
 * job's later reads, as {@link FaultyFileSystem}'s {@code late-} files do, inside Spark's own
 * read tasks), through the job's command line: the file's fault is bad input, exit 2, one line
 * naming the option, the file and the cause; the storage's fault stays exit 1, naming them too.
 * Before (review32s's Open) each was "unexpected SparkException: Job aborted due to stage
 * failure ...", exit 1, the file named only inside Spark's message. Nothing is left at
 * {@code --out} or {@code --summary}.
 */
class LateReadFailureTest {

    @TempDir
    Path dir;

    private static Configuration conf;

    @BeforeAll
    static void install() {
        conf = TestSpark.session().sparkContext().hadoopConfiguration();
        FaultyFileSystem.install(conf);
    }

    @AfterAll
    static void uninstall() {
        FaultyFileSystem.uninstall(conf);
    }

    /** The job on {@code real} and {@code synthetic}: {exit status, stderr}; checks no output. */
    private Object[] job(String real, String synthetic) throws IOException {
        return job(real, synthetic, "jsonl");
    }

    private Object[] job(String real, String synthetic, String format) throws IOException {
        Path out = dir.resolve("w" + System.nanoTime() + ".jsonl");
        Path summary = dir.resolve("s" + System.nanoTime() + ".json");
        Object[] result = JobCommandLineTest.execute("--real", real, "--synthetic", synthetic,
                "--embedding-field", "emb", "--features", "8", "--iterations", "3", "--backend",
                "reference", "--format", format, "--out", out.toString(), "--summary",
                summary.toString());
        assertFalse(Files.exists(out), "nothing at --out: " + result[1]);
        assertFalse(Files.exists(summary), "nothing at --summary: " + result[1]);
        try (Stream<Path> left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".")),
                    "no staging left in " + dir);
        }
        return result;
    }

    /** Good rows at {@code name} in the test's directory. */
    private Path goodRows(String name, int seed, double shift) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        SynAlignSparkJobTest.write(file, new Random(seed), 20, shift);
        return file;
    }

    /** Good rows at {@code name}, gzipped. */
    private Path gzipped(String name, int seed, double shift) throws IOException {
        Path plain = goodRows(name + ".plain", seed, shift);
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
            gz.write(Files.readString(plain).getBytes(StandardCharsets.UTF_8));
        }
        Files.delete(plain);
        return Files.write(dir.resolve(name), zipped.toByteArray());
    }

    private String good(String name, int seed, double shift) throws IOException {
        return goodRows(name, seed, shift).toString();
    }

    @Test
    void aFileDeletedAfterItsSchemaWasReadIsBadInputNamingIt() throws IOException {
        String real = FaultyFileSystem.path(goodRows("late-gone-real 1.jsonl", 1, 0));
        JobCommandLineTest.assertBadInput(job(real, good("synthetic.jsonl", 2, 1)),
                "--real " + real + ": cannot be read as JSON Lines: ");
    }

    @Test
    void aGzipCutAfterItsSchemaWasReadIsBadInputOfItsOption() throws IOException {
        String synthetic = FaultyFileSystem.path(gzipped("late-cut-synthetic.jsonl.gz", 2, 1));
        Object[] result = job(good("real.jsonl", 1, 0), synthetic);
        JobCommandLineTest.assertBadInput(result, "--synthetic " + synthetic
                + ": cannot be read as JSON Lines: EOFException: Unexpected end of input stream");
    }

    @Test
    void aFileOfADirectoryNamesTheOptionAndTheFile() throws IOException {
        Path real = dir.resolve("real");
        goodRows("real/part-0.jsonl", 1, 0);
        goodRows("real/late-gone-part-1.jsonl", 3, 0);
        String realPath = FaultyFileSystem.path(real);
        Object[] result = job(realPath, good("synthetic.jsonl", 2, 1));
        JobCommandLineTest.assertBadInput(result, "--real " + realPath + ": file ");
        String err = (String) result[1];
        assertTrue(err.contains("late-gone-part-1.jsonl: cannot be read as JSON Lines"), err);
    }

    @Test
    void theStoragesFailureAfterTheSchemaWasReadIsNoBadInput() throws IOException {
        String real = FaultyFileSystem.path(goodRows("late-storage-real.jsonl", 1, 0));
        Object[] result = job(real, good("synthetic.jsonl", 2, 1));
        String err = (String) result[1];
        assertEquals(1, result[0], err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        for (String part : List.of(JobErrors.PREFIX + "unexpected failure: --real " + real
                + ": reading it failed, and not for anything in it: ",
                "IOException: test: connection reset by peer")) {
            assertTrue(err.contains(part), "'" + part + "' in " + err);
        }
        assertFalse(err.contains("cannot be read as"), err);
    }

    /**
     * A directory of Parquet part files, one of them not Parquet: Spark infers the schema from
     * one footer, so the bad part fails only when the job reads it
     * ({@code FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER}). No test file system: a plain local
     * directory.
     */
    @Test
    void aPartFileThatIsNotParquetIsBadInputNamingIt() throws IOException {
        Path real = parquet("real-parquet", 1, 0);
        Path junk = Files.writeString(real.resolve("part-99999-junk.parquet"),
                "{\"emb\": [1, 2, 3], \"label\": \"pos\"}\n");
        Object[] result = job(real.toString(), parquet("synthetic-parquet", 2, 1).toString(),
                "parquet");
        JobCommandLineTest.assertBadInput(result, "--real " + real + ": file ");
        String err = (String) result[1];
        assertTrue(err.contains(junk.getFileName() + ": cannot be read as parquet: "), err);
    }

    /** Good rows as a directory of Parquet written by Spark (the rows' JSON Lines, read). */
    private Path parquet(String name, int seed, double shift) throws IOException {
        Path lines = goodRows(name + ".jsonl", seed, shift);
        Path out = dir.resolve(name);
        TestSpark.session().read().json(lines.toString()).coalesce(1).write()
                .parquet(out.toString());
        Files.delete(lines);
        return out;
    }
}
