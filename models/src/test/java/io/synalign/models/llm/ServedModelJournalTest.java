package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal key's model against what the server serves ({@link ServedModel}): an honest
 * server keeps the keys journals were written with; a llama.cpp server (one model, listed under
 * its file path, whatever name is asked for) is keyed by its model and weights, so a server
 * restarted with other weights misses the journal and one restarted with the same weights
 * replays it.
 */
class ServedModelJournalTest {

    private static final String MODEL = "fake-model";
    private static final String LLAMA_PATH = "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf";

    @TempDir
    Path dir;

    private static OpenAiCompatibleChatModel client(FakeOpenAiServer server) {
        return OpenAiCompatibleChatModel.builder(server.baseUrl(), MODEL)
                .requestTimeout(Duration.ofSeconds(5)).sleeper(new RecordingSleeper()).build();
    }

    /** A free-text request: its key's canonical form is short enough to write out by hand. */
    private static ChatRequest hello() {
        return ChatRequest.of(List.of(ChatMessage.user("hello")), SamplingParams.DEFAULTS, null);
    }

    /**
     * The key of {@link #hello} as journals were keyed before servers were asked anything:
     * SHA-256 of the canonical JSON written out here, independently of {@link RequestKeys}.
     */
    private static String oldHelloKey() throws Exception {
        String canonical = "{\"attempt\":0,\"backend\":\"openai-compatible\",\"messages\":[{\"content\":\"hello\","
                + "\"role\":\"user\"}],\"model\":\"" + MODEL + "\",\"sampling\":{},\"schema\":null,\"v\":1}";
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(canonical.getBytes(StandardCharsets.UTF_8)));
    }

    /** Runs {@code request} through a journal in {@code journalDir}; the key it was stored under. */
    private static String journaledKey(ChatModel model, Path journalDir, ChatRequest request) {
        try (CallJournal j = CallJournal.open(journalDir)) {
            new JournaledChatModel(model, j).complete(request);
            String key = RequestKeys.key(model.backend(), model.modelIdentity(), request);
            assertNotNull(j.lookup(key), "the entry is stored under the model's identity");
            return key;
        }
    }

    /**
     * A served-models.json of a newer format ("v" larger than this build writes) is refused at
     * open, naming it, and left as it was: read as this build's, its identities could key
     * another model's replies, and a rewrite would drop what the newer build recorded. One
     * without "v" reads as format 1.
     */
    @Test
    void aServedRecordOfANewerFormatRefusesTheOpenAndIsLeftAsItWas() throws Exception {
        Path served = dir.resolve(CallJournal.SERVED_FILE);
        String newer = "{\"v\": 2, \"served\": [{\"backend\": \"openai-compatible\", \"model\": \"m\","
                + " \"server\": \"http://127.0.0.1:1/v1\", \"identity\": \"x\"}]}\n";
        Files.writeString(served, newer);
        JournalException e = assertThrows(JournalException.class, () -> CallJournal.open(dir));
        assertEquals(served.toAbsolutePath().normalize() + ": written by a newer SynAlign (format 2;"
                + " this build reads format 1): use that build or a newer one", e.getMessage());
        assertEquals(newer, Files.readString(served));
        assertFalse(Files.exists(dir.resolve(CallJournal.FILE)), "nothing created");

        Files.writeString(served, newer.replace("\"v\": 2, ", ""));
        try (CallJournal j = CallJournal.open(dir)) {
            assertEquals(0, j.size(), "no format: format 1, read");
        }
    }

    @Test
    void aServerListingTheRequestedModelKeepsTodaysKey() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(null)
                .modelList(FakeOpenAiServer.modelListOf("gpt-4o", MODEL, "text-embedding-3-small"))) {
            OpenAiCompatibleChatModel m = client(server);
            String key = journaledKey(m, dir, hello());
            assertEquals(oldHelloKey(), key);
            assertEquals(RequestKeys.key("openai-compatible", MODEL, hello()), key);
            assertEquals(ServedModel.Kind.LISTED, m.servedModel().kind());
            assertEquals(1, server.modelListings.get(), "the server is asked once");
        }
    }

    @Test
    void aServerWithoutAModelListKeepsTodaysKey() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(null)) { // GET /v1/models: 404
            OpenAiCompatibleChatModel m = client(server);
            assertEquals(oldHelloKey(), journaledKey(m, dir, hello()));
            assertEquals(ServedModel.Kind.UNKNOWN, m.servedModel().kind());
            assertTrue(m.servedModel().note(server.baseUrl()).contains("HTTP 404"), m.servedModel().toString());
            assertEquals(1, server.modelListings.get());
        }
    }

    @Test
    void aModelListThatIsNotJsonOrComesTooLateKeepsTodaysKey() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList("<html>models</html>")) {
            assertEquals(oldHelloKey(), journaledKey(client(server), dir.resolve("html"), hello()));
        }
        try (FakeOpenAiServer server = new FakeOpenAiServer(null)
                .modelList(FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, 4912898304L))
                .modelListDelayMillis(30_000)) {
            OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.baseUrl(), MODEL)
                    .requestTimeout(Duration.ofMillis(300)).build();
            assertEquals(MODEL, m.modelIdentity(), "the listing was not waited for past the request timeout");
            assertTrue(m.servedModel().reason().startsWith("no reply within"), m.servedModel().toString());
        }
    }

    @Test
    void aLlamaCppServerIsKeyedByTheModelItServes() throws Exception {
        String llama = FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, 4912898304L);
        String key;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(llama)) {
            OpenAiCompatibleChatModel m = client(server);
            key = journaledKey(m, dir, hello());
            assertNotEquals(oldHelloKey(), key, "the requested name does not pin what a llama.cpp server serves");
            ServedModel served = m.servedModel();
            assertEquals(ServedModel.Kind.OTHER, served.kind());
            assertEquals(LLAMA_PATH, served.servedId());
            assertEquals(8030261312L, served.weights().get("n_params"));
            assertEquals("the server at " + server.baseUrl() + " serves '" + LLAMA_PATH + "', not the requested '"
                    + MODEL + "'; journal entries are keyed by '" + LLAMA_PATH + "' and its n_ctx_train, n_embd,"
                    + " n_params, n_vocab, size, vocab_type", served.note(server.baseUrl()));
            assertEquals(1, server.requests.get());
        }
        // Restarted with the same weights (a new process: new port, new "created" time): it replays.
        try (FakeOpenAiServer restarted = new FakeOpenAiServer(null).modelList(
                FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, 4912898304L))) {
            assertEquals(key, journaledKey(client(restarted), dir, hello()));
            assertEquals(0, restarted.requests.get(), "the journal answered");
        }
        // Restarted with other weights behind the same path (a re-quantised file): asked anew.
        try (FakeOpenAiServer other = new FakeOpenAiServer(null).modelList(
                FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, 8540770304L))) {
            assertNotEquals(key, journaledKey(client(other), dir, hello()));
            assertEquals(1, other.requests.get(), "the other weights were asked, not replayed");
        }
    }

    @Test
    void twoLlamaCppServersWithOtherWeightsGetOtherKeys() {
        List<String> identities = new ArrayList<>();
        for (String listing : List.of(
                FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, 4912898304L),
                FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 7241732096L, 4368439296L),
                FakeOpenAiServer.llamaCppModelList("../models/qwen2.5-7b-instruct-q4_k_m.gguf", 8030261312L,
                        4912898304L),
                // a server that sends no meta at all: the id alone
                "{\"object\":\"list\",\"data\":[{\"id\":\"" + LLAMA_PATH + "\",\"object\":\"model\"}]}")) {
            identities.add(ServedModel.fromListing(MODEL, listing).identity());
        }
        assertEquals(4, identities.stream().distinct().count(), identities.toString());
        assertFalse(identities.contains(MODEL));
    }

    @Test
    void aListingWhoseMetaIsNullIsALoadingServerNotAnIdentity() {
        // llama.cpp's /models answers while the server loads, with "meta": null until it is ready.
        ServedModel loading = ServedModel.fromListing(MODEL, FakeOpenAiServer.llamaCppLoadingList(LLAMA_PATH));
        assertEquals(ServedModel.Kind.LOADING, loading.kind());
        assertFalse(loading.said());
        assertEquals(MODEL, loading.identity(), "not keyed by a state no later run sees");
        assertEquals(LLAMA_PATH, loading.servedId());
    }

    @Test
    void onlyTheWeightFieldsOfTheListingCount() {
        String a = "{\"data\":[{\"id\":\"m.gguf\",\"created\":1,\"owned_by\":\"llamacpp\",\"meta\":{\"n_params\":7,"
                + "\"size\":9,\"n_ctx\":4096}}]}";
        String b = "{\"data\":[{\"id\":\"m.gguf\",\"created\":2,\"owned_by\":\"someone\",\"meta\":{\"size\":9,"
                + "\"n_params\":7,\"n_ctx\":8192}}]}";
        ServedModel sa = ServedModel.fromListing(MODEL, a);
        assertEquals(sa.identity(), ServedModel.fromListing(MODEL, b).identity());
        assertEquals("{\"served\":\"m.gguf\",\"weights\":{\"n_params\":7,\"size\":9}}", sa.identity());
    }

    @Test
    void listingsThatNameTheRequestedModelOrSeveralOthersKeepTheName() {
        // Ollama lists an untagged pull as NAME:latest and answers NAME with it.
        assertEquals(ServedModel.Kind.LISTED, ServedModel.fromListing("llama3", FakeOpenAiServer.modelListOf(
                "llama3:latest")).kind());
        // Several models, none of them the one asked for: the server picks by name (or refuses it).
        ServedModel several = ServedModel.fromListing(MODEL, FakeOpenAiServer.modelListOf("a", "b"));
        assertEquals(ServedModel.Kind.UNKNOWN, several.kind());
        assertEquals(MODEL, several.identity());
        assertEquals(MODEL, ServedModel.fromListing(MODEL, "{\"object\":\"list\",\"data\":[]}").identity());
        assertEquals(MODEL, ServedModel.fromListing(MODEL, "{\"data\":{\"id\":\"x\"}}").identity());
        assertEquals(MODEL, ServedModel.fromListing(MODEL, "[1, 2]").identity());
    }

    @Test
    void theServerIsAskedOnceWithTheKeyAndOnlyWhenJournaled() throws Exception {
        String key = "sk-models-" + Long.toHexString(System.nanoTime()) + "-zq";
        try (FakeOpenAiServer server = new FakeOpenAiServer(key)
                .modelList(FakeOpenAiServer.llamaCppModelList(LLAMA_PATH + "?" + key, 1, 2))) {
            OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.baseUrl(), MODEL)
                    .apiKeyEnv("K").environment(Map.of("K", key)::get).sleeper(new RecordingSleeper()).build();
            m.complete(hello());
            assertEquals(0, server.modelListings.get(), "no journal, no question");
            List<ChatRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                reqs.add(ChatRequest.of(List.of(ChatMessage.user("hello " + i)), SamplingParams.DEFAULTS, null));
            }
            java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
            java.io.PrintStream stderr = System.err;
            // slf4j-simple writes to the current System.err on each call.
            System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
            try (CallJournal j = CallJournal.open(dir)) {
                new ConcurrentChatExecutor(new JournaledChatModel(m, j), 8).completeAll(reqs);
                new JournaledChatModel(m, j).complete(hello());
            } finally {
                System.setErr(stderr);
            }
            String logs = captured.toString(StandardCharsets.UTF_8);
            stderr.print(logs);
            assertEquals(1, logs.split("not the requested '" + MODEL + "'", -1).length - 1, "said once: " + logs);
            assertFalse(logs.contains(key), "key in the logs");
            assertEquals(1, server.modelListings.get(), "asked once for the whole run");
            assertEquals(List.of("Bearer " + key), server.modelListingAuthorizations);
            ServedModel served = m.servedModel();
            // A server echoing the key in its listing: masked before any note, identity or file.
            assertFalse(served.note(server.baseUrl()).contains(key), served.note(server.baseUrl()));
            assertFalse(served.identity().contains(key));
            assertFalse(Files.readString(dir.resolve(CallJournal.FILE)).contains(key));
        }
    }

    @Test
    void aRefusedListingDoesNotEchoTheKey() throws Exception {
        String key = "sk-refused-" + Long.toHexString(System.nanoTime()) + "-zq";
        try (FakeOpenAiServer server = new FakeOpenAiServer(key)
                .modelList(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + key + "\"}}")) {
            OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.baseUrl(), MODEL)
                    .apiKeyEnv("K").environment(Map.of("K", key)::get).build();
            assertEquals(MODEL, m.modelIdentity());
            assertFalse(m.servedModel().note(server.baseUrl()).contains(key));
            assertNull(m.servedModel().servedId());
        }
    }

    @Test
    void aServersIdIsQuotedOnOneLine() {
        ServedModel s = ServedModel.fromListing(MODEL,
                "{\"data\":[{\"id\":\"evil\\u001b[31m\\nsynalign: forged\\u202e\"}]}");
        String note = s.note("http://h/v1");
        assertFalse(note.contains("\n") || note.contains("\u001b") || note.contains("\u202e"), note);
        assertTrue(s.identity().contains("\\n"), "the key keeps the id as the server gave it");
    }

    @Test
    void anIdentityReadsBackAsTheServedModelOnlyWhenItIsOne() {
        ServedModel listed = ServedModel.fromListing(MODEL, FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L,
                4912898304L));
        ServedModel back = ServedModel.fromIdentity(MODEL, listed.identity());
        assertEquals(listed, back);
        ServedModel idOnly = ServedModel.fromListing(MODEL, "{\"data\":[{\"id\":\"evil\\n\\\"x\"}]}");
        assertEquals(idOnly, ServedModel.fromIdentity(MODEL, idOnly.identity()), "no meta, odd characters");
        assertNull(ServedModel.fromIdentity(MODEL, MODEL), "a name");
        assertNull(ServedModel.fromIdentity(MODEL, "{\"served\":\"x\",\"weights\":{}, \"y\":1}"));
        assertNull(ServedModel.fromIdentity(MODEL, "{\"weights\":{},\"served\":\"x\"}"),
                "not the identity a listing gives (field order): it did not key anything as such");
        assertNull(ServedModel.fromIdentity(MODEL, "{\"served\":\"x\",\"weights\":{\"size\":1.5}}"));
        assertNull(ServedModel.fromIdentity(MODEL, "{\"served\":\"x\""));
    }
}
