package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-process GGUF backend on a tiny random-weight llama model written at test time
 * ({@link TinyGgufWriter}): the output is meaningless, but grammar-constrained decoding makes
 * every reply parse and validate, within the grammar's length bounds, reproducibly per seed.
 */
class GgufChatModelTest {

    /** Small bounds keep generation to a few hundred tokens per call. */
    static final GbnfGrammar.Bounds BOUNDS = new GbnfGrammar.Bounds(24, 10, 4, 4);

    @TempDir
    static Path dir;
    static Path file;
    static GgufChatModel model;

    @BeforeAll
    static void load() throws IOException {
        file = TinyGgufWriter.write(dir.resolve("tiny-random.gguf"), TinyGgufWriter.Spec.tiny(11));
        model = GgufChatModel.open(file, GgufChatModel.Options.defaults().withThreads(2).withBounds(BOUNDS));
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    static ChatRequest request(ResponseSchema schema, long seed) {
        return ChatRequest.of(List.of(ChatMessage.system("You write JSON."),
                ChatMessage.user("Describe the attributes of: 'the movie was great'.")),
                new SamplingParams(1.0, null, null, seed), schema);
    }

    @Test
    void writtenFileLoadsAndItsHeaderReads() {
        GgufHeader h = GgufHeader.read(file);
        assertEquals(3, h.version());
        assertEquals("llama", h.architecture());
        assertEquals(4096, h.contextLength());
        assertNull(h.chatTemplate());
        assertEquals("gguf", model.backend());
        assertEquals("tiny-random.gguf", model.model());
        assertEquals(4096, model.contextSize(), "capped by the model's training context");
    }

    /** A context given in the options within the training context is the model's; the floor holds. */
    @Test
    void theContextOfTheOptionsIsTheModels() {
        try (GgufChatModel small = GgufChatModel.open(file, GgufChatModel.Options.defaults().withThreads(2)
                .withContextSize(1000))) {
            assertEquals(1000, small.contextSize());
        }
        GgufContextException e = assertThrows(GgufContextException.class,
                () -> GgufChatModel.Options.defaults().withContextSize(GgufChatModel.MIN_CONTEXT - 1));
        assertEquals("GGUF context 63: at least 64 tokens (the prompt and a reply of at least 16 tokens)",
                e.getMessage());
    }

    /**
     * A context asked for above the model's training context (4096) is refused, naming the
     * value, the file and the training context, before the weights load (shown on a file cut
     * after its header, which llama.cpp cannot load): it was capped silently, so a caller asking
     * for 32,768 tokens got 4,096 and no word. The default (8192) is not a request: capped, as
     * before; a context asked for up to the training context is given.
     */
    @Test
    void aContextAskedForAboveTheTrainingContextIsRefusedBeforeTheWeightsLoad(@TempDir Path d) throws IOException {
        for (int asked : new int[] {4097, 32_768}) {
            GgufContextException e = assertThrows(GgufContextException.class, () -> GgufChatModel.open(file,
                    GgufChatModel.Options.defaults().withThreads(2).withContextSize(asked)));
            assertEquals("GGUF context " + asked + ": above the training context of tiny-random.gguf, 4096 tokens"
                    + " (its GGUF header's llama.context_length); give at most 4096", e.getMessage());
            assertEquals(Integer.valueOf(asked), e.asked());
            assertEquals("above the training context of tiny-random.gguf, 4096 tokens (its GGUF header's"
                    + " llama.context_length); give at most 4096", e.reason());
        }
        Path headerOnly = d.resolve("tiny-random.gguf");
        byte[] whole = Files.readAllBytes(file);
        Files.write(headerOnly, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertEquals(4096, GgufHeader.read(headerOnly).contextLength(), "the header reads");
        assertThrows(ChatModelException.class, () -> GgufChatModel.open(headerOnly,
                GgufChatModel.Options.defaults().withThreads(2)), "the weights do not load");
        GgufContextException early = assertThrows(GgufContextException.class, () -> GgufChatModel.open(headerOnly,
                GgufChatModel.Options.defaults().withThreads(2).withContextSize(4097)));
        assertTrue(early.getMessage().startsWith("GGUF context 4097: above the training context"), early.getMessage());

        assertEquals(4096, GgufChatModel.Options.defaults().contextOf(GgufHeader.read(file), file), "a default is capped");
        assertEquals(4096, GgufChatModel.Options.defaults().withContextSize(4096).contextOf(GgufHeader.read(file), file));
        assertEquals(4096, new GgufChatModel.Options(4096, 2, BOUNDS, GgufChatModel.DEFAULT_CALL_TIMEOUT)
                .contextOf(GgufHeader.read(file), file));
        assertThrows(GgufContextException.class, () -> new GgufChatModel.Options(8192, 2, BOUNDS,
                GgufChatModel.DEFAULT_CALL_TIMEOUT).contextOf(GgufHeader.read(file), file),
                "a context given to the constructor is asked for");
    }

    /** A model trained on fewer tokens than a prompt and its reply need is refused, the default too. */
    @Test
    void aModelTrainedOnTooFewTokensIsRefusedNamingIt(@TempDir Path d) throws IOException {
        TinyGgufWriter.Spec tiny = TinyGgufWriter.Spec.tiny(3);
        Path cramped = TinyGgufWriter.write(d.resolve("cramped.gguf"), new TinyGgufWriter.Spec(tiny.layers(),
                tiny.embd(), tiny.heads(), tiny.ff(), 32, tiny.seed(), null));
        GgufContextException e = assertThrows(GgufContextException.class,
                () -> GgufChatModel.open(cramped, GgufChatModel.Options.defaults().withThreads(2)));
        assertEquals("GGUF model " + cramped.toAbsolutePath().normalize() + ": the model's training context, 32"
                + " tokens, is below the 64 a prompt and its reply need", e.getMessage());
        assertEquals(null, e.asked());
    }

    @Test
    void stageOneRepliesValidateWithinTheGrammarBounds() {
        for (long seed = 1; seed <= 4; seed++) {
            ChatReply r = model.complete(request(Schemas.ATTRIBUTES, seed));
            assertTrue(JsonSchemaValidator.validate(Schemas.ATTRIBUTES.schema(), r.json()).isEmpty(), r.content());
            assertTrue(r.json().size() >= 1 && r.json().size() <= BOUNDS.maxProperties(), r.content());
            for (Iterator<Map.Entry<String, JsonNode>> it = r.json().fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                assertTrue(e.getKey().length() <= BOUNDS.maxKeyChars(), r.content());
                assertWithinBound(e.getValue().textValue(), r.content());
            }
            assertEquals(r.content().strip(), Json.write(r.json()), "compact JSON, nothing around it");
        }
    }

    @Test
    void stageTwoRepliesValidateWithinTheGrammarBounds() {
        for (long seed = 1; seed <= 4; seed++) {
            ChatReply r = model.complete(request(Schemas.SAMPLES, seed));
            assertTrue(JsonSchemaValidator.validate(Schemas.SAMPLES.schema(), r.json()).isEmpty(), r.content());
            JsonNode samples = r.json().path("samples");
            assertTrue(samples.size() >= 1 && samples.size() <= BOUNDS.maxItems(), r.content());
            for (JsonNode s : samples) {
                assertWithinBound(s.path("text").textValue(), r.content());
            }
        }
    }

    /**
     * A string of 1 to maxStringChars grammar characters. A random model may spell invalid UTF-8
     * with byte tokens (llama.cpp's grammar matches decoded code points and does not check
     * continuation bytes); each such byte decodes to U+FFFD, so those count per byte (at most 4
     * per grammar character). A real model's tokens are valid UTF-8.
     */
    private static void assertWithinBound(String v, String reply) {
        assertTrue(!v.isEmpty(), reply);
        long invalid = v.codePoints().filter(c -> c == 0xFFFD).count();
        long valid = v.codePoints().count() - invalid;
        assertTrue(valid + (invalid + 3) / 4 <= BOUNDS.maxStringChars(), "too long: " + v);
    }

    @Test
    void sameSeedSameReplyOtherSeedsDiffer() {
        ChatReply a = model.complete(request(Schemas.SAMPLES, 77));
        ChatReply b = model.complete(request(Schemas.SAMPLES, 77));
        assertEquals(a.content(), b.content());
        Set<String> distinct = new HashSet<>();
        for (long seed = 100; seed < 103; seed++) {
            distinct.add(model.complete(request(Schemas.SAMPLES, seed)).content());
        }
        assertTrue(distinct.size() > 1, "different seeds sample differently: " + distinct);
    }

    @Test
    void aCallPastItsDeadlineIsCancelledAndTheModelServesTheNextCall() {
        try (GgufChatModel slow = GgufChatModel.open(file, GgufChatModel.Options.defaults().withThreads(2)
                .withBounds(BOUNDS).withCallTimeout(java.time.Duration.ofNanos(1)))) {
            for (int i = 0; i < 2; i++) { // a cancelled decoding leaves the slot free for the next call
                ChatTimeoutException e = assertThrows(ChatTimeoutException.class,
                        () -> slow.complete(request(Schemas.SAMPLES, 77)));
                assertEquals(java.time.Duration.ofNanos(1), e.timeout());
                assertTrue(e.getMessage().startsWith("no complete reply from GGUF model tiny-random.gguf within"),
                        e.getMessage());
            }
        }
        // A deadline long enough changes nothing: the streamed decoding is the seeded reply.
        try (GgufChatModel roomy = GgufChatModel.open(file, GgufChatModel.Options.defaults().withThreads(2)
                .withBounds(BOUNDS).withCallTimeout(java.time.Duration.ofMinutes(5)))) {
            assertEquals(model.complete(request(Schemas.SAMPLES, 77)).content(),
                    roomy.complete(request(Schemas.SAMPLES, 77)).content());
        }
    }

    @Test
    void concurrentCallsAreSerialisedAndStillReproducible() {
        List<ChatRequest> reqs = List.of(request(Schemas.ATTRIBUTES, 5), request(Schemas.SAMPLES, 6),
                request(Schemas.ATTRIBUTES, 5), request(Schemas.SAMPLES, 6));
        List<ChatReply> replies = new ConcurrentChatExecutor(model, 4).completeAll(reqs);
        assertEquals(replies.get(0).content(), replies.get(2).content());
        assertEquals(replies.get(1).content(), replies.get(3).content());
        assertEquals(model.complete(reqs.get(1)).content(), replies.get(1).content());
    }

    @Test
    void freeTextHonoursMaxTokens() {
        ChatReply r = model.complete(ChatRequest.of(List.of(ChatMessage.user("hi")),
                new SamplingParams(1.0, null, 5, 3L), null));
        assertNull(r.json());
        assertTrue(r.content().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 5 * 4, r.content());
    }

    @Test
    void journaledGgufCallsReplay(@TempDir Path journalDir) {
        ChatRequest req = request(Schemas.SAMPLES, 9);
        ChatReply first;
        try (CallJournal j = CallJournal.open(journalDir)) {
            first = new ReaskingChatModel(new JournaledChatModel(model, j), 2).complete(req);
            assertEquals(1, j.size());
            assertEquals("gguf", j.lookup(RequestKeys.key("gguf", model.modelIdentity(), req)).backend());
            assertEquals("tiny-random.gguf", j.lookup(RequestKeys.key("gguf", model.modelIdentity(), req)).model());
        }
        try (CallJournal j = CallJournal.open(journalDir)) {
            ChatReply again = new ReaskingChatModel(new JournaledChatModel(model, j), 2).complete(req);
            assertTrue(again.fromJournal());
            assertEquals(first.content(), again.content());
        }
    }

    @Test
    void fallbackPromptFormatWithoutATemplate() {
        String p = model.prompt(List.of(ChatMessage.system("S"), ChatMessage.user("U"), ChatMessage.assistant("A"),
                ChatMessage.user("V")));
        assertEquals("S\n\n### User:\nU\n\n### Assistant:\nA\n\n### User:\nV\n\n### Assistant:\n", p);
    }

    @Test
    void theModelsChatTemplateIsApplied(@TempDir Path d) throws IOException {
        String chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
                + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        Path f = TinyGgufWriter.write(d.resolve("chatml.gguf"),
                new TinyGgufWriter.Spec(1, 32, 2, 64, 1024, 3, chatml));
        try (GgufChatModel m = GgufChatModel.open(f, GgufChatModel.Options.defaults().withThreads(2).withBounds(BOUNDS))) {
            assertNotNull(m.header().chatTemplate());
            String p = m.prompt(List.of(ChatMessage.system("Be brief."), ChatMessage.user("hello")));
            assertTrue(p.contains("<|im_start|>system\nBe brief.<|im_end|>"), p);
            assertTrue(p.contains("<|im_start|>user\nhello<|im_end|>"), p);
            assertTrue(p.endsWith("<|im_start|>assistant\n"), p);
            ChatReply r = m.complete(request(Schemas.ATTRIBUTES, 1));
            assertTrue(JsonSchemaValidator.validate(Schemas.ATTRIBUTES.schema(), r.json()).isEmpty());
        }
    }

    @Test
    void badFilesFailNamingTheFile(@TempDir Path d) throws IOException {
        Path missing = d.resolve("missing.gguf");
        IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
                () -> GgufChatModel.open(missing, GgufChatModel.Options.defaults()));
        assertTrue(e1.getMessage().contains("not found") && e1.getMessage().contains(missing.toString()), e1.getMessage());
        Path text = Files.writeString(d.resolve("model.gguf"), "{\"not\": \"a model\"}");
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> GgufChatModel.open(text, GgufChatModel.Options.defaults()));
        assertTrue(e2.getMessage().contains("not a GGUF") && e2.getMessage().contains(text.toString()), e2.getMessage());
        Path truncated = d.resolve("cut.gguf");
        byte[] whole = Files.readAllBytes(file);
        Files.write(truncated, java.util.Arrays.copyOf(whole, 200));
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
                () -> GgufChatModel.open(truncated, GgufChatModel.Options.defaults()));
        assertTrue(e3.getMessage().contains("truncated") && e3.getMessage().contains(truncated.toString()), e3.getMessage());
        Path empty = Files.write(d.resolve("empty.gguf"), new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> GgufHeader.read(empty));
    }

    @Test
    void seedsFoldToNonNegativeInts() {
        assertEquals(GgufChatModel.DEFAULT_SEED, GgufChatModel.seed(null));
        for (long s : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40}) {
            assertTrue(GgufChatModel.seed(s) >= 0, "seed " + s);
        }
        assertTrue(GgufChatModel.seed(1L) != GgufChatModel.seed(2L));
    }

    /**
     * llama.cpp accepts the grammar of every construct {@link GbnfGrammar} emits (numbers, enums
     * with quotes and backslashes, escaped keys, type lists, nested arrays, maps), and what it
     * decodes under it parses as JSON and validates, whatever the random weights pick.
     */
    @Test
    void everyGrammarConstructIsAcceptedByLlamaCppAndDecodesToValidJson() throws IOException {
        ResponseSchema all = new ResponseSchema("all", Json.MAPPER.readTree("""
                {"type":"object","properties":{
                  "n":{"type":"integer"},"x":{"type":"number"},"b":{"type":"boolean"},
                  "e":{"enum":["say \\"hi\\"","a\\\\b",7,null]},"k\\"q":{"type":["string","null"],"maxLength":3},
                  "m":{"type":"array","items":{"type":"array","items":{"type":"integer"},"maxItems":2},"maxItems":2},
                  "o":{"type":"object","additionalProperties":{"type":"number"},"maxProperties":2}}}
                """), false);
        for (long seed = 1; seed <= 6; seed++) {
            ChatReply r = model.complete(request(all, seed));
            assertTrue(JsonSchemaValidator.validate(all.schema(), r.json()).isEmpty(), r.content());
        }
    }

    @Test
    void aPromptLongerThanTheContextIsAClearErrorAndAClosedModelRefuses(@TempDir Path d) throws IOException {
        Path f = TinyGgufWriter.write(d.resolve("short.gguf"), new TinyGgufWriter.Spec(1, 32, 2, 64, 128, 5, null));
        GgufChatModel m = GgufChatModel.open(f, GgufChatModel.Options.defaults().withThreads(2).withBounds(BOUNDS));
        try {
            assertEquals(128, m.contextSize());
            ChatRequest tooLong = ChatRequest.of(List.of(ChatMessage.user("word ".repeat(400))),
                    new SamplingParams(1.0, null, null, 1L), Schemas.ATTRIBUTES);
            ChatModelException e = assertThrows(ChatModelException.class, () -> m.complete(tooLong));
            assertTrue(!(e instanceof InvalidReplyException) && e.getMessage().contains("does not fit the context of 128"),
                    e.getMessage());
            ChatReply ok = m.complete(ChatRequest.of(List.of(ChatMessage.user("hi")),
                    new SamplingParams(1.0, null, null, 1L), Schemas.ATTRIBUTES));
            assertTrue(JsonSchemaValidator.validate(Schemas.ATTRIBUTES.schema(), ok.json()).isEmpty(), ok.content());
        } finally {
            m.close();
        }
        m.close();
        ChatModelException closed = assertThrows(ChatModelException.class, () -> m.complete(request(Schemas.SAMPLES, 1)));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }

    /**
     * A call waiting for the model (llama.cpp runs one call at a time) leaves when its thread is
     * interrupted, as a cancelled batch does: otherwise every queued call still runs its whole
     * generation after a failure, and close() waits behind all of them.
     */
    @Test
    void aQueuedCallLeavesWhenInterrupted() throws Exception {
        java.lang.reflect.Field f = GgufChatModel.class.getDeclaredField("lock");
        f.setAccessible(true);
        java.util.concurrent.locks.ReentrantLock lock = (java.util.concurrent.locks.ReentrantLock) f.get(model);
        ChatRequest longCall = ChatRequest.of(List.of(ChatMessage.user("go on")),
                new SamplingParams(1.0, null, 3000, 4L), null);
        java.util.concurrent.atomic.AtomicReference<Object> queued = new java.util.concurrent.atomic.AtomicReference<>();
        for (int tries = 0; tries < 20 && queued.get() == null; tries++) {
            Thread running = new Thread(() -> model.complete(longCall));
            running.start();
            while (!lock.isLocked() && running.isAlive()) {
                Thread.onSpinWait();
            }
            Thread waiting = new Thread(() -> {
                try {
                    queued.set(model.complete(request(Schemas.SAMPLES, 1)));
                } catch (ChatModelException | java.util.concurrent.CancellationException e) {
                    queued.set(e);
                }
            });
            waiting.start();
            while (!lock.hasQueuedThread(waiting) && running.isAlive()) {
                Thread.onSpinWait();
            }
            if (!lock.hasQueuedThread(waiting)) { // the long call ended first: try again
                waiting.join();
                queued.set(null);
                running.join();
                continue;
            }
            waiting.interrupt();
            waiting.join();
            running.join();
        }
        // The library's cancellation contract, not a failed request.
        assertTrue(queued.get() instanceof java.util.concurrent.CancellationException e
                && e.getMessage().startsWith("waiting for GGUF model ") && e.getMessage().contains("interrupted"),
                String.valueOf(queued.get()));
    }

    /**
     * Another model file with the same name (other weights) must not replay the first one's
     * journaled replies: the journal key's model pins the weights, not just the file name.
     */
    @Test
    void aSameNamedFileWithOtherWeightsMissesTheJournal(@TempDir Path d, @TempDir Path journalDir) throws IOException {
        Path other = TinyGgufWriter.write(Files.createDirectories(d.resolve("other")).resolve("tiny-random.gguf"),
                TinyGgufWriter.Spec.tiny(12));
        assertEquals(Files.size(file), Files.size(other), "same name, same size, other weights");
        ChatRequest req = request(Schemas.SAMPLES, 21);
        try (CallJournal j = CallJournal.open(journalDir);
                GgufChatModel m2 = GgufChatModel.open(other, GgufChatModel.Options.defaults().withThreads(2)
                        .withBounds(BOUNDS))) {
            assertEquals(model.model(), m2.model());
            new JournaledChatModel(model, j).complete(req);
            ChatReply second = new ReaskingChatModel(new JournaledChatModel(m2, j), 2).complete(req);
            assertTrue(!second.fromJournal(), "the other model's reply was replayed");
            assertEquals(2, j.size());
            assertTrue(!model.modelIdentity().equals(m2.modelIdentity()), m2.modelIdentity());
        }
        assertEquals(model.modelIdentity(), GgufChatModel.fingerprint(file).isEmpty() ? "" : "tiny-random.gguf@"
                + GgufChatModel.fingerprint(file), "the same file, the same identity");
    }
}
