/**
 * The LLM side of SynAlign's generation pipeline ("Few-shot LLM Synthetic Data with Distribution
 * Matching", WWW 2025): stage 1 asks an LLM for the latent attributes of a group of real
 * demonstrations ({@link io.synalign.models.llm.Schemas#ATTRIBUTES}), stage 2 for new examples
 * carrying them ({@link io.synalign.models.llm.Schemas#SAMPLES}). Runs make tens of thousands
 * of calls to slow, flaky, paid APIs, so this package is about never losing or repeating work.
 *
 * <ul>
 *   <li>{@link io.synalign.models.llm.ChatModel}, {@link io.synalign.models.llm.ChatRequest},
 *       {@link io.synalign.models.llm.ChatReply}: the contract.</li>
 *   <li>{@link io.synalign.models.llm.OpenAiCompatibleChatModel}: {@code POST /chat/completions}
 *       (OpenAI, vLLM, llama.cpp, Ollama, TGI) with structured output, client-side schema
 *       validation and re-asks, full-jitter retries honouring {@code Retry-After}
 *       ({@link io.synalign.models.llm.RetryPolicy}), API key from a named environment variable
 *       ({@link io.synalign.models.llm.ApiKey}, masked everywhere).</li>
 *   <li>{@link io.synalign.models.llm.GgufChatModel}: a local GGUF model run in-process by
 *       llama.cpp, decoding constrained by a bounded grammar derived from the schema
 *       ({@link io.synalign.models.llm.GbnfGrammar}), seeded; {@link io.synalign.models.llm.GgufHeader}
 *       checks the file first.</li>
 *   <li>{@link io.synalign.models.llm.ReaskingChatModel}: bounded re-asks of replies that do not
 *       validate, around a journaled single-ask model so that every re-ask is journaled.</li>
 *   <li>{@link io.synalign.models.llm.AdaptiveConcurrencyLimiter} (AIMD) and
 *       {@link io.synalign.models.llm.ConcurrentChatExecutor}: bounded, adaptive parallelism,
 *       results in submission order.</li>
 *   <li>{@link io.synalign.models.llm.CallJournal} and
 *       {@link io.synalign.models.llm.JournaledChatModel}: an fsynced JSONL log of completed
 *       calls keyed by {@link io.synalign.models.llm.RequestKeys}; a resumed run replays them
 *       instead of paying again. The key's model is what the server serves
 *       ({@link io.synalign.models.llm.ServedModel}, asked once when the journal is put in front
 *       of an OpenAI-compatible client): the requested name, unless a llama.cpp server serves
 *       another model whatever the name. The journal records what a server stated, and keys by
 *       the record when the server cannot say ({@link io.synalign.models.llm.ModelIdentity}),
 *       so a finished run replays with the server stopped.</li>
 * </ul>
 *
 * <p>Typical wiring:
 * <pre>{@code
 * AdaptiveConcurrencyLimiter limiter = new AdaptiveConcurrencyLimiter(concurrency);
 * ChatModel client = OpenAiCompatibleChatModel.builder(baseUrl, model).maxReasks(0)
 *         .apiKeyEnv(apiKeyEnv).requestTimeout(Durations.parse(timeout)).limiter(limiter).build();
 * // or: GgufChatModel client = GgufChatModel.open(Path.of("model.gguf"), GgufChatModel.Options.defaults());
 * try (CallJournal journal = CallJournal.open(runDir.resolve("llm-journal"))) {
 *     ChatModel model = new ReaskingChatModel(new JournaledChatModel(client, journal), 2);
 *     List<ChatOutcome> outcomes = new ConcurrentChatExecutor(model, limiter).runAll(requests);
 * }
 * }</pre>
 */
package io.synalign.models.llm;
