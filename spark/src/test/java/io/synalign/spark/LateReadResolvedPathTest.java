package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkException;
import org.apache.spark.sql.errors.QueryExecutionErrors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DataFrames#lateReadFailure} when Spark names the failing file by another path than the
 * input's: the input given through a symbolic link (a file, a directory, a glob under a linked
 * directory) and the file named by its target, or an input on a {@code viewfs://} mount point
 * and the file named on the mount's target (and the other way round). Spark's own listing keeps
 * the input's form on the local file system ({@code LateReadPathFormsTest}), but a file system
 * or a metadata log that names files by their resolved paths (a streaming sink's
 * {@code _spark_metadata} keeps the paths it wrote) does not. Before, the file was named as
 * Spark gave it, with no option ("FILE: cannot be read: ..."). No Spark session: the failure
 * is built as Spark's tasks raise it.
 */
class LateReadResolvedPathTest {

    @TempDir
    Path dir;

    private static RuntimeException late(Configuration conf, String sparksPath,
            Map<String, String> inputs) {
        SparkException stage = new SparkException("Job aborted due to stage failure",
                QueryExecutionErrors.fileNotExistError(sparksPath,
                        new FileNotFoundException("gone")));
        return DataFrames.lateReadFailure(conf, stage, inputs, "jsonl", Long.MAX_VALUE);
    }

    private static Map<String, String> real(String path) {
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("--synthetic", "/elsewhere/synthetic.jsonl");
        inputs.put("--real", path);
        return inputs;
    }

    private static void assertNamed(RuntimeException late, String expected) {
        assertTrue(late instanceof IllegalArgumentException, String.valueOf(late));
        assertEquals(expected, late.getMessage());
    }

    @Test
    void aDirectoryGivenThroughALinkHoldsAFileNamedUnderItsTarget() throws IOException {
        Path target = Files.createDirectories(dir.resolve("target"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        // The file is gone (a late failure's usual cause): its nearest ancestor is resolved.
        String file = "file://" + target + "/k=1/part-1.jsonl";
        assertNamed(late(new Configuration(), file, real(link.toString())), "--real " + link
                + ": file file:" + target + "/k=1/part-1.jsonl: cannot be read as JSON Lines:"
                + " FileNotFoundException: gone");
        // And the other way round: the target given, the file named under the link.
        assertNamed(late(new Configuration(), "file://" + link + "/part-2.jsonl",
                real(target.toString())), "--real " + target + ": file file:" + link
                        + "/part-2.jsonl: cannot be read as JSON Lines: FileNotFoundException:"
                        + " gone");
    }

    @Test
    void aFileGivenThroughALinkIsTheFileNamedByItsTarget() throws IOException {
        Path target = Files.writeString(dir.resolve("target.jsonl"), "{}\n");
        Path link = Files.createSymbolicLink(dir.resolve("link.jsonl"), target);
        assertNamed(late(new Configuration(), "file://" + target, real(link.toString())),
                "--real " + link + ": cannot be read as JSON Lines: FileNotFoundException: gone");
        // A chain of two links, the input given with "..": the same file.
        Path second = Files.createSymbolicLink(dir.resolve("second.jsonl"), link);
        Files.createDirectories(dir.resolve("sub"));
        String given = dir + "/sub/../second.jsonl";
        assertNamed(late(new Configuration(), "file://" + target, real(given)),
                "--real " + given + ": cannot be read as JSON Lines: FileNotFoundException: gone");
        assertTrue(Files.isSymbolicLink(second));
    }

    @Test
    void aGlobUnderALinkedDirectoryHoldsAFileNamedUnderItsTarget() throws IOException {
        Path target = Files.createDirectories(dir.resolve("target"));
        Files.writeString(target.resolve("a.jsonl"), "{}\n");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        String glob = link + "/*.jsonl";
        assertNamed(late(new Configuration(), "file://" + target + "/a.jsonl", real(glob)),
                "--real " + glob + ": file file:" + target + "/a.jsonl: cannot be read as JSON"
                        + " Lines: FileNotFoundException: gone");
    }

    /** A {@code viewfs://} mount point: Hadoop's own remapping of a path to another's. */
    @Test
    void anInputOnAMountPointHoldsAFileNamedOnTheMountsTarget() throws IOException {
        Path target = Files.createDirectories(dir.resolve("mounted"));
        Configuration conf = new Configuration();
        conf.set("fs.viewfs.mounttable.test33.link./data", target.toUri().toString());
        conf.setBoolean("fs.viewfs.impl.disable.cache", true);
        String file = "file://" + target + "/part-1.jsonl";
        assertNamed(late(conf, file, real("viewfs://test33/data")), "--real viewfs://test33/data:"
                + " file file:" + target + "/part-1.jsonl: cannot be read as JSON Lines:"
                + " FileNotFoundException: gone");
        assertNamed(late(conf, "viewfs://test33/data/part-2.jsonl", real(target.toString())),
                "--real " + target + ": file viewfs://test33/data/part-2.jsonl: cannot be read as"
                        + " JSON Lines: FileNotFoundException: gone");
    }

    /** A file no input holds, resolved or not, is still named as Spark gives it. */
    @Test
    void aFileNoInputHoldsIsNamedAsSparkGivesIt() throws IOException {
        Path target = Files.createDirectories(dir.resolve("target"));
        Files.createSymbolicLink(dir.resolve("link"), target);
        RuntimeException late = late(new Configuration(), "file://" + dir + "/other/x.jsonl",
                real(dir.resolve("link").toString()));
        assertTrue(late instanceof IllegalArgumentException, String.valueOf(late));
        assertEquals("file:" + dir + "/other/x.jsonl: cannot be read: FileNotFoundException:"
                + " gone", late.getMessage());
    }
}
