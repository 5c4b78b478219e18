package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An input that fails after its schema was read ({@link LateReadFailureTest}'s failures), given
 * in a form other than the path Spark reports for its file: through a symbolic link (a file, a
 * directory, on the test file system and on the local one), relative to the working directory,
 * as a {@code file:} URI, with {@code ..}, {@code ./} or a trailing slash. Each must be named
 * with its option as given (exit 2, "--real AS-GIVEN: ..."), not fall back to the file alone
 * ("FILE: cannot be read: ..."), which names no option. {@code DataFrames.lateReadFailure}
 * matched by the qualified path only (late32's Open).
 */
class LateReadPathFormsTest {

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

    /** The job on {@code real} and good synthetic rows: {exit status, stderr}. */
    private Object[] job(String real, String format) throws IOException {
        Path synthetic = format.equals("parquet") ? parquet("synthetic-parquet", 2, 1)
                : goodRows("synthetic.jsonl", 2, 1);
        Path out = dir.resolve("w" + System.nanoTime() + ".jsonl");
        Object[] result = JobCommandLineTest.execute("--real", real, "--synthetic",
                synthetic.toString(), "--embedding-field", "emb", "--features", "8",
                "--iterations", "3", "--backend", "reference", "--format", format, "--out",
                out.toString());
        assertFalse(Files.exists(out), "nothing at --out: " + result[1]);
        return result;
    }

    private Path goodRows(String name, int seed, double shift) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        if (!Files.exists(file)) {
            SynAlignSparkJobTest.write(file, new Random(seed), 20, shift);
        }
        return file;
    }

    /** A directory of JSON Lines whose second part is deleted after inference. */
    private Path lateDirectory(String name) throws IOException {
        goodRows(name + "/part-0.jsonl", 1, 0);
        goodRows(name + "/late-gone-part-1.jsonl", 3, 0);
        return dir.resolve(name);
    }

    /** Good rows as a directory of Parquet at {@code at}, one part file not Parquet. */
    private Path parquetWithJunk(Path at) throws IOException {
        Path lines = goodRows("lines-" + System.nanoTime() + ".jsonl", 1, 0);
        TestSpark.session().read().json(lines.toString()).coalesce(1).write()
                .parquet(at.toString());
        Files.writeString(at.resolve("part-99999-junk.parquet"),
                "{\"emb\": [1, 2, 3], \"label\": \"pos\"}\n");
        return at;
    }

    private Path parquet(String name, int seed, double shift) throws IOException {
        Path out = dir.resolve(name);
        if (!Files.exists(out)) {
            Path lines = goodRows(name + ".jsonl", seed, shift);
            TestSpark.session().read().json(lines.toString()).coalesce(1).write()
                    .parquet(out.toString());
        }
        return out;
    }

    /** Exit 2, one line, naming {@code --real} as given; never the bare file's form. */
    private static void assertNamed(Object[] result, String real, String... parts) {
        JobCommandLineTest.assertBadInput(result, "--real " + real + ": ");
        String err = (String) result[1];
        for (String part : parts) {
            assertTrue(err.contains(part), "'" + part + "' in " + err);
        }
    }

    @Test
    void aFileGivenThroughASymbolicLinkIsNamedWithItsOption() throws IOException {
        Path target = goodRows("late-gone-target.jsonl", 1, 0);
        Path link = Files.createSymbolicLink(dir.resolve("late-gone-link.jsonl"), target);
        String real = FaultyFileSystem.path(link);
        assertNamed(job(real, "jsonl"), real, "cannot be read as JSON Lines: ");
    }

    @Test
    void aDirectoryGivenThroughASymbolicLinkIsNamedWithItsOption() throws IOException {
        Path target = lateDirectory("real-target");
        Path link = Files.createSymbolicLink(dir.resolve("real-link"), target);
        String real = FaultyFileSystem.path(link);
        assertNamed(job(real, "jsonl"), real, ": file ",
                "late-gone-part-1.jsonl: cannot be read as JSON Lines");
    }

    /** The local file system (Hadoop's checksummed {@code LocalFileSystem}), not the test's. */
    @Test
    void aLocalParquetDirectoryGivenThroughASymbolicLinkIsNamedWithItsOption()
            throws IOException {
        Path target = parquetWithJunk(dir.resolve("real-parquet"));
        Path link = Files.createSymbolicLink(dir.resolve("real-parquet-link"), target);
        assertNamed(job(link.toString(), "parquet"), link.toString(), ": file ",
                "part-99999-junk.parquet: cannot be read as parquet");
    }

    @Test
    void aRelativePathIsNamedWithItsOption() throws IOException {
        // Relative to the working directory (the module's, under Maven): a folder of target/.
        Path here = Path.of("").toAbsolutePath();
        Path base = Files.createDirectories(here.resolve("target").resolve(
                "late-read-forms-" + System.nanoTime()));
        try {
            parquetWithJunk(base.resolve("real-parquet"));
            String real = here.relativize(base.resolve("real-parquet")).toString();
            assertFalse(real.startsWith("/") || real.contains(".."), real);
            assertNamed(job(real, "parquet"), real, ": file ",
                    "part-99999-junk.parquet: cannot be read as parquet");
        } finally {
            try (Stream<Path> all = Files.walk(base)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void aFileUriIsNamedWithItsOption() throws IOException {
        Path target = parquetWithJunk(dir.resolve("real-parquet"));
        for (String real : List.of(target.toUri().toString(), "file:" + target)) {
            assertNamed(job(real, "parquet"), real, ": file ",
                    "part-99999-junk.parquet: cannot be read as parquet");
        }
    }

    @Test
    void dotDotDotAndATrailingSlashAreNamedWithTheirOption() throws IOException {
        lateDirectory("real");
        Files.createDirectories(dir.resolve("sub"));
        for (String real : List.of(FaultyFileSystem.path(dir) + "/sub/../real",
                FaultyFileSystem.path(dir) + "/./real", FaultyFileSystem.path(dir) + "/real/")) {
            assertNamed(job(real, "jsonl"), real, ": file ",
                    "late-gone-part-1.jsonl: cannot be read as JSON Lines");
        }
    }
}
