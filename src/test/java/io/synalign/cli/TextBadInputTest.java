package io.synalign.cli;

import static io.synalign.cli.CliArgs.plus;
import static io.synalign.cli.CliArgs.with;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.io.NpyFixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Bad input to {@code embed} and the text form of {@code align}: exit status 2, exactly one line
 * on stderr naming the file and line (or the option), nothing written, and neither the model
 * loaded nor the engine called. In the argument lists {@code @} stands for the temporary
 * directory.
 */
class TextBadInputTest {

    @org.junit.jupiter.api.io.TempDir
    Path dir;

    private Set<String> inputs;
    private final AtomicInteger engineCalls = new AtomicInteger();
    private final TestEncoders.Counter encoders = new TestEncoders.Counter();

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    private void write(String name, byte[] bytes) throws IOException {
        Files.write(dir.resolve(name), bytes);
    }

    @BeforeEach
    void createInputs() throws IOException {
        write("r.jsonl", "{\"text\":\"a real text\",\"label\":\"x\"}\n{\"text\":\"another\",\"label\":\"y\"}\n");
        write("s.jsonl", "{\"text\":\"a synthetic text\",\"label\":\"x\"}\n{\"text\":\"more\",\"label\":\"y\"}\n");
        write("malformed.jsonl", "{\"text\":\"ok\"}\n{\"text\":\"ok\"}\n{\"text\": \"unterminated}\n");
        write("notext.jsonl", "{\"text\":\"ok\",\"label\":\"x\"}\n{\"body\":\"no text field\",\"label\":\"x\"}\n");
        write("numbertext.jsonl", "{\"text\":\"ok\"}\n{\"text\":17}\n");
        write("empty.jsonl", "");
        write("latin1.jsonl", "{\"text\":\"ok\"}\n{\"text\":\"d\u00e9j\u00e0 vu\"}\n".getBytes(StandardCharsets.ISO_8859_1));
        write("long.jsonl", "{\"text\":\"ok\"}\n{\"text\":\"" + "z".repeat(200) + "\"}\n");
        write("columns.csv", "text,label\nfine,x\n\"quoted, fine\",x\nnot quoted, broken,x\n");
        write("noheader.tsv", "");
        write("nolabel.jsonl", "{\"text\":\"a synthetic text\"}\n");
        write("otherlabels.jsonl", "{\"text\":\"t1\",\"label\":\"X\"}\n{\"text\":\"t2\",\"label\":\"Y\"}\n");
        write("halflabel.jsonl", "{\"text\":\"t1\",\"label\":\"x\"}\n{\"text\":\"t2\"}\n");
        write("nulllabel.jsonl", "{\"text\":\"t1\",\"label\":null}\n");
        write("blanklabel.csv", "text,label\nt1,x\nt2,\n");
        write("data.txt", "text\nhello\n");
        write("fake.jsonl.gz", "{\"text\":\"not compressed\"}\n");
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(gz)) {
            out.write("{\"text\":\"compressed\"}\n".repeat(50).getBytes(StandardCharsets.UTF_8));
        }
        byte[] full = gz.toByteArray();
        write("truncated.jsonl.gz", Arrays.copyOf(full, full.length / 2));
        write("r.npy", NpyFixtures.float32Matrix(2, 3, NpyFixtures.gaussian(6, 1, 1)));
        write("r3.npy", NpyFixtures.float32Matrix(3, 3, NpyFixtures.gaussian(9, 1, 2)));
        write("s24.npy", NpyFixtures.float32Matrix(2, 4, NpyFixtures.gaussian(8, 1, 3)));
        Files.createDirectory(dir.resolve("outdir"));
        // A link into a directory that does not exist: the output would replace its target.
        Files.createSymbolicLink(dir.resolve("dangling.jsonl"), dir.resolve("nodir/w.jsonl"));
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

    private void forbidEngineAndModel(CommandLine cl) {
        AlignCommand align = Cli.align(cl);
        align.learner = (b, c, r, s, p) -> {
            engineCalls.incrementAndGet();
            throw new AssertionError("the engine must not be called");
        };
        align.loader = encoders.forbidden();
        ((EmbedCommand) cl.getSubcommands().get("embed").getCommand()).loader = encoders.forbidden();
    }

    private static final String[] ALIGN = {"align", "--real", "@/r.jsonl", "--synthetic",
        "@/s.jsonl", "--out", "@/w.jsonl", "--summary", "@/summary.json", "--backend", "reference",
        "--cache-dir", "@/cache"};
    private static final String[] EMBED = {"embed", "--in", "@/s.jsonl", "--out", "@/e.npy",
        "--cache-dir", "@/cache"};

    private static Arguments bad(String name, String[] args, String... fragments) {
        return Arguments.of(name, args, fragments);
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
            // file contents, reported as FILE:LINE: problem
            bad("malformed JSON", with(ALIGN, "--synthetic", "@/malformed.jsonl"), "@/malformed.jsonl:3: malformed JSON at column"),
            bad("missing text field", with(ALIGN, "--real", "@/notext.jsonl"), "@/notext.jsonl:2: no field 'text'", "--text-field", "'body'"),
            bad("non-string text", with(ALIGN, "--synthetic", "@/numbertext.jsonl"), "@/numbertext.jsonl:2: field 'text' is a number, not a string"),
            bad("empty file", with(ALIGN, "--real", "@/empty.jsonl"), "@/empty.jsonl: the file is empty"),
            bad("not UTF-8", with(ALIGN, "--synthetic", "@/latin1.jsonl"), "@/latin1.jsonl:2: not valid UTF-8 (byte 0xE9 at byte 11 of the line)"),
            bad("line over the limit", with(ALIGN, "--synthetic", "@/long.jsonl", "--max-line-size", "100"), "@/long.jsonl:2: line is longer than the limit of 100 bytes"),
            bad("wrong column count", with(ALIGN, "--real", "@/columns.csv"), "@/columns.csv:4: the row has 3 fields but the header has 2"),
            bad("empty csv", with(ALIGN, "--real", "@/noheader.tsv"), "@/noheader.tsv: the file is empty; expected a header row"),
            bad("unknown format", with(ALIGN, "--real", "@/data.txt"), "@/data.txt: cannot tell the format from the file name"),
            bad("fake gzip", with(ALIGN, "--synthetic", "@/fake.jsonl.gz"), "@/fake.jsonl.gz: the name ends in .gz but the file is not gzip-compressed"),
            bad("truncated gzip", with(ALIGN, "--synthetic", "@/truncated.jsonl.gz"), "@/truncated.jsonl.gz:", "corrupt or truncated gzip data"),
            bad("missing file", with(ALIGN, "--real", "@/nope.jsonl"), "@/nope.jsonl: file not found"),
            bad("null label", with(ALIGN, "--real", "@/nulllabel.jsonl"), "@/nulllabel.jsonl:1: label field 'label' is null"),
            bad("empty label cell", with(ALIGN, "--synthetic", "@/blanklabel.csv"), "@/blanklabel.csv:3: label field 'label' is empty"),
            bad("label on some records only", with(ALIGN, "--synthetic", "@/halflabel.jsonl"), "@/halflabel.jsonl:2: no field 'label', but the record on line 1 has one"),
            // labels
            bad("no synthetic label in the real set", with(ALIGN, "--synthetic", "@/otherlabels.jsonl"),
                    "no synthetic record has a label of the real set: synthetic labels 'X', 'Y', real labels 'x', 'y'"),
            bad("labels on one side only", with(ALIGN, "--synthetic", "@/nolabel.jsonl"),
                    "only the real records have labels; per-label alignment needs a label on every real and synthetic record (or use --scope global)"),
            bad("sample larger than the synthetic set", with(ALIGN, "--sample", "3", "--sampled-out", "@/a.jsonl"),
                    "--sample 3 exceeds the 2 synthetic rows whose label is in the real set"),
            // option combinations
            // embeddings files given for the records (the model would embed the other side)
            bad("real embeddings, a row count that is not the records'", with(ALIGN, "--real-embeddings", "@/r3.npy"),
                    "--real-embeddings @/r3.npy has shape (3, 3) but @/r.jsonl has 2 records; give one row per record"),
            bad("synthetic embeddings, a row count that is not the records'", with(ALIGN, "--synthetic-embeddings", "@/r3.npy"),
                    "--synthetic-embeddings @/r3.npy has shape (3, 3) but @/s.jsonl has 2 records; give one row per record"),
            bad("embeddings files of two widths", with(ALIGN, "--real-embeddings", "@/r.npy", "--synthetic-embeddings", "@/s24.npy"),
                    "dimension mismatch: @/r.npy has shape (2, 3) but @/s24.npy has shape (2, 4)"),
            bad("no form", new String[] {"align", "--out", "@/w.jsonl"}, "give --real and --synthetic (text records), or --real-embeddings and --synthetic-embeddings (.npy)"),
            bad("half a text form", with(ALIGN, "--synthetic", null), "--real needs --synthetic"),
            bad("half an npy form", new String[] {"align", "--synthetic-embeddings", "@/r.npy", "--out", "@/w.npy"}, "--synthetic-embeddings needs --real-embeddings"),
            bad("text option with the npy form", new String[] {"align", "--real-embeddings", "@/r.npy", "--synthetic-embeddings", "@/r.npy", "--out", "@/w.npy", "--sample", "3"},
                    "--sample belongs to the text form of align"),
            bad("unknown scope", plus(ALIGN, "--scope", "local"), "unknown scope 'local' (expected per-label or global)"),
            bad("retired --global", plus(ALIGN, "--global"), "the alignment scope is --scope global"),
            bad("retired --model", with(ALIGN, "--model", "minilm"), "the sentence encoder is --encoder in every command"),
            bad("sample without sampled-out", with(ALIGN, "--sample", "1"), "--sample 1 needs --sampled-out"),
            bad("sample zero", with(ALIGN, "--sample", "0", "--sampled-out", "@/a.jsonl"), "--sample", "got 0"),
            bad("out format unknown", with(ALIGN, "--out", "@/w.npy"), "--out @/w.npy: the output format follows the file name"),
            bad("sampled-out format unknown", with(ALIGN, "--sample", "1", "--sampled-out", "@/a.parquet"), "--sampled-out @/a.parquet: the output format follows the file name"),
            bad("sampled-out is out", with(ALIGN, "--sample", "1", "--sampled-out", "@/w.jsonl"), "--sampled-out and --out name the same file"),
            bad("sampled-out in a run dir not made yet", with(ALIGN, "--sample", "1", "--sampled-out", "@/nd/weighted.jsonl", "--run-dir", "@/nd"),
                    "--sampled-out and --run-dir (weighted.jsonl) name the same file"),
            bad("out overwrites the input", with(ALIGN, "--out", "@/s.jsonl"), "--out @/s.jsonl would overwrite the input given with --synthetic"),
            bad("out directory missing", with(ALIGN, "--out", "@/nodir/w.jsonl"), "output directory", "does not exist"),
            bad("out a dangling link", with(ALIGN, "--out", "@/dangling.jsonl"), "@/dangling.jsonl: output directory @/nodir does not exist"),
            bad("text and label field equal", with(ALIGN, "--label-field", "text"), "--text-field and --label-field both name 'text'"),
            bad("unknown model", with(ALIGN, "--encoder", "gpt-5"), "unknown model 'gpt-5'; choose minilm (default), bge-small"),
            bad("bad device", with(ALIGN, "--device", "tpu"), "--device 'tpu': expected cpu, cuda or cuda:N"),
            bad("bad cuda ordinal", with(ALIGN, "--device", "cuda:-1"), "--device 'cuda:-1': expected cuda:N"),
            bad("max length too small", with(ALIGN, "--max-length", "1"), "--max-length 1: at least 2 tokens (the encoder's start and end tokens), at most 512 for the built-in models"),
            bad("max line size too large", with(ALIGN, "--max-line-size", "2GiB"), "--max-line-size 2147483648 bytes is out of range"),
            bad("batch size zero", with(ALIGN, "--batch-size", "0"), "--batch-size", "got 0"),
            bad("cache dir and no cache", with(ALIGN, "--no-cache", null), "--cache-dir and --no-cache contradict each other"),
            bad("backend", with(ALIGN, "--backend", "quantum"), "unknown backend 'quantum'"),
            bad("features with exact", plus(ALIGN, "--method", "exact", "--features", "64"), "--features does not apply to --method exact"),
            bad("kernel storage with rff", plus(ALIGN, "--method", "rff", "--kernel-storage", "fp32"), "--kernel-storage does not apply to --method rff"),
            bad("memory budget with rff", plus(ALIGN, "--method", "rff", "--memory-budget", "1g"), "--memory-budget does not apply to --method rff"),
            // embed
            bad("embed: malformed JSON", with(EMBED, "--in", "@/malformed.jsonl"), "@/malformed.jsonl:3: malformed JSON"),
            bad("embed: missing text field", with(EMBED, "--in", "@/notext.jsonl"), "@/notext.jsonl:2: no field 'text'"),
            bad("embed: custom text field missing", with(EMBED, "--text-field", "body"), "@/s.jsonl:1: no field 'body'"),
            bad("embed: not UTF-8", with(EMBED, "--in", "@/latin1.jsonl"), "@/latin1.jsonl:2: not valid UTF-8"),
            bad("embed: empty", with(EMBED, "--in", "@/empty.jsonl"), "@/empty.jsonl: the file is empty"),
            bad("embed: out not npy", with(EMBED, "--out", "@/e.jsonl"), "--out @/e.jsonl: embeddings are written as .npy"),
            bad("embed: out overwrites in", with(EMBED, "--out", "@/s.jsonl"), "would overwrite the input given with --in"),
            bad("embed: unknown model", with(EMBED, "--encoder", "nope"), "unknown model 'nope'"),
            bad("embed: missing --in", with(EMBED, "--in", null), "Missing required option", "--in"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputExitsTwoWithOneLineAndNoOutput(String name, String[] args, String[] fragments)
            throws IOException {
        Cli.Run run = Cli.run(this::forbidEngineAndModel, expand(args));
        Cli.assertBadInputLine(run, dir, fragments);
        assertEquals(0, engineCalls.get(), "the engine was called");
        assertEquals(0, encoders.loads.get(), "the model was loaded");
        assertEquals(inputs, listing(), "outputs, temporary files or a cache were left behind");
    }
}
