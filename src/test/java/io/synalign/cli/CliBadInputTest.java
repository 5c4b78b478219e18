package io.synalign.cli;

import static io.synalign.cli.CliArgs.plus;
import static io.synalign.cli.CliArgs.with;

import static io.synalign.io.NpyFixtures.data;
import static io.synalign.io.NpyFixtures.dict;
import static io.synalign.io.NpyFixtures.file;
import static io.synalign.io.NpyFixtures.gaussian;
import static io.synalign.io.NpyFixtures.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.NpyFixtures;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every kind of bad input ends with exit status 2, exactly one line on stderr that names the
 * file or value, no stack trace, no output file, no temporary file, and the engine never called.
 * In the argument lists {@code @} stands for the temporary directory.
 */
class CliBadInputTest {

    @TempDir
    Path dir;

    private Set<String> inputs;
    private final AtomicInteger engineCalls = new AtomicInteger();

    @BeforeEach
    void createInputs() throws IOException {
        write(dir.resolve("r.npy"), NpyFixtures.float32Matrix(7, 3, gaussian(21, 1, 1)));
        write(dir.resolve("s.npy"), NpyFixtures.float32Matrix(5, 3, gaussian(15, 2, 1)));
        write(dir.resolve("s4.npy"), NpyFixtures.float32Matrix(5, 4, gaussian(20, 3, 1)));
        write(dir.resolve("bad_magic.npy"), "id,x,y\n1,2,3\n".getBytes(StandardCharsets.US_ASCII));
        write(dir.resolve("bad_header.npy"), file("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 3",
                new byte[60]));
        byte[] full = NpyFixtures.float32Matrix(5, 3, gaussian(15, 4, 1));
        write(dir.resolve("truncated.npy"), Arrays.copyOf(full, full.length - 40));
        write(dir.resolve("int.npy"), file(dict("<i8", false, "(5, 3)"), new byte[120]));
        write(dir.resolve("rank1.npy"), file(dict("<f4", false, "(5,)"), new byte[20]));
        write(dir.resolve("rank3.npy"), file(dict("<f4", false, "(2, 2, 2)"), new byte[32]));
        write(dir.resolve("fortran.npy"), file(dict("<f4", true, "(5, 3)"), new byte[60]));
        double[] nan = gaussian(12, 5, 1);
        nan[2 * 3 + 1] = Double.NaN;
        write(dir.resolve("nan.npy"), NpyFixtures.float32Matrix(4, 3, nan));
        double[] inf = gaussian(12, 6, 1);
        inf[3 * 3 + 2] = Double.NEGATIVE_INFINITY;
        write(dir.resolve("inf.npy"), file(dict(">f8", false, "(4, 3)"), data(inf, 8, ByteOrder.BIG_ENDIAN)));
        write(dir.resolve("empty_rows.npy"), file(dict("<f4", false, "(0, 3)"), new byte[0]));
        write(dir.resolve("empty_cols.npy"), file(dict("<f4", false, "(4, 0)"), new byte[0]));
        Files.createDirectory(dir.resolve("outdir"));
        Files.createSymbolicLink(dir.resolve("link.npy"), dir.resolve("r.npy"));
        inputs = listing();
    }

    private Set<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private String[] expand(String... args) {
        return Arrays.stream(args).map(a -> a.replace("@", dir.toString())).toArray(String[]::new);
    }

    private void countEngineCalls(CommandLine cl) {
        Cli.align(cl).learner = (b, c, r, s, p) -> {
            engineCalls.incrementAndGet();
            throw new AssertionError("the engine must not be called");
        };
        Cli.select(cl).selector = (b, c, x, k, p) -> {
            engineCalls.incrementAndGet();
            throw new AssertionError("the engine must not be called");
        };
    }

    private static final String[] ALIGN = {"align", "--real-embeddings", "@/r.npy",
        "--synthetic-embeddings", "@/s.npy", "--out", "@/w.npy", "--summary", "@/summary.json",
        "--backend", "reference"};
    private static final String[] SELECT = {"select", "--embeddings", "@/r.npy", "--count", "3",
        "--out", "@/picks.txt", "--groups", "@/groups.jsonl", "--backend", "reference"};

    static Stream<Arguments> badInputs() {
        return Stream.of(
            // files
            bad("missing real file", with(ALIGN, "--real-embeddings", "@/missing.npy"), "missing.npy: file not found"),
            bad("missing synthetic file", with(ALIGN, "--synthetic-embeddings", "@/nope.npy"), "nope.npy: file not found"),
            bad("input is a directory", with(ALIGN, "--real-embeddings", "@/outdir"), "outdir: is a directory"),
            bad("not an npy", with(ALIGN, "--real-embeddings", "@/bad_magic.npy"), "bad_magic.npy: not an .npy file"),
            bad("malformed header", with(ALIGN, "--synthetic-embeddings", "@/bad_header.npy"), "bad_header.npy: malformed .npy header"),
            bad("truncated", with(ALIGN, "--synthetic-embeddings", "@/truncated.npy"), "truncated.npy: truncated", "needs 60 bytes", "only 20"),
            bad("dtype", with(ALIGN, "--real-embeddings", "@/int.npy"), "int.npy: unsupported dtype '<i8' (int64)", "float32 or float64"),
            bad("rank 1", with(ALIGN, "--synthetic-embeddings", "@/rank1.npy"), "rank1.npy: array has shape (5,)", "2-D"),
            bad("rank 3", with(ALIGN, "--real-embeddings", "@/rank3.npy"), "rank3.npy: array has shape (2, 2, 2)", "2-D"),
            bad("fortran order", with(ALIGN, "--synthetic-embeddings", "@/fortran.npy"), "fortran.npy:", "Fortran"),
            bad("NaN", with(ALIGN, "--synthetic-embeddings", "@/nan.npy"), "nan.npy: array has NaN at row 2, column 1"),
            bad("Inf", with(ALIGN, "--real-embeddings", "@/inf.npy"), "inf.npy: array has -Inf at row 3, column 2"),
            bad("dimension mismatch", with(ALIGN, "--synthetic-embeddings", "@/s4.npy"),
                    "dimension mismatch", "r.npy has shape (7, 3)", "s4.npy has shape (5, 4)"),
            bad("empty rows", with(ALIGN, "--real-embeddings", "@/empty_rows.npy"), "empty_rows.npy: array is empty (shape (0, 3))"),
            bad("empty columns", with(ALIGN, "--synthetic-embeddings", "@/empty_cols.npy"), "empty_cols.npy: array is empty (shape (4, 0))"),
            // option values
            bad("negative bandwidth", with(ALIGN, "--bandwidth", "-1"), "--bandwidth", "-1"),
            bad("zero bandwidth", with(ALIGN, "--bandwidth", "0"), "--bandwidth", "0"),
            bad("bandwidth not a number", with(ALIGN, "--bandwidth", "wide"), "--bandwidth", "'wide'"),
            bad("bandwidth NaN", with(ALIGN, "--bandwidth", "NaN"), "--bandwidth", "'NaN'"),
            bad("bandwidth infinite", with(ALIGN, "--bandwidth", "1e999"), "--bandwidth", "1e999"),
            bad("iterations not a number", with(ALIGN, "--iterations", "many"), "--iterations", "'many'"),
            bad("iterations zero", with(ALIGN, "--iterations", "0"), "--iterations", "got 0"),
            bad("features zero", with(ALIGN, "--features", "0"), "--features", "got 0"),
            // "unexpected ArithmeticException: integer overflow", exit 1, before.
            bad("features beyond one array", plus(ALIGN, "--method", "rff", "--features", "2147483647"),
                    "--features 2147483647: at dimension 3 that is 6442450941 values, more than one"
                            + " array holds", "give fewer features"),
            bad("tolerance negative", with(ALIGN, "--tolerance", "-1e-3"), "--tolerance", "-1e-3"),
            bad("weight ratio below one", with(ALIGN, "--max-weight-ratio", "0.5"), "--max-weight-ratio", "0.5"),
            bad("memory budget", with(ALIGN, "--memory-budget", "12XB"), "--memory-budget", "'12XB'"),
            bad("one held-out fold", plus(ALIGN, "--holdout-folds", "1"), "--holdout-folds",
                    "must be 0 (no check) or a number of folds >= 2, got 1"),
            bad("negative held-out folds", plus(ALIGN, "--holdout-folds", "-3"), "--holdout-folds", "got -3"),
            bad("held-out folds not a number", plus(ALIGN, "--holdout-folds", "five"), "--holdout-folds", "'five' is not an integer"),
            // Refused from R's header, before any row is read or fitted.
            bad("more held-out folds than real rows", plus(ALIGN, "--holdout-folds", "8"),
                    "--holdout-folds 8: the 7 real rows cannot make 8 folds of at least 2 rows (16"
                            + " needed); give fewer folds, or 0 for no check"),
            bad("method", with(ALIGN, "--method", "magic"), "--method", "'magic'"),
            bad("seed", with(ALIGN, "--seed", "x1"), "--seed", "'x1'"),
            bad("backend", with(ALIGN, "--backend", "quantum"), "unknown backend 'quantum'", "reference"),
            bad("unknown option", with(ALIGN, "--frobnicate", null), "Unknown option: '--frobnicate'"),
            bad("misspelt required option", with(ALIGN, "--real-embeddings", null, "--real-embedding", "@/r.npy"),
                    "Unknown option", "'--real-embedding'"),
            bad("missing required option", with(ALIGN, "--out", null), "Missing required option", "--out"),
            bad("option given twice", plus(ALIGN, "--seed", "1", "--seed", "2"), "--seed", "only once"),
            // outputs
            bad("out directory missing", with(ALIGN, "--out", "@/nodir/w.npy"), "nodir/w.npy: output directory", "nodir does not exist"),
            bad("summary directory missing", with(ALIGN, "--summary", "@/nodir/s.json"), "s.json: output directory", "does not exist"),
            bad("out is a directory", with(ALIGN, "--out", "@/outdir"), "outdir: --out names a directory"),
            bad("out equals summary", with(ALIGN, "--summary", "@/w.npy"), "--out and --summary name the same file"),
            bad("npy form, out not npy", with(ALIGN, "--out", "@/w.jsonl"), "--out @/w.jsonl: the weights of --real-embeddings/--synthetic-embeddings are written as .npy; name the file *.npy"),
            bad("out overwrites an input", with(ALIGN, "--out", "@/s.npy"), "--out @/s.npy would overwrite the input given with --synthetic-embeddings"),
            bad("summary overwrites an input", with(ALIGN, "--summary", "@/outdir/../r.npy"), "--summary", "would overwrite the input given with --real-embeddings"),
            bad("out overwrites an input through a link", with(ALIGN, "--out", "@/link.npy"), "would overwrite the input given with --real-embeddings"),
            // select
            bad("select: missing file", with(SELECT, "--embeddings", "@/gone.npy"), "gone.npy: file not found"),
            bad("select: NaN", with(SELECT, "--embeddings", "@/nan.npy"), "nan.npy: array has NaN at row 2, column 1"),
            bad("select: rank", with(SELECT, "--embeddings", "@/rank1.npy"), "rank1.npy", "(5,)"),
            bad("select: empty", with(SELECT, "--embeddings", "@/empty_rows.npy"), "empty_rows.npy: array is empty"),
            bad("select: count too large", with(SELECT, "--count", "8"), "--count 8 is larger than the 7 rows of", "r.npy"),
            bad("select: count zero", with(SELECT, "--count", "0"), "--count", "got 0"),
            bad("select: count not a number", with(SELECT, "--count", "3.5"), "--count", "'3.5'"),
            bad("select: length scale zero", with(SELECT, "--length-scale", "0"), "--length-scale", "0"),
            bad("select: length scale negative", with(SELECT, "--length-scale", "-2"), "--length-scale", "-2"),
            bad("select: length scale text", with(SELECT, "--length-scale", "long"), "--length-scale", "'long'"),
            bad("select: first out of range", with(SELECT, "--first", "7"), "--first 7 is not a row of", "r.npy", "7 rows"),
            bad("select: first negative", with(SELECT, "--first", "-1"), "--first", "-1"),
            bad("select: noise negative", with(SELECT, "--noise", "-0.1"), "--noise", "-0.1"),
            bad("select: group size zero", with(SELECT, "--group-size", "0"), "--group-size", "got 0"),
            bad("select: groups directory missing", with(SELECT, "--groups", "@/nodir/g.jsonl"), "g.jsonl: output directory", "does not exist"),
            bad("select: out equals groups", with(SELECT, "--groups", "@/picks.txt"), "--out and --groups name the same file"),
            bad("select: groups overwrite the input", with(SELECT, "--groups", "@/./r.npy"), "would overwrite the input given with --embeddings"),
            // the command itself
            bad("no command", new String[0], "missing command; give one of demo, generate, align, run, evaluate, report, negatives, beir, filter, test, embed, select"),
            bad("unknown command", new String[] {"allign"}, "allign"));
    }

    private static Arguments bad(String name, String[] args, String... fragments) {
        return Arguments.of(name, args, fragments);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputExitsTwoWithOneLineAndNoOutput(String name, String[] args, String[] fragments)
            throws IOException {
        Cli.Run run = Cli.run(this::countEngineCalls, expand(args));
        String line = Cli.assertBadInputLine(run, dir, fragments);
        assertEquals(0, engineCalls.get(), "the engine was called");
        assertEquals(inputs, listing(), "outputs or temporary files were left behind");

        // The same through a bare `new CommandLine(new SynAlignCommand())`: still exit 2 and
        // nothing written. Input errors read the same; picocli's own usage errors there come
        // with the usage text instead of the one-line form.
        Cli.Run bare = Cli.runBare(this::countEngineCalls, expand(args));
        assertEquals(ExitCodes.BAD_INPUT, bare.status(), bare.toString());
        if (!line.contains("(see '")) {
            assertEquals(List.of(line), bare.errLines());
        }
        assertEquals(0, engineCalls.get(), "the engine was called");
        assertEquals(inputs, listing(), "outputs or temporary files were left behind");
    }

    /** Input problems are reported by the subcommand itself, so a bare CommandLine agrees. */
    @Test
    void bareCommandLineReportsInputErrorsTheSameWay() throws IOException {
        Cli.Run run = Cli.runBare(this::countEngineCalls,
                expand(with(ALIGN, "--real-embeddings", "@/nan.npy")));
        assertEquals(2, run.status(), run.toString());
        assertEquals(List.of("synalign: error: " + dir.resolve("nan.npy")
                + ": array has NaN at row 2, column 1"), run.errLines());
        assertEquals(inputs, listing());

        Cli.Run usage = Cli.runBare(this::countEngineCalls, expand(with(ALIGN, "--bandwidth", "-3")));
        assertEquals(2, usage.status(), usage.toString());
        assertTrue(usage.err().contains("--bandwidth"), usage.toString());
        assertEquals(0, engineCalls.get());
    }

    @Test
    void verboseShowsTheStackTraceOfABadInput() throws IOException {
        Cli.Run run = Cli.run(this::countEngineCalls,
                expand(with(ALIGN, "--real-embeddings", "@/truncated.npy", "--verbose", null)));
        assertEquals(2, run.status());
        assertTrue(run.errLines().get(0).startsWith("synalign: error: "), run.toString());
        assertTrue(run.err().contains("InputException"), run.toString());
        assertTrue(run.err().contains("\tat io.synalign.io.NpyReader"), run.toString());
        assertEquals(inputs, listing());
    }

    @Test
    void helpAndVersionExitZero() {
        Cli.Run help = Cli.run(cl -> { }, "align", "--help");
        assertEquals(0, help.status());
        // Words, not picocli's line breaks: a description's wrap moves with its length.
        String words = help.out().replaceAll("\\s+", " ");
        assertTrue(words.contains("--max-weight-ratio"), help.out());
        assertTrue(words.contains("no synthetic row gets more than B"), help.out());
        assertTrue(words.contains("Default: 10."), help.out());
        assertTrue(words.contains("Default: 2GiB"), help.out());
        Cli.Run version = Cli.run(cl -> { }, "--version");
        assertEquals(0, version.status());
        assertTrue(version.out().startsWith("synalign "), version.out());
        assertTrue(version.out().contains("reference"), version.out());
        assertEquals(0, Cli.run(cl -> { }, "--help").status());
        assertEquals(0, Cli.run(cl -> { }, "select", "--help").status());
    }
}
