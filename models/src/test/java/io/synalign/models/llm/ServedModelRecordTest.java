package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's record of what a server served ({@link CallJournal#SERVED_FILE},
 * {@link CallJournal#identityFor}): a llama.cpp run is keyed by the model the server states,
 * so a rerun that cannot reach it (the server stopped) must key by the recorded identity to
 * replay, while a live server that does not say (an error status, still loading) is keyed by the
 * name, since it may serve other weights now; a server that states other weights replaces the record; an honest
 * server, keyed by the name, needs none.
 */
class ServedModelRecordTest {

    private static final String MODEL = "fake-model";
    private static final String LLAMA_PATH = "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf";
    private static final String WEIGHTS_A = FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, 4912898304L);

    @TempDir
    Path dir;

    private static OpenAiCompatibleChatModel client(String baseUrl) {
        return OpenAiCompatibleChatModel.builder(baseUrl, MODEL)
                .requestTimeout(Duration.ofSeconds(5)).sleeper(new RecordingSleeper()).build();
    }

    private static ChatRequest hello() {
        return ChatRequest.of(List.of(ChatMessage.user("hello")), SamplingParams.DEFAULTS, null);
    }

    /** One journaled call of {@link #hello} through {@code model}; the reply and the key's model. */
    private record Run(ChatReply reply, String identity) {
    }

    private Run run(ChatModel model) {
        try (CallJournal j = CallJournal.open(dir)) {
            JournaledChatModel journaled = new JournaledChatModel(model, j);
            return new Run(journaled.complete(hello()), journaled.modelIdentity());
        }
    }

    private static int portOf(String baseUrl) {
        return java.net.URI.create(baseUrl).getPort();
    }

    private String record() throws Exception {
        return Files.readString(dir.resolve(CallJournal.SERVED_FILE));
    }

    @Test
    void aFinishedLlamaCppRunReplaysWithTheServerStopped() throws Exception {
        String base;
        Run first;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            base = server.baseUrl();
            first = run(client(base));
            assertEquals(1, server.requests.get());
        }
        // The same command with the server stopped: GET /models cannot connect.
        Run again = run(client(base));
        assertEquals(first.identity(), again.identity(), "keyed by what the server served, as recorded");
        assertEquals(first.reply().content(), again.reply().content());
        assertTrue(again.reply().fromJournal());
        assertEquals(0, again.reply().httpAttempts(), "no request sent");
    }

    @Test
    void theRecordThatKeyedARunIsThereForItsProvenance() throws Exception {
        String base;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            base = server.baseUrl();
            try (CallJournal j = CallJournal.open(dir)) {
                OpenAiCompatibleChatModel m = client(base);
                new JournaledChatModel(m, j).complete(hello());
                assertNull(j.recordedIdentityInUse(m.backend(), MODEL, base), "the server said: no record in use");
            }
        }
        OpenAiCompatibleChatModel stopped = client(base);
        try (CallJournal j = CallJournal.open(dir)) {
            JournaledChatModel journaled = new JournaledChatModel(stopped, j);
            String recorded = j.recordedIdentityInUse(stopped.backend(), MODEL, base);
            assertEquals(journaled.modelIdentity(), recorded, "the record keyed this run");
            ServedModel served = ServedModel.fromIdentity(MODEL, recorded);
            assertEquals(LLAMA_PATH, served.servedId());
            assertEquals(4912898304L, served.weights().get("size"));
            assertEquals(6, served.weights().size(), served.toString());
            assertEquals(recorded, served.identity());
        }
    }

    @Test
    void aRecordIsFoundUnderAnotherSpellingOfItsServersUrl() throws Exception {
        int port;
        Run first;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            port = server.port();
            // localhost resolves here through the hosts file; the record resolves no name.
            first = run(client("http://LocalHost:" + port + "/v1/"));
        }
        Run again = run(client("http://localhost:" + port + "/v1")); // stopped: only the record can key it
        assertEquals(first.identity(), again.identity());
        assertTrue(again.reply().fromJournal(), "replayed, nothing sent");
        assertTrue(record().contains("\"server\":\"http://localhost:" + port + "/v1\""), record());
    }

    /**
     * A record written before servers were compared in canonical form, under a spelling the run
     * does not use (host in capitals, the scheme's default port): still found, and the keys it
     * gives are the keys written out by hand (SHA-256 of the canonical request, independently of
     * {@link RequestKeys}): no URL is in a key, and URLs already canonical are recorded as they
     * always were.
     */
    @Test
    void aRecordWrittenUnderAnotherSpellingIsFoundAndGivesTheKeysItGave() throws Exception {
        String identity = "{\"served\":\"" + LLAMA_PATH + "\",\"weights\":{\"n_ctx_train\":131072,"
                + "\"n_embd\":4096,\"n_params\":8030261312,\"n_vocab\":128256,\"size\":4912898304,"
                + "\"vocab_type\":2}}";
        String canonicalRequest = "{\"attempt\":0,\"backend\":\"openai-compatible\",\"messages\":"
                + "[{\"content\":\"hello\",\"role\":\"user\"}],\"model\":\""
                + identity.replace("\"", "\\\"") + "\",\"sampling\":{},\"schema\":null,\"v\":1}";
        String handKey = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(canonicalRequest.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        int port;
        String recordText;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            port = server.port();
            try (CallJournal j = CallJournal.open(dir)) {
                JournaledChatModel journaled = new JournaledChatModel(client(server.baseUrl()), j);
                journaled.complete(hello());
                assertEquals(identity, journaled.modelIdentity());
                assertTrue(j.lookup(handKey) != null, "stored under the key written out by hand");
            }
            recordText = record();
            assertEquals("{\"v\":1,\"served\":[{\"backend\":\"openai-compatible\",\"model\":\"" + MODEL
                    + "\",\"server\":\"http://127.0.0.1:" + port + "/v1\",\"identity\":"
                    + "\"" + identity.replace("\"", "\\\"") + "\"}]}\n", recordText,
                    "a canonical URL recorded as written");
        }
        Files.writeString(dir.resolve(CallJournal.SERVED_FILE), recordText.replace("http://127.0.0.1:" + port,
                "http://LOCALHOST:" + port));
        Run again = run(client("http://localhost:" + port + "/v1"));
        assertEquals(identity, again.identity(), "the old record found");
        assertTrue(again.reply().fromJournal());
        assertEquals(0, again.reply().httpAttempts());
    }

    @Test
    void aLiveServerWhoseListingFailsIsKeyedByTheNameNotTheRecord() throws Exception {
        String base;
        Run first;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            base = server.baseUrl();
            first = run(client(base));
        }
        assertNotEquals(MODEL, first.identity());
        // Restarted at the same base URL with its /models route failing (500): the server is up
        // and may serve other weights now, so the record does not stand in (a review: keyed by
        // it, new weights' replies were stored under the old weights' keys); the name misses.
        try (FakeOpenAiServer server = FakeOpenAiServer.onPort(portOf(base)).modelList(500, "{\"error\":\"boom\"}")) {
            Run again = run(client(server.baseUrl()));
            assertEquals(MODEL, again.identity());
            assertEquals(1, server.modelListings.get());
            assertEquals(1, server.requests.get(), "asked, not replayed from the old weights");
        }
    }

    @Test
    void otherWeightsGiveANewIdentityAndReplaceTheRecord() throws Exception {
        String base;
        Run a;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            base = server.baseUrl();
            a = run(client(base));
        }
        String recordA = record();
        assertTrue(recordA.contains(a.identity().replace("\"", "\\\"")), recordA);
        Run b;
        try (FakeOpenAiServer server = FakeOpenAiServer.onPort(portOf(base)).modelList(
                FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, 8540770304L))) {
            b = run(client(base));
            assertNotEquals(a.identity(), b.identity(), "the listing, when it answers, wins over the record");
            assertEquals(1, server.requests.get(), "the other weights were asked");
        }
        String recordB = record();
        assertTrue(recordB.contains(b.identity().replace("\"", "\\\"")), recordB);
        assertFalse(recordB.contains("4912898304"), "replaced, not added: " + recordB);
        assertEquals(b.identity(), run(client(base)).identity(), "offline: the last weights served");
    }

    @Test
    void anHonestServerKeepsItsKeysAndLeavesNoRecord() throws Exception {
        String base;
        Run first;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(
                FakeOpenAiServer.modelListOf("gpt-4o", MODEL))) {
            base = server.baseUrl();
            first = run(client(base));
            assertEquals(MODEL, first.identity());
        }
        assertFalse(Files.exists(dir.resolve(CallJournal.SERVED_FILE)));
        Run again = run(client(base)); // stopped: the name, as it always was
        assertEquals(MODEL, again.identity());
        assertTrue(again.reply().fromJournal());
    }

    @Test
    void aServerStillLoadingIsAskedAgainUntilItsWeightsShow() throws Exception {
        String after;
        try (FakeOpenAiServer loaded = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            after = client(loaded.baseUrl()).modelIdentity();
        }
        try (FakeOpenAiServer server = new FakeOpenAiServer(null)
                .modelList(WEIGHTS_A).modelListFirst(2, FakeOpenAiServer.llamaCppLoadingList(LLAMA_PATH))) {
            RecordingSleeper sleeper = new RecordingSleeper();
            OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.baseUrl(), MODEL)
                    .sleeper(sleeper).build();
            assertEquals(after, m.modelIdentity(), "keyed as a run after the loading is");
            assertEquals(ServedModel.Kind.OTHER, m.servedModel().kind());
            assertEquals(3, server.modelListings.get());
            assertEquals(2, sleeper.sleeps.size(), "backed off between the askings");
        }
    }

    @Test
    void aServerThatStaysLoadingIsKeyedByTheName() throws Exception {
        String loading = FakeOpenAiServer.llamaCppLoadingList(LLAMA_PATH);
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(loading)) {
            OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.baseUrl(), MODEL)
                    .retryPolicy(RetryPolicy.DEFAULT.withMaxAttempts(3)).sleeper(new RecordingSleeper()).build();
            assertEquals(MODEL, m.modelIdentity(), "no record: the name, not the loading state");
            assertEquals(ServedModel.Kind.LOADING, m.servedModel().kind());
            assertEquals(3, server.modelListings.get(), "within the retry budget");
            assertTrue(m.servedModel().note(server.baseUrl()).contains("still loading"));
        }
        String base;
        Run first;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            base = server.baseUrl();
            first = run(client(base));
        }
        try (FakeOpenAiServer server = FakeOpenAiServer.onPort(portOf(base)).modelList(loading)) {
            OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(base, MODEL)
                    .retryPolicy(RetryPolicy.DEFAULT.withMaxAttempts(2)).sleeper(new RecordingSleeper()).build();
            Run again = run(m);
            assertEquals(MODEL, again.identity(), "the name: not the loading state, nor the"
                    + " record of weights the server may no longer load");
            assertEquals(1, server.requests.get());
        }
    }

    @Test
    void theRecordHoldsNoKey() throws Exception {
        String key = "sk-record-" + Long.toHexString(System.nanoTime()) + "-zq";
        try (FakeOpenAiServer server = new FakeOpenAiServer(key)
                .modelList(FakeOpenAiServer.llamaCppModelList(LLAMA_PATH + "?" + key, 1, 2))) {
            OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.baseUrl(), MODEL)
                    .apiKeyEnv("K").environment(Map.of("K", key)::get).sleeper(new RecordingSleeper()).build();
            run(m);
            String record = record();
            assertTrue(record.contains(server.baseUrl()) && record.contains(MODEL), record);
            assertFalse(record.contains(key), record);
        }
    }

    @Test
    void aRunThatCompletesNothingLeavesTheDirectoryAsItWas() throws Exception {
        Path fresh = dir.resolve("fresh");
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A);
                CallJournal j = CallJournal.open(fresh)) {
            new JournaledChatModel(client(server.baseUrl()), j);
        }
        assertFalse(Files.exists(fresh));
    }

    /**
     * Records written by a version that told URL spellings apart may name one server twice. Two
     * that agree stand in as one; two that disagree stand in for neither (the file's order does
     * not say which is newer: the old version replaced a record in place), so the run keys by
     * the name and asks the server rather than replay another model's replies (a review: the
     * later record in the file silently won).
     */
    @Test
    void recordsOfOneServerUnderTwoSpellingsThatDisagreeStandInForNeither() throws Exception {
        int port;
        String recordText;
        Run first;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            port = server.port();
            first = run(client(server.baseUrl()));
            recordText = record();
        }
        String written = "http://127.0.0.1:" + port;
        String upper = recordText.replace(written, "http://LOCALHOST:" + port);
        String lower = recordText.replace(written, "http://localhost:" + port);
        String lowerRecord = lower.substring(lower.indexOf("[") + 1, lower.lastIndexOf("]"));
        String otherWeights = lowerRecord.replace("4912898304", "4912898305");
        String base = "http://localhost:" + port + "/v1";

        // Two spellings, one identity: the record stands in, the finished run replays.
        Files.writeString(dir.resolve(CallJournal.SERVED_FILE),
                upper.replace("}]}", "}," + lowerRecord + "]}"));
        Run agreeing = run(client(base));
        assertEquals(first.identity(), agreeing.identity());
        assertTrue(agreeing.reply().fromJournal());

        // Two spellings, two identities (in either order): neither; keyed by the name, the
        // stopped server is asked and cannot answer.
        for (String clash : List.of(upper.replace("}]}", "}," + otherWeights + "]}"),
                "{\"v\":1,\"served\":[" + otherWeights + ","
                        + upper.substring(upper.indexOf("[") + 1))) {
            Files.writeString(dir.resolve(CallJournal.SERVED_FILE), clash);
            try (CallJournal j = CallJournal.open(dir)) {
                OpenAiCompatibleChatModel stopped = client(base);
                JournaledChatModel journaled = new JournaledChatModel(stopped, j);
                assertEquals(MODEL, journaled.modelIdentity(), clash);
                assertNull(j.recordedIdentityInUse(stopped.backend(), MODEL, base));
                assertThrows(ChatConnectException.class, () -> journaled.complete(hello()));
            }
        }
    }
}

