package io.synalign.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's common mistakes with an input, through the job's command line: each is bad input,
 * exit 2, one line naming the file (and the option where the message is the job's). Before
 * review32s a missing or mistyped embedding field named neither the option nor the file (a user
 * with two inputs could not tell which), and a directory with no file of data read with
 * {@code --format jsonl} was Spark's "Unable to infer schema for JSON", naming nothing.
 */
class UserMistakesExitTest {

    @TempDir
    Path dir;

    private Object[] job(String real, String... more) throws IOException {
        Path synthetic = dir.resolve("synthetic.jsonl");
        SynAlignSparkJobTest.write(synthetic, new Random(2), 20, 1);
        List<String> args = new ArrayList<>(List.of("--real", real, "--synthetic",
                synthetic.toString(), "--embedding-field", "emb", "--features", "8",
                "--iterations", "3", "--backend", "reference", "--out",
                dir.resolve("w" + System.nanoTime() + ".jsonl").toString()));
        args.addAll(List.of(more));
        return JobCommandLineTest.execute(args.toArray(String[]::new));
    }

    /** Exit 2, one line, naming {@code path} and saying {@code part}. */
    private void assertNamed(String path, String part, String... more) throws IOException {
        Object[] result = job(path, more);
        JobCommandLineTest.assertBadInput(result, path);
        JobCommandLineTest.assertBadInput(result, part);
    }

    @Test
    void everyCommonMistakeIsBadInputNamingTheFile() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("emptydir"));
        assertNamed(empty.toString(), "cannot tell the format of");
        assertNamed(empty.toString(), "--real " + empty + ": no records", "--format", "jsonl");
        Path onlySub = Files.createDirectories(dir.resolve("onlysub/inner")).getParent();
        assertNamed(onlySub.toString(), "--real " + onlySub + ": no records", "--format",
                "jsonl");
        Path emptyFiles = Files.createDirectory(dir.resolve("emptyfiles"));
        Files.createFile(emptyFiles.resolve("a.jsonl"));
        assertNamed(emptyFiles.toString(), "--real " + emptyFiles + ": no records", "--format",
                "jsonl");
        Path emptyFile = Files.createFile(dir.resolve("empty.jsonl"));
        assertNamed(emptyFile.toString(), "--real " + emptyFile + ": no records");
        Path csv = Files.writeString(dir.resolve("csv.jsonl"),
                "id,emb\n1,\"0.1 0.2 0.3\"\n2,\"0.1 0.2 0.3\"\n");
        assertNamed(csv.toString(), "csv.jsonl line 1: malformed JSON");
        Path notes = Files.createDirectory(dir.resolve("txtdir"));
        Files.writeString(notes.resolve("notes.txt"), "hello\n");
        assertNamed(notes.toString(), "notes.txt line 1: malformed JSON", "--format", "jsonl");
        Path binary = Files.write(dir.resolve("bin.jsonl"),
                new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, 10});
        assertNamed(binary.toString(), "bin.jsonl line 1: not valid UTF-8");
        Path noEmb = Files.writeString(dir.resolve("noemb.jsonl"),
                "{\"id\":1,\"label\":\"pos\"}\n{\"id\":2,\"label\":\"neg\"}\n");
        assertNamed(noEmb.toString(), "--real " + noEmb + ": no embedding field 'emb'");
        Path embText = Files.writeString(dir.resolve("embstr.jsonl"),
                "{\"id\":1,\"label\":\"pos\",\"emb\":\"abc\"}\n");
        assertNamed(embText.toString(), "--real " + embText + ": the embedding field 'emb' is"
                + " string, expected an array of numbers");
        String glob = dir.resolve("nomatch*.jsonl").toString();
        assertNamed(glob, "--real " + glob + ": no such file or directory");
        Path good = dir.resolve("good.jsonl");
        SynAlignSparkJobTest.write(good, new Random(1), 12, 0);
        Path jsonAsParquet = Files.copy(good, dir.resolve("real.parquet"));
        assertNamed(jsonAsParquet.toString(), "--real " + jsonAsParquet
                + ": cannot be read as parquet");
    }
}
