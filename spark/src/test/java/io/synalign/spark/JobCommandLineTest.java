package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The job's command line: bad input is one line on stderr and exit status 2. */
class JobCommandLineTest {

    @TempDir
    Path dir;

    /** Runs the job's command line; returns {exit status, stderr}. */
    static Object[] execute(String... args) {
        TestSpark.session(); // the job's getOrCreate() then finds the test session
        StringWriter err = new StringWriter();
        CommandLine cl = JobErrors.commandLine(new SynAlignSparkJob());
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int status = cl.execute(args);
        return new Object[] {status, err.toString()};
    }

    static void assertBadInput(Object[] result, String expectedPart) {
        String err = (String) result[1];
        assertEquals(2, result[0], err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith(JobErrors.PREFIX), err);
        assertTrue(err.contains(expectedPart), err);
    }

    List<String> inputs() throws IOException {
        Path real = dir.resolve("real.jsonl");
        Path synthetic = dir.resolve("synthetic.jsonl");
        SynAlignSparkJobTest.write(real, new Random(1), 12, 0);
        SynAlignSparkJobTest.write(synthetic, new Random(2), 20, 1);
        return new ArrayList<>(List.of("--real", real.toString(), "--synthetic",
                synthetic.toString(), "--embedding-field", "emb", "--features", "8",
                "--iterations", "3", "--backend", "reference"));
    }

    /** Throws what it is given from its command. */
    @CommandLine.Command(name = "thrower")
    static final class Thrower implements java.util.concurrent.Callable<Integer> {
        private final Throwable what;

        Thrower(Throwable what) {
            this.what = what;
        }

        @Override
        public Integer call() throws Exception {
            if (what instanceof Error e) {
                throw e;
            }
            throw (Exception) what;
        }
    }

    /**
     * An Error on the driver (out of memory collecting products) passed picocli's handlers and
     * left main as a stack trace; now it is one line, status 1, as every other failure.
     */
    @Test
    void anErrorOnTheDriverIsOneLineWithStatusOne() {
        for (Throwable t : new Throwable[] {new OutOfMemoryError("Java heap space"),
                new StackOverflowError(), new IllegalStateException("broken\nacross lines")}) {
            StringWriter err = new StringWriter();
            CommandLine cl = JobErrors.configure(new CommandLine(new Thrower(t)));
            cl.setErr(new PrintWriter(err));
            assertEquals(1, JobErrors.execute(cl), err.toString());
            String text = err.toString();
            assertEquals(1, text.lines().count(), text);
            assertTrue(text.startsWith(JobErrors.PREFIX), text);
            assertTrue(t instanceof OutOfMemoryError
                    ? text.contains("out of memory on the driver (Java heap space); give it more with"
                            + " spark-submit --driver-memory")
                    : text.contains("unexpected " + t.getClass().getSimpleName()), text);
        }
    }

    @Test
    void nonNumericOptionIsAUsageError() throws IOException {
        List<String> args = inputs();
        args.addAll(List.of("--out", dir.resolve("o.jsonl").toString(), "--features", "many"));
        assertBadInput(execute(args.toArray(new String[0])), "'many'");
    }

    @Test
    void unknownFormatIsNamed() throws IOException {
        List<String> args = inputs();
        args.addAll(List.of("--out", dir.resolve("o.jsonl").toString(), "--format", "csv"));
        assertBadInput(execute(args.toArray(new String[0])), "unknown format 'csv'");
    }

    @Test
    void missingInputPathIsBadInput() throws IOException {
        List<String> args = inputs();
        args.set(1, dir.resolve("absent.jsonl").toString());
        args.addAll(List.of("--out", dir.resolve("o.jsonl").toString()));
        assertBadInput(execute(args.toArray(new String[0])), "absent.jsonl");
    }

    @Test
    void aRecordCheckFailingOnAnExecutorIsOneLineNamingTheField() throws IOException {
        List<String> args = inputs();
        // One synthetic record without a label, in per-label mode: found inside a Spark task.
        Path synthetic = Path.of(args.get(3));
        List<String> lines = new ArrayList<>(Files.readAllLines(synthetic));
        lines.set(7, lines.get(7).replaceFirst(",\"label\":\"[a-z]+\"", ""));
        Files.write(synthetic, lines);
        args.addAll(List.of("--out", dir.resolve("o.jsonl").toString()));
        assertBadInput(execute(args.toArray(new String[0])), "no label field 'label'");
    }

    /**
     * A blank label (empty, or only whitespace) on either side, as the CLI's reader refuses it:
     * it formed a class of its own, fitted with its own share, exit 0. Found in the map that
     * reads every label for the per-label count; nothing is written.
     */
    @Test
    void aBlankLabelOnEitherSideIsOneLineNamingTheRecord() throws IOException {
        // {argument index of the file (1: --real, 3: --synthetic), line, label JSON, message}
        String[][] cases = {
            {"1", "5", "\"\"", "a record's label field 'label' is empty; every label must name"
                    + " its class: {id=5, text=row 5, label=}"},
            {"3", "7", "\" \\t \"", "a record's label field 'label' is blank (only whitespace);"
                    + " every label must name its class: {id=7, text=row 7, label= \t }"},
        };
        int n = 0;
        for (String[] c : cases) {
            List<String> args = inputs();
            Path file = Path.of(args.get(Integer.parseInt(c[0])));
            int line = Integer.parseInt(c[1]);
            List<String> lines = new ArrayList<>(Files.readAllLines(file));
            lines.set(line, lines.get(line).replaceFirst("\"label\":\"[a-z]+\"",
                    java.util.regex.Matcher.quoteReplacement("\"label\":" + c[2])));
            Files.write(file, lines);
            Path out = dir.resolve("blank" + n++ + ".jsonl");
            args.addAll(List.of("--out", out.toString()));
            assertBadInput(execute(args.toArray(new String[0])), c[3]);
            assertFalse(Files.exists(out), "nothing written at " + out);
        }
    }
}
