package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.NpyFixtures;
import io.synalign.kernels.FloatMatrix;
import io.synalign.models.LazyOnnxSentenceEncoder;
import io.synalign.models.SentenceEncoder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedCommandTest {

    @TempDir
    Path dir;

    /** Awkward texts: a duplicate, the empty string, quotes, unicode, a long one. */
    private static final List<String> TEXTS = List.of(
            "The cat sleeps on the sofa.",
            "Stocks fell sharply after the announcement.",
            "",
            "She said \"hello\" and left, quickly.",
            "The cat sleeps on the sofa.",
            "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u6f22\u5b57 \ud83d\ude00",
            "word ".repeat(300).strip(),
            "How do I reset my password?",
            "Where is the nearest train station?");

    @BeforeEach
    void input() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < TEXTS.size(); i++) {
            sb.append("{\"id\":").append(i).append(",\"text\":")
                    .append(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(TEXTS.get(i)))
                    .append("}\n");
        }
        Files.writeString(dir.resolve("texts.jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private Cli.Run embed(TestEncoders.Counter counter, Map<String, String> env, String... args) {
        return embed(counter, env, StreamedRecords.EMBED_BLOCK, args);
    }

    private Cli.Run embed(TestEncoders.Counter counter, Map<String, String> env, int block,
            String... args) {
        return Cli.run(cl -> {
            EmbedCommand cmd = (EmbedCommand) cl.getSubcommands().get("embed").getCommand();
            cmd.loader = counter.loader();
            cmd.embedBlock = block;
            if (env != null) {
                cmd.environment = env;
            }
        }, args);
    }

    @Test
    void blocksOfTextsAreStreamedIntoTheFileInOrder() throws IOException {
        FloatMatrix expected = TestEncoders.minilm().encode(TEXTS);
        for (int block : new int[] {1, 2, 4, 100}) {
            TestEncoders.Counter counter = new TestEncoders.Counter();
            Cli.Run run = embed(counter, null, block, "embed", "--in", p("texts.jsonl"), "--out",
                    p("e.npy"), "--no-cache", "--quiet");
            assertEquals(0, run.status(), run.toString());
            assertEquals((TEXTS.size() + block - 1) / block, counter.encodeCalls.get(),
                    "one encoder call per block of " + block);
            // Blocks that split the encoder's batch of 32 pad to other lengths: float rounding.
            assertArrayEquals(expected.data(), readFloat32(dir.resolve("e.npy")).data(),
                    block >= TEXTS.size() ? 0f : 2e-6f, "block " + block);
            try (var files = Files.list(dir)) {
                assertEquals(List.of("e.npy", "texts.jsonl"), files.map(f -> f.getFileName()
                        .toString()).sorted().toList(), "no temporary file left");
            }
        }
    }

    /** A missing --in was "NoSuchFileException", exit 1 (the stamp was taken before the open). */
    @Test
    void aMissingInputIsBadInputNamingTheFile() {
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.assertBadInputLine(embed(counter, null, "embed", "--in", p("nope.jsonl"), "--out", p("e.npy"),
                "--no-cache", "--quiet"), dir, "@/nope.jsonl", "not found");
        assertEquals(0, counter.encodeCalls.get());
        assertTrue(Files.notExists(dir.resolve("e.npy")));
    }

    private static FloatMatrix readFloat32(Path file) throws IOException {
        NpyFixtures.Parsed npy = NpyFixtures.parse(Files.readAllBytes(file));
        assertTrue(npy.dict().startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': ("
                + TEXTS.size() + ", 384), }"), npy.dict());
        return new FloatMatrix(TEXTS.size(), 384, NpyFixtures.float32(npy.data()));
    }

    /**
     * A text longer than --max-length lost its end without a word; now one note counts the
     * texts truncated, those answered from the cache included (checked by the tokenizer).
     */
    @Test
    void truncatedTextsAreNotedOnceWhetherEmbeddedOrReadFromTheCache() throws IOException {
        Cli.Run plain = embed(new TestEncoders.Counter(), null, "embed", "--in", p("texts.jsonl"),
                "--out", p("e.npy"), "--no-cache", "--quiet");
        assertEquals(0, plain.status(), plain.toString());
        assertTrue(plain.out().contains("\nnote: 1 of 9 texts were longer than 128 tokens and"
                + " were truncated (--max-length)\nwrote "), plain.out());

        StringBuilder head = new StringBuilder();
        for (String line : Files.readAllLines(dir.resolve("texts.jsonl")).subList(0, 3)) {
            head.append(line).append('\n');
        }
        Files.writeString(dir.resolve("head.jsonl"), head);
        Cli.Run first = embed(new TestEncoders.Counter(), null, "embed", "--in", p("head.jsonl"),
                "--out", p("h.npy"), "--cache-dir", p("cache"), "--quiet");
        assertFalse(first.out().contains("note:"), first.out());
        Cli.Run rest = embed(new TestEncoders.Counter(), null, "embed", "--in", p("texts.jsonl"),
                "--out", p("e.npy"), "--cache-dir", p("cache"), "--quiet");
        assertTrue(rest.out().contains("note: 1 of 8 texts were longer than 128 tokens and were"
                + " truncated (--max-length)\n"), rest.out());
        // All from the cache: the tokenizer still finds the long text (a re-run said nothing).
        Cli.Run cached = embed(new TestEncoders.Counter(), null, "embed", "--in",
                p("texts.jsonl"), "--out", p("e.npy"), "--cache-dir", p("cache"), "--quiet");
        assertTrue(cached.out().contains("; 8 from the cache, 0 embedded"), cached.out());
        assertTrue(cached.out().contains("note: 1 of 8 texts were longer than 128 tokens and were"
                + " truncated (--max-length)\n"), cached.out());
    }

    @Test
    void writesOneFloat32RowPerRecordInOrderEqualToTheEncoder() throws IOException {
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run run = embed(counter, null, "embed", "--in", p("texts.jsonl"), "--out", p("e.npy"),
                "--cache-dir", p("cache"), "--quiet");
        assertEquals(0, run.status(), run.toString());
        FloatMatrix written = readFloat32(dir.resolve("e.npy"));
        FloatMatrix expected = TestEncoders.minilm().encode(TEXTS);
        assertArrayEquals(expected.data(), written.data(), "bit for bit the encoder's vectors");
        assertArrayEquals(written.rowRange(0, 1).data(), written.rowRange(4, 5).data(),
                "a duplicate text gets the same row");
        assertTrue(run.out().startsWith("embedded 9 texts with minilm (384 dimensions) in "),
                run.out());
        assertTrue(run.out().contains("; 0 from the cache, 8 embedded"), run.out());
        assertEquals(8, counter.textsEncoded.get(), "each distinct text once");
    }

    /**
     * Every text command loaded the ONNX Runtime session at open (0.8-1.1 s) even when the cache
     * answered every text; the production loader now creates it at the first miss only, with
     * the same vectors and the same truncation note.
     */
    @Test
    void theProductionLoaderCreatesNoSessionForARunAnsweredFromTheCache() throws IOException {
        List<SentenceEncoder> opened = new java.util.ArrayList<>();
        EmbeddingOptions.EncoderLoader production = (spec, options) -> {
            SentenceEncoder encoder = EmbeddingOptions.ONNX.load(spec, options);
            opened.add(encoder);
            return encoder;
        };
        List<Cli.Run> runs = new java.util.ArrayList<>();
        for (String out : new String[] {"a.npy", "b.npy"}) {
            runs.add(Cli.run(cl -> ((EmbedCommand) cl.getSubcommands().get("embed").getCommand())
                    .loader = production, "embed", "--in", p("texts.jsonl"), "--out", p(out),
                    "--cache-dir", p("cache"), "-q"));
            assertEquals(0, runs.get(runs.size() - 1).status(), runs.toString());
        }
        assertEquals(2, opened.size());
        assertTrue(((LazyOnnxSentenceEncoder) opened.get(0)).sessionCreated(), "8 misses");
        assertFalse(((LazyOnnxSentenceEncoder) opened.get(1)).sessionCreated(), "8 hits");
        assertTrue(runs.get(1).out().contains("; 8 from the cache, 0 embedded"), runs.get(1).out());
        String note = "note: 1 of 8 texts were longer than 128 tokens and were truncated"
                + " (--max-length)\n";
        assertTrue(runs.get(0).out().contains(note), runs.get(0).out());
        assertTrue(runs.get(1).out().contains(note), runs.get(1).out());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.npy")),
                Files.readAllBytes(dir.resolve("b.npy")));
        assertArrayEquals(TestEncoders.minilm().encode(TEXTS).data(),
                readFloat32(dir.resolve("b.npy")).data(), "the eager encoder's vectors");
    }

    @Test
    void aSecondRunAnswersFromTheCacheWithoutCallingTheModel() throws IOException {
        TestEncoders.Counter first = new TestEncoders.Counter();
        assertEquals(0, embed(first, null, "embed", "--in", p("texts.jsonl"), "--out", p("a.npy"),
                "--cache-dir", p("cache"), "-q").status());
        assertTrue(first.encodeCalls.get() >= 1);

        TestEncoders.Counter second = new TestEncoders.Counter();
        Cli.Run run = embed(second, null, "embed", "--in", p("texts.jsonl"), "--out", p("b.npy"),
                "--cache-dir", p("cache"), "-q");
        assertEquals(0, run.status(), run.toString());
        assertEquals(1, second.loads.get());
        assertEquals(0, second.encodeCalls.get(), "every text came from the cache");
        // 9 texts, 8 distinct: each distinct text is looked up once.
        assertTrue(run.out().contains("; 8 from the cache, 0 embedded"), run.out());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.npy")),
                Files.readAllBytes(dir.resolve("b.npy")));

        // Without the cache, the model sees every text every time.
        TestEncoders.Counter uncached = new TestEncoders.Counter();
        Cli.Run noCache = embed(uncached, null, "embed", "--in", p("texts.jsonl"), "--out",
                p("c.npy"), "--no-cache", "-q");
        assertEquals(0, noCache.status(), noCache.toString());
        assertEquals(TEXTS.size(), uncached.textsEncoded.get());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.npy")),
                Files.readAllBytes(dir.resolve("c.npy")));
    }

    @Test
    void aCacheDirectoryThatIsAnOutputOrAFileIsRefusedBeforeTheModelLoads() throws IOException {
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run same = embed(counter, null, "embed", "--quiet", "--in", p("texts.jsonl"),
                "--out", p("e.npy"), "--cache-dir", p("e.npy"));
        assertEquals(2, same.status(), same.toString());
        assertTrue(same.err().contains("--out and --cache-dir name the same path"), same.err());
        Files.writeString(dir.resolve("file"), "x");
        Cli.Run file = embed(counter, null, "embed", "--quiet", "--in", p("texts.jsonl"),
                "--out", p("e.npy"), "--cache-dir", p("file"));
        assertEquals(2, file.status(), file.toString());
        assertTrue(file.err().contains("--cache-dir names a file, not a directory"), file.err());
        assertEquals(0, counter.loads.get(), "no model was loaded");
        assertFalse(Files.exists(dir.resolve("e.npy")));
    }

    @Test
    void theDefaultCacheFollowsXdgCacheHome() throws IOException {
        Path xdg = dir.resolve("xdg");
        Cli.Run run = embed(new TestEncoders.Counter(), Map.of("XDG_CACHE_HOME", xdg.toString()),
                "embed", "--in", p("texts.jsonl"), "--out", p("e.npy"), "-q");
        assertEquals(0, run.status(), run.toString());
        assertTrue(Files.isDirectory(xdg.resolve("synalign").resolve("v1")));

        assertEquals(Path.of("/x/y", "synalign"),
                EmbeddingOptions.defaultCacheDirectory(Map.of("XDG_CACHE_HOME", "/x/y"), "/home/u"));
        assertEquals(Path.of("/home/u", ".cache", "synalign"),
                EmbeddingOptions.defaultCacheDirectory(Map.of("XDG_CACHE_HOME", "rel/dir"), "/home/u"),
                "a relative XDG_CACHE_HOME is ignored, as the spec says");
        assertEquals(Path.of("/home/u", ".cache", "synalign"),
                EmbeddingOptions.defaultCacheDirectory(Map.of("XDG_CACHE_HOME", " "), "/home/u"));
        assertEquals(Path.of("/home/u", ".cache", "synalign"),
                EmbeddingOptions.defaultCacheDirectory(Map.of(), "/home/u"));
    }

    /**
     * An XDG_CACHE_HOME that is no path at all (under LANG=C a non-ASCII name, which the locale
     * cannot encode; here a NUL, which no locale can) was ignored without a word, and the cache
     * went to $HOME/.cache; it is refused naming the variable, as other unusable locations are.
     */
    @Test
    void anXdgCacheHomeThatIsNoPathIsRefusedNamingIt() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> EmbeddingOptions.defaultCacheDirectory(
                        Map.of("XDG_CACHE_HOME", "/x/\0y", "HOME", "/home/u"), "/home/u"));
        assertTrue(e.getMessage().startsWith("$XDG_CACHE_HOME ('/x/\0y') cannot be used as the"
                + " embedding cache's location: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("give --cache-dir DIR or --no-cache"), e.getMessage());
    }

    /**
     * A default cache that could not be created failed after the model load with only the
     * path's error ("permission denied", exit 1); now one line names the cache, what is in its
     * way and the options, exit 2, before the input is read or the model loaded, creating
     * nothing (a bad input found later leaves no cache: TextBadInputTest).
     */
    @Test
    void aDefaultCacheThatCannotBeCreatedIsRefusedBeforeAnyWork() throws IOException {
        Path home = Files.createFile(dir.resolve("home-is-a-file"));
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run run = Cli.run(cl -> {
            EmbedCommand cmd = (EmbedCommand) cl.getSubcommands().get("embed").getCommand();
            cmd.loader = counter.forbidden();
            cmd.environment = Map.of("HOME", home.toString());
        }, "embed", "--in", p("texts.jsonl"), "--out", p("e.npy"), "-q");
        Cli.assertBadInputLine(run, dir, "the embedding cache @/home-is-a-file/.cache/synalign:"
                + " cannot create @/home-is-a-file (not a directory)",
                "--cache-dir DIR or --no-cache");
        assertEquals(0, counter.loads.get());
        assertTrue(Files.notExists(dir.resolve("e.npy")));
    }

    /**
     * The default cache came from user.home, which ignores $HOME and is "?" for a uid without a
     * passwd entry (a directory "?/.cache/synalign" appeared in the working directory).
     */
    @Test
    void theDefaultCacheFollowsHomeAndNeedsAnAbsolutePath() {
        assertEquals(Path.of("/h", ".cache", "synalign"),
                EmbeddingOptions.defaultCacheDirectory(Map.of("HOME", "/h"), "/home/u"));
        assertEquals(Path.of("/home/u", ".cache", "synalign"),
                EmbeddingOptions.defaultCacheDirectory(Map.of("HOME", "rel"), "/home/u"));
        assertEquals(null, EmbeddingOptions.defaultCacheDirectory(Map.of(), "?"));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> new EmbeddingOptions().cacheLocation(Map.of("HOME", ""), "?"));
        assertTrue(e.getMessage().contains("('?'); give --cache-dir DIR or --no-cache"),
                e.getMessage());
    }

    @Test
    void readsGzipCsvWithAnotherTextField() throws IOException {
        StringBuilder csv = new StringBuilder("n,body\n");
        for (int i = 0; i < TEXTS.size(); i++) {
            csv.append(i).append(",\"").append(TEXTS.get(i).replace("\"", "\"\"")).append("\"\r\n");
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("t.csv.gz")))) {
            out.write(csv.toString().getBytes(StandardCharsets.UTF_8));
        }
        Cli.Run run = embed(new TestEncoders.Counter(), null, "embed", "--in", p("t.csv.gz"),
                "--out", p("e.npy"), "--text-field", "body", "--no-cache", "-q");
        assertEquals(0, run.status(), run.toString());
        assertArrayEquals(TestEncoders.minilm().encode(TEXTS).data(),
                readFloat32(dir.resolve("e.npy")).data());
    }

    @Test
    void cudaOnTheCpuBuildIsBadInputNamingTheProfile() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeFalse(ai.onnxruntime.OrtEnvironment
                .getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA),
                "this build has the CUDA provider");
        Cli.Run run = Cli.run(cl -> { }, "embed", "--in", p("texts.jsonl"), "--out", p("e.npy"),
                "--device", "cuda:0", "--no-cache");
        assertEquals(2, run.status(), run.toString());
        assertEquals(1, run.errLines().size(), run.toString());
        assertTrue(run.errLines().get(0).startsWith("synalign: error: --device cuda:0: CUDA"
                + " execution provider requested"), run.toString());
        assertTrue(run.errLines().get(0).contains("onnxruntime-gpu"), run.toString());
        assertTrue(Files.notExists(dir.resolve("e.npy")));
    }

    /**
     * A --max-length beyond the model's 512 positions is bad input at load, with the real
     * encoder: one line naming the option, exit 2, no output; before, the run failed at its first
     * long text with exit 1 and ONNX Runtime's broadcast error.
     */
    @Test
    void aMaxLengthTheModelCannotTakeIsNamedBeforeAnyText() throws IOException {
        Cli.Run run = Cli.run(cl -> { }, "embed", "--in", p("texts.jsonl"), "--out", p("e.npy"),
                "--encoder", "minilm", "--max-length", "1024", "--no-cache", "--quiet");
        Cli.assertBadInputLine(run, dir, "--max-length 1024: model minilm fails on a text of 1024"
                + " tokens (", "); it takes fewer, give a smaller maximum");
        assertFalse(Files.exists(dir.resolve("e.npy")));
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("texts.jsonl")), listing.toList(), "nothing written");
        }
    }
}
