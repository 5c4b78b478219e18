package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.kernels.Cancellation;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ChatModel} over the OpenAI chat-completions protocol
 * ({@code POST {baseUrl}/chat/completions}), which OpenAI, vLLM, llama.cpp's server, Ollama and
 * TGI all speak.
 *
 * <p>Per call:
 * <ol>
 *   <li>the request is sent with a per-request timeout; on 429, 408, 5xx, timeouts and
 *       connection failures it is retried with full-jitter exponential backoff
 *       ({@link RetryPolicy}), waiting at least the server's {@code Retry-After}, until the
 *       retry budget ({@link RetryPolicy#maxAttempts()}) is spent; any other 4xx throws a
 *       {@link ChatHttpException} carrying the server's message, without retrying;</li>
 *   <li>with a {@link ResponseSchema}, the schema is sent as {@code response_format} and the
 *       reply is parsed and validated here anyway (code fences tolerated); an invalid reply is
 *       re-asked up to {@code maxReasks} times by appending it and a short correction to the
 *       conversation ({@link ReaskingChatModel}), then an {@link InvalidReplyException} is
 *       thrown. To journal each re-ask, build with {@code maxReasks(0)} and put the
 *       {@link ReaskingChatModel} outside the {@link JournaledChatModel}.</li>
 * </ol>
 * Every HTTP attempt holds a permit of the optional {@link AdaptiveConcurrencyLimiter}, which a
 * 429 halves. The API key is sent only in the {@code Authorization} header and masked from every
 * message this class produces. Thread-safe.
 *
 * <p>{@link #modelIdentity} (what a journal key names as the model) asks the server which
 * models it serves ({@code GET {baseUrl}/models}, {@link ServedModel}), once it answers (a server
 * not reached is asked again at a pace, {@link #servedModel}): a server that lists the
 * requested model keeps the name as the identity; one that lists a single other model (a llama.cpp
 * server, which ignores the requested name) is keyed by what it reports, and a warning says so.
 * Only a {@link JournaledChatModel} asks, so a run without a journal sends no such request.
 */
public final class OpenAiCompatibleChatModel implements ChatModel {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiCompatibleChatModel.class);
    static final String BACKEND = "openai-compatible";
    private static final int MAX_ERROR_CHARS = 500;
    /**
     * How long {@link #servedModel} gives a server not reached as its answer before asking it
     * again: long against one listing request (a few milliseconds on a live server, at most the
     * request timeout on a dead one), short against a server's restart.
     */
    public static final Duration SERVED_REASK_PACE = Duration.ofSeconds(30);

    private final URI endpoint;
    /** {@code GET} lists the served models. */
    private final URI modelsEndpoint;
    /** The base URL as given, without trailing slashes (no credentials: the builder refuses them). */
    private final String baseUrl;
    private final String model;
    private final ApiKey apiKey;
    private final Duration requestTimeout;
    private final long maxReplyBytes;
    /** Whether any HTTP response came from the server yet (see {@link ChatConnectException}). */
    private volatile boolean reached;
    private final RetryPolicy retryPolicy;
    private final int maxReasks;
    private final AdaptiveConcurrencyLimiter limiter;
    private final Sleeper sleeper;
    private final Clock clock;
    private final Random random;
    private final HttpClient http;
    private final ReaskingChatModel reasking;
    /**
     * Guards {@link #asking}, {@link #unreached} and {@link #unreachedAt}; held only to read or
     * set them, never through the asking itself (see {@link #servedModel}).
     */
    private final Object servedLock = new Object();
    /**
     * The server's answer to {@link #servedModel}, once it gave one (anything but a server not
     * reached or an interrupted asking): remembered for this object's life. Null until then.
     */
    private volatile ServedModel served;
    /**
     * The asking in flight, which concurrent callers wait for; null when none. It completes
     * with what the asker got, or with null where that is nothing to share (the asker was
     * interrupted, or failed): its waiters then ask themselves.
     */
    private java.util.concurrent.CompletableFuture<ServedModel> asking;
    /**
     * The last asking that did not reach the server, and when it ended (guarded by
     * {@link #servedLock}): given again, unasked, for {@link #SERVED_REASK_PACE}; null after an
     * answer or before any asking.
     */
    private ServedModel unreached;
    private java.time.Instant unreachedAt;

    private OpenAiCompatibleChatModel(Builder b) {
        this.endpoint = b.endpoint;
        this.modelsEndpoint = b.modelsEndpoint;
        this.baseUrl = b.baseUrl;
        this.model = b.model;
        this.apiKey = b.apiKeyEnv == null ? null : ApiKey.fromEnvironment(b.apiKeyEnv, b.environment);
        this.requestTimeout = b.requestTimeout;
        this.maxReplyBytes = b.maxReplyBytes;
        this.retryPolicy = b.retryPolicy;
        this.maxReasks = b.maxReasks;
        this.limiter = b.limiter;
        this.sleeper = b.sleeper;
        this.clock = b.clock;
        this.random = b.random;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.reasking = new ReaskingChatModel(new SingleAsk(), maxReasks);
    }

    /**
     * @param baseUrl e.g. {@code https://api.openai.com/v1} or {@code http://127.0.0.1:8000/v1}
     * @param model   the model name the server expects
     */
    public static Builder builder(String baseUrl, String model) {
        return new Builder(baseUrl, model);
    }

    @Override
    public String backend() {
        return BACKEND;
    }

    @Override
    public String model() {
        return model;
    }

    /** The chat-completions URL. */
    public URI endpoint() {
        return endpoint;
    }

    /**
     * Where the model is served, as {@link #identify} names it (the base URL, any API key in it
     * masked), without asking the server anything.
     */
    public String server() {
        return mask(baseUrl);
    }

    /** {@link #servedModel()}'s {@link ServedModel#identity}: the requested name on an honest server. */
    @Override
    public String modelIdentity() {
        return servedModel().identity();
    }

    /**
     * {@link #modelIdentity} as {@link ModelIdentity.Source#SERVED} when the server said what it
     * serves, {@link ModelIdentity.Source#UNSAID} (the name, which a journal may replace by the
     * identity it recorded for this server) when the server could not be reached, and
     * {@link ModelIdentity.Source#UNCLEAR} (the name, nothing replaces it) when it answered
     * without saying; the server is the base URL.
     */
    @Override
    public ModelIdentity identify() {
        ServedModel s = servedModel();
        ModelIdentity.Source source = s.said() ? ModelIdentity.Source.SERVED
                : s.kind() == ServedModel.Kind.UNREACHABLE ? ModelIdentity.Source.UNSAID
                : ModelIdentity.Source.UNCLEAR;
        return new ModelIdentity(s.identity(), source, server());
    }

    /**
     * What the server serves against the requested model: asked the first time (one
     * {@code GET {baseUrl}/models} with the API key, under the request timeout, not retried);
     * concurrent first callers wait for the one answer, interruptibly: a waiter whose thread is
     * interrupted leaves at once with the {@link Cancellation} contract's
     * {@link java.util.concurrent.CancellationException} (status kept set), while the asking
     * goes on for the others. No lock is held through the asking, whose retries and backoffs
     * may last minutes: a {@code synchronized} wait for it could not be interrupted. A server still loading its
     * model ({@link ServedModel.Kind#LOADING}) is asked again after the backoff a 503 reply would
     * get, within the same retry budget ({@link RetryPolicy#maxAttempts()}): its chat route
     * answers 503 until then anyway, and the identity must name the weights it then serves
     * rather than the loading state, which no later run sees. A server that serves another
     * model is reported as a warning, a listing that could not be had at info level
     * (shown with {@code --verbose}): the key then stays what it was, so the warning would only
     * be noise on servers without the route.
     *
     * <p>What is remembered, and for how long, splits two kinds of result:
     * <ul>
     *   <li>an <em>answer</em>, whatever the server said ({@link ServedModel.Kind#LISTED},
     *       {@link ServedModel.Kind#OTHER}, {@link ServedModel.Kind#UNKNOWN} for a 4xx status
     *       or a body that is no list), is remembered for this object's life and never asked again: a server that
     *       answered is up, and what it said does not change without a restart, which a new
     *       run (a new client) asks about anew;</li>
     *   <li>a server not reached ({@link ServedModel.Kind#UNREACHABLE}: connection refused, no
     *       reply within the timeout), a listing answered with a 5xx status (kept
     *       {@link ServedModel.Kind#UNKNOWN}), or a model still loading once the retries are
     *       spent (see {@link #transientFailure}), is a transient
     *       failure, not an answer: it is given again
     *       without asking for {@link #SERVED_REASK_PACE} after the asking ended, then asked
     *       again, so a long-lived client whose server was down when first asked learns what
     *       it serves once it is up, while a server that stays down costs one request (and at
     *       most one request timeout) per pace, not one per caller; an asking cut short by an
     *       interrupt (the caller is being cancelled) is remembered not at all: the
     *       interrupted asker gets what it had so far (not said by the server, its status kept
     *       set), and the callers that waited for it, and the next caller, ask again at
     *       once.</li>
     * </ul>
     * A journal does not follow these changes: a {@link JournaledChatModel} asks
     * {@link #identify} once, when it is put in front of this client, and keys every entry it
     * writes by that identity for its life; the {@link CallJournal} keeps the identity in use
     * ({@link CallJournal#servedIdentityInUse}, {@link CallJournal#recordedIdentityInUse}), and
     * a run's provenance reads it there rather than asking this client again, so a fresher
     * answer after the journal keyed its entries neither re-keys them nor misnames them.
     */
    public ServedModel servedModel() {
        while (true) {
            ServedModel s = served;
            if (s != null) {
                return s;
            }
            java.util.concurrent.CompletableFuture<ServedModel> mine = null;
            java.util.concurrent.CompletableFuture<ServedModel> theirs;
            synchronized (servedLock) {
                if (served != null) {
                    return served;
                }
                if (unreached != null
                        && clock.instant().isBefore(unreachedAt.plus(SERVED_REASK_PACE))) {
                    return unreached;
                }
                if (asking == null) {
                    asking = mine = new java.util.concurrent.CompletableFuture<>();
                }
                theirs = asking;
            }
            if (mine != null) {
                return askAndShare(mine);
            }
            ServedModel shared;
            try {
                shared = theirs.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Cancellation.cancelled("waiting for the served-model listing of " + baseUrl, e);
            } catch (java.util.concurrent.ExecutionException e) {
                shared = null; // never completed exceptionally (askAndShare); asked again
            }
            if (shared != null) {
                return shared;
            }
            // The asker was cancelled or failed: nothing kept, so this caller asks (or waits
            // for whoever asks first now).
        }
    }

    /**
     * The asking {@link #servedModel} leaves to the caller that found none in flight, outside
     * {@link #servedLock}: its result is kept as that method says, then handed to the waiters
     * through {@code shared} (null where nothing is kept for an interrupt or a failure, so that
     * they ask themselves), however the asking ends.
     */
    private ServedModel askAndShare(java.util.concurrent.CompletableFuture<ServedModel> shared) {
        ServedModel handed = null;
        try {
            ServedModel asked = askServedModelWithRetries();
            if (Thread.currentThread().isInterrupted()) {
                // Cut short by the caller's cancellation, not said by the server: whatever was
                // had so far is returned to the caller, who stops, and nothing is kept.
                return asked;
            }
            if (asked.kind() == ServedModel.Kind.OTHER) {
                LOG.warn(asked.note(baseUrl));
            } else {
                LOG.info(asked.note(baseUrl));
            }
            synchronized (servedLock) {
                if (transientFailure(asked)) {
                    unreached = asked;
                    unreachedAt = clock.instant();
                } else {
                    unreached = null;
                    served = asked;
                }
            }
            handed = asked;
            return asked;
        } finally {
            synchronized (servedLock) {
                asking = null; // before the waiters wake: one that asks again starts its own
            }
            shared.complete(handed);
        }
    }

    /**
     * {@link #askServedModel}, asked again after a backoff while the server is still loading its
     * model, within {@link RetryPolicy#maxAttempts()}; an interrupt ends the backoff with the
     * status set.
     */
    private ServedModel askServedModelWithRetries() {
        ServedModel asked = askServedModel();
        for (int attempt = 1; asked.kind() == ServedModel.Kind.LOADING
                && attempt < retryPolicy.maxAttempts(); attempt++) {
            Duration wait = retryPolicy.backoff(attempt - 1, random);
            LOG.info("The server at {} is still loading its model; asking again in {} ms ({}/{})",
                    baseUrl, wait.toMillis(), attempt + 1, retryPolicy.maxAttempts());
            try {
                sleeper.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the first request then stops the run
                break;
            }
            asked = askServedModel();
        }
        return asked;
    }

    /**
     * Whether {@code s} is a failure to be asked about again at {@link #SERVED_REASK_PACE}
     * rather than an answer kept for the client's life: a server not reached, a listing
     * answered with a 5xx status (a gateway whose server is down, a server overloaded or
     * restarting: what a chat request would retry), or a server still loading its model once
     * the retries are spent ({@link ServedModel.Kind#LOADING}). Each keeps its kind, and so the
     * identity it gives: a 5xx is {@link ServedModel.Kind#UNKNOWN}, since the server, or
     * something in front of it, is up and may serve other weights than a journal recorded, so
     * the entries are keyed by the requested name ({@link ModelIdentity.Source#UNCLEAR}), as
     * before; only how long it is remembered changes.
     */
    private static boolean transientFailure(ServedModel s) {
        return s.kind() == ServedModel.Kind.UNREACHABLE || s.kind() == ServedModel.Kind.LOADING
                || (s.kind() == ServedModel.Kind.UNKNOWN && s.reason() != null
                        && s.reason().matches(SERVER_ERROR + "\\d\\d"));
    }

    /** How {@link #askServedModel}'s reason for a 5xx status begins. */
    private static final String SERVER_ERROR = "HTTP 5";

    /**
     * One {@code GET /models}; a server not reached is {@link ServedModel.Kind#UNREACHABLE}, every
     * other failure an {@link ServedModel.Kind#UNKNOWN} answer (for a status other than 200,
     * the reason "HTTP " and the status).
     */
    private ServedModel askServedModel() {
        HttpRequest.Builder hb = HttpRequest.newBuilder(modelsEndpoint)
                .timeout(requestTimeout)
                .header("Accept", "application/json")
                .GET();
        authorize(hb);
        try {
            HttpResponse<String> resp = exchange(hb.build());
            if (resp.statusCode() != 200) {
                return ServedModel.unknown(model, "HTTP " + resp.statusCode());
            }
            // The ids go into notes and provenance: a server echoing the key must not put it there.
            return ServedModel.fromListing(model, mask(resp.body()));
        } catch (HttpTimeoutException | java.util.concurrent.TimeoutException e) {
            return ServedModel.unreachable(model, "no reply within " + Durations.format(requestTimeout));
        } catch (ReplyTooLargeException e) {
            return ServedModel.unknown(model, e.getMessage());
        } catch (IOException e) {
            return ServedModel.unreachable(model, failure(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the first request then stops the run
            return ServedModel.unknown(model, "interrupted");
        }
    }

    /**
     * Asks, and re-asks up to {@code maxReasks} times (through a {@link ReaskingChatModel}) while
     * the reply does not validate. With {@code maxReasks(0)} this is a single ask whose invalid
     * reply is thrown as an {@link InvalidReplyException} carrying the content, which lets a
     * {@link JournaledChatModel} inside a {@link ReaskingChatModel} journal every re-ask.
     */
    @Override
    public ChatReply complete(ChatRequest request) {
        return maxReasks == 0 ? askOnce(request) : reasking.complete(request);
    }

    /** One ask (with HTTP retries): a validated reply, or an {@link InvalidReplyException}. */
    private ChatReply askOnce(ChatRequest request) {
        Exchange ex = sendWithRetries(request.messages(), request);
        ResponseSchema schema = request.responseSchema();
        // A server or model may echo the Authorization header: mask before anything (the
        // journal, the outputs, a re-ask's conversation) sees the content.
        String content = ex.content == null || apiKey == null ? ex.content : apiKey.maskReply(ex.content);
        String problem;
        JsonNode json = null;
        String noAnswer = content == null || content.isBlank() ? ex.whyNoContent(this::quote) : null;
        if (noAnswer != null && (content == null || schema != null)) {
            problem = noAnswer;
        } else if (content == null) {
            problem = "the reply had no message content (finish_reason " + ex.finishReason + ")";
        } else if (schema == null) {
            return new ChatReply(content, null, ex.finishReason, ex.attempts, 0, false);
        } else {
            // A reply cut off at the token limit keeps its complete array elements (the samples
            // written before the cut): asking again would cost a whole reply to get them back.
            ReplyParser.Result r = ReplyParser.parse(content, schema, ex.finishReason);
            problem = r.problem();
            json = r.json();
            if (problem != null) {
                problem += cutOff(ex.finishReason);
            }
        }
        if (problem == null) {
            return new ChatReply(content, json, ex.finishReason, ex.attempts, 0, false);
        }
        throw new InvalidReplyException(mask(problem), content, ex.attempts, ex.finishReason);
    }

    /** This model asking once, for {@link #reasking}. */
    private final class SingleAsk implements ChatModel {
        @Override
        public ChatReply complete(ChatRequest request) {
            return askOnce(request);
        }

        @Override
        public String backend() {
            return BACKEND;
        }

        @Override
        public String model() {
            return model;
        }
    }

    /**
     * The note an invalid reply gets for a finish reason that cut it short: the server's token
     * limit (SynAlign sends no {@code max_tokens}, so it is the server's default or the context
     * left) or its content filter; nothing for any other reason.
     */
    static String cutOff(String finishReason) {
        if ("length".equals(finishReason)) {
            return " (it was cut off at the server's token limit, finish_reason length)";
        }
        if ("content_filter".equals(finishReason)) {
            return " (the server's content filter cut it off, finish_reason content_filter)";
        }
        return "";
    }

    /**
     * What one successful HTTP exchange produced: the first choice's content, finish reason,
     * the message's {@code refusal}, the characters of reasoning it carried beside the content
     * ({@code reasoning_content}, vLLM's and llama.cpp's field, or {@code reasoning}, Ollama's
     * and OpenRouter's), and the names of the tool calls it made instead of answering.
     */
    private record Exchange(String content, String finishReason, int attempts, String refusal,
            int reasoningChars, List<String> toolCalls) {

        /**
         * Why a reply has no content to parse, when the message says why: a refusal, the content
         * filter, reasoning that used up the token limit or stopped without an answer, a tool
         * call; {@code null} when it says nothing (the caller's plain message then stands). The
         * refusal is given as {@code quote} writes it (masked, on one line, capped).
         */
        String whyNoContent(java.util.function.UnaryOperator<String> quote) {
            String finish = "finish_reason " + finishReason;
            if (refusal != null && !refusal.isBlank()) {
                return "the model refused: \"" + quote.apply(refusal) + "\" (" + finish + ")";
            }
            if ("content_filter".equals(finishReason)) {
                return "the server's content filter withheld the reply (" + finish + ")";
            }
            if (reasoningChars > 0 && "length".equals(finishReason)) {
                return "the model's reasoning used up the server's token limit before it wrote an"
                        + " answer (" + reasoningChars + " characters of reasoning, no content, " + finish
                        + "): " + ReaskingChatModel.TOKEN_LIMIT_FIX;
            }
            if (reasoningChars > 0) {
                return "the reply holds only the model's reasoning (" + reasoningChars
                        + " characters), no answer (" + finish + ")";
            }
            if (!toolCalls.isEmpty()) {
                return "the reply is a tool call (" + String.join(", ", toolCalls) + "), not an answer;"
                        + " no tools were offered (" + finish + ")";
            }
            return null;
        }
    }

    private Exchange sendWithRetries(List<ChatMessage> conversation, ChatRequest request) {
        boolean sampling = !samplingRefused;
        HttpRequest httpRequest = httpRequest(conversation, request, sampling);
        String lastFailure = null;
        for (int attempt = 1; ; attempt++) {
            Duration retryAfter = null;
            AdaptiveConcurrencyLimiter.Permit permit = acquire();
            boolean released = false;
            try {
                HttpResponse<String> resp = exchange(httpRequest);
                reached = true;
                int status = resp.statusCode();
                if (status == 200) {
                    Exchange ex = parseCompletion(resp.body(), attempt);
                    if (ex != null) {
                        release(permit, Outcome.SUCCESS);
                        released = true;
                        return ex;
                    }
                    lastFailure = "HTTP 200 with a body that is not a chat completion: " + snippet(resp.body());
                    release(permit, Outcome.FAILED);
                } else if (status == 400 && sampling && hasSampling(request) && refusesSampling(resp.body())) {
                    // OpenAI's reasoning models (o-series, gpt-5) take only their default
                    // temperature and top_p: every request of a run was refused (HTTP 400, exit 2).
                    // Sent again without them; the journal key keeps the asked values.
                    release(permit, Outcome.FAILED);
                    released = true;
                    if (!samplingRefused) {
                        samplingRefused = true;
                        LOG.warn("The model {} takes no temperature or top_p ({}); sending its requests"
                                + " without them (the model's own sampling)", model, serverMessage(resp.body()));
                    }
                    sampling = false;
                    httpRequest = httpRequest(conversation, request, false);
                    lastFailure = "HTTP 400: " + serverMessage(resp.body());
                    continue;
                } else if (status == 429 && insufficientQuota(resp.body())) {
                    // OpenAI's "no credit left": a retry cannot succeed (it was retried as a
                    // rate limit, 40 requests and 161 s a label before the run failed).
                    release(permit, Outcome.FAILED);
                    released = true;
                    throw new ChatHttpException(status, serverMessage(resp.body()), endpoint.toString());
                } else if (status == 429) {
                    release(permit, Outcome.RATE_LIMITED);
                    retryAfter = RetryAfter.parse(resp.headers().firstValue("Retry-After").orElse(null), clock);
                    lastFailure = "HTTP 429 (rate limited): " + serverMessage(resp.body());
                } else if (status == 408 || status >= 500) {
                    release(permit, Outcome.FAILED);
                    // 503s often carry Retry-After too (a server draining or overloaded).
                    retryAfter = RetryAfter.parse(resp.headers().firstValue("Retry-After").orElse(null), clock);
                    lastFailure = "HTTP " + status + ": " + serverMessage(resp.body());
                } else {
                    release(permit, Outcome.FAILED);
                    released = true;
                    throw new ChatHttpException(status, serverMessage(resp.body()), endpoint.toString());
                }
                released = true;
            } catch (HttpTimeoutException | java.util.concurrent.TimeoutException e) {
                lastFailure = "no complete reply within " + Durations.format(requestTimeout);
            } catch (ReplyTooLargeException e) {
                lastFailure = e.getMessage();
            } catch (IOException e) {
                lastFailure = failure(e);
                if (!reached && cannotConnect(e) && attempt >= CONNECT_ATTEMPTS) {
                    throw new ChatConnectException(endpoint.toString(), attempt,
                            e.getClass().getSimpleName() + (e.getMessage() == null ? ""
                                    : ": " + mask(e.getMessage())));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Cancellation.cancelled("calling " + endpoint, e);
            } finally {
                if (!released) {
                    release(permit, Outcome.FAILED);
                }
            }
            if (attempt >= retryPolicy.maxAttempts()) {
                throw new ChatModelException("giving up on " + endpoint + " after " + attempt
                        + " attempts (retry budget); last failure: " + lastFailure);
            }
            if (retryAfter != null && retryAfter.compareTo(retryPolicy.maxRetryAfter()) > 0) {
                throw new ChatModelException("server asked to retry after " + retryAfter.toSeconds()
                        + " s, more than the allowed " + Durations.format(retryPolicy.maxRetryAfter())
                        + "; last failure: " + lastFailure);
            }
            Duration wait = retryPolicy.backoff(attempt - 1, random);
            if (retryAfter != null && retryAfter.compareTo(wait) > 0) {
                wait = retryAfter;
            }
            LOG.info("Retrying {} in {} ms (attempt {}/{}): {}", model, wait.toMillis(), attempt + 1,
                    retryPolicy.maxAttempts(), lastFailure);
            try {
                sleeper.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Cancellation.cancelled("backing off from " + endpoint, e);
            }
        }
    }

    /**
     * One HTTP exchange under a whole-request deadline: the request timeout covers the headers
     * and the whole body (HttpClient's own timeout stops at the headers, so a server that
     * trickles its body would hold the call for ever), and a body over
     * {@link Builder#maxReplyBytes} is cut off rather than read into memory.
     */
    private HttpResponse<String> exchange(HttpRequest request) throws IOException,
            InterruptedException, java.util.concurrent.TimeoutException {
        java.util.concurrent.CompletableFuture<HttpResponse<String>> f =
                http.sendAsync(request, info -> BoundedBody.of(maxReplyBytes));
        try {
            return f.get(requestTimeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
            f.cancel(true); // aborts the exchange and its connection
            throw e;
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            while (c instanceof IOException && c.getCause() instanceof ReplyTooLargeException) {
                c = c.getCause();
            }
            if (c instanceof ReplyTooLargeException r) {
                throw r;
            }
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(c);
        }
    }

    /**
     * Attempts that may fail to connect before a server that never answered is given up on.
     */
    public static final int CONNECT_ATTEMPTS = 3;

    /** A failure to open a connection at all (not a timeout or a dropped connection). */
    private static boolean cannotConnect(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof java.net.NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }

    /** A reply body over the size bound. */
    static final class ReplyTooLargeException extends IOException {

        private static final long serialVersionUID = 1L;

        ReplyTooLargeException(long limit) {
            super("the reply is larger than " + limit + " bytes (the reply size bound)");
        }
    }

    /** The body as UTF-8 text, refused once it passes {@code limit} bytes. */
    static final class BoundedBody implements HttpResponse.BodySubscriber<String> {

        private final long limit;
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        private final java.util.concurrent.CompletableFuture<String> result =
                new java.util.concurrent.CompletableFuture<>();
        private java.util.concurrent.Flow.Subscription subscription;

        private BoundedBody(long limit) {
            this.limit = limit;
        }

        static BoundedBody of(long limit) {
            return new BoundedBody(limit);
        }

        @Override
        public java.util.concurrent.CompletionStage<String> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<java.nio.ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (java.nio.ByteBuffer b : items) {
                if (bytes.size() + (long) b.remaining() > limit) {
                    subscription.cancel();
                    result.completeExceptionally(new ReplyTooLargeException(limit));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                bytes.writeBytes(chunk);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(bytes.toString(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private enum Outcome { SUCCESS, RATE_LIMITED, FAILED }

    private AdaptiveConcurrencyLimiter.Permit acquire() {
        if (limiter == null) {
            return null;
        }
        try {
            return limiter.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Cancellation.cancelled("waiting for a concurrency slot", e);
        }
    }

    private static void release(AdaptiveConcurrencyLimiter.Permit permit, Outcome o) {
        if (permit == null) {
            return;
        }
        switch (o) {
            case SUCCESS -> permit.success();
            case RATE_LIMITED -> permit.rateLimited();
            case FAILED -> permit.failed();
        }
    }

    /** Set once the server refused a temperature or top_p; later requests go without them. */
    private volatile boolean samplingRefused;

    /** The POST of {@code conversation}; {@code sampling} false leaves temperature and top_p out. */
    private HttpRequest httpRequest(List<ChatMessage> conversation, ChatRequest request, boolean sampling) {
        ObjectNode json = requestBody(conversation, request);
        if (!sampling) {
            json.remove("temperature");
            json.remove("top_p");
        }
        HttpRequest.Builder hb = HttpRequest.newBuilder(endpoint)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(json)));
        authorize(hb);
        return hb.build();
    }

    /** Adds the key's {@code Authorization} header to {@code hb}, where there is a key. */
    private void authorize(HttpRequest.Builder hb) {
        if (apiKey != null) {
            try {
                hb.header("Authorization", apiKey.bearer());
            } catch (IllegalArgumentException e) {
                // The JDK quotes the refused header value: the key. ApiKey refuses such keys
                // first; this keeps the rule if it ever changes.
                throw new IllegalArgumentException(apiKey.mask(e.getMessage()));
            }
        }
    }

    /** An exchange that failed on the connection, in a message: its exception's class and masked message. */
    private String failure(IOException e) {
        return "connection failed: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + mask(e.getMessage()));
    }

    private static boolean hasSampling(ChatRequest request) {
        return request.sampling().temperature() != null || request.sampling().topP() != null;
    }

    /**
     * Whether a 400 body is OpenAI's refusal of a temperature or top_p the model does not take:
     * {@code "param": "temperature"} (or {@code "top_p"}) with the code
     * {@code unsupported_value} or {@code unsupported_parameter}.
     */
    static boolean refusesSampling(String body) {
        if (body == null || !(body.contains("temperature") || body.contains("top_p"))) {
            return false;
        }
        try {
            JsonNode e = Json.MAPPER.readTree(body).path("error");
            String param = e.path("param").asText("");
            String code = e.path("code").asText("");
            return (param.equals("temperature") || param.equals("top_p"))
                    && (code.equals("unsupported_value") || code.equals("unsupported_parameter"));
        } catch (IOException | RuntimeException notJson) {
            return false;
        }
    }

    ObjectNode requestBody(List<ChatMessage> conversation, ChatRequest request) {
        ObjectNode root = Json.object();
        root.put("model", model);
        ArrayNode msgs = root.putArray("messages");
        for (ChatMessage m : conversation) {
            msgs.addObject().put("role", m.role()).put("content", m.content());
        }
        SamplingParams s = request.sampling();
        if (s.temperature() != null) {
            root.put("temperature", s.temperature());
        }
        if (s.topP() != null) {
            root.put("top_p", s.topP());
        }
        if (s.maxTokens() != null) {
            root.put("max_tokens", s.maxTokens());
        }
        if (s.seed() != null) {
            // Non-negative and within 31 bits: TGI takes a u64 and refused a negative seed
            // (HTTP 422, half of all requests), llama.cpp's server a 32-bit one. The journal
            // keys keep the full seed.
            root.put("seed", SamplingParams.seed31(s.seed()));
        }
        ResponseSchema schema = request.responseSchema();
        if (schema != null) {
            ObjectNode rf = root.putObject("response_format");
            rf.put("type", "json_schema");
            ObjectNode js = rf.putObject("json_schema");
            js.put("name", schema.name());
            js.set("schema", schema.schema());
            js.put("strict", schema.strict());
        }
        return root;
    }

    /** The first choice's content and finish reason, or {@code null} if the body is not a completion. */
    private static Exchange parseCompletion(String body, int attempts) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return null;
        }
        JsonNode choice = root == null ? null : root.path("choices").path(0);
        if (choice == null || !choice.isObject() || !choice.path("message").isObject()) {
            return null;
        }
        JsonNode message = choice.path("message");
        JsonNode finish = choice.path("finish_reason");
        JsonNode refusal = message.path("refusal");
        int reasoning = Math.max(message.path("reasoning_content").asText("").length(),
                message.path("reasoning").asText("").length());
        List<String> tools = new ArrayList<>();
        for (JsonNode call : message.path("tool_calls")) {
            tools.add(call.path("function").path("name").asText("?"));
        }
        return new Exchange(text(message.path("content")), finish.isTextual() ? finish.textValue() : null,
                attempts, refusal.isTextual() ? refusal.textValue() : null, reasoning, List.copyOf(tools));
    }

    /**
     * The message's content as text: a string, or the text parts of a list of parts (Mistral's
     * reasoning models answer {@code [{"type":"thinking",...},{"type":"text","text":"..."}]}),
     * joined; {@code null} when there is none.
     */
    private static String text(JsonNode content) {
        if (content.isTextual()) {
            return content.textValue();
        }
        if (!content.isArray()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        boolean any = false;
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
                sb.append(part.path("text").textValue());
                any = true;
            }
        }
        return any ? sb.toString() : null;
    }

    /** The server's error message: OpenAI {@code {"error":{"message"}}}, vLLM/TGI variants, or the raw body. */
    private String serverMessage(String body) {
        String msg = null;
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            if (root != null) {
                JsonNode err = root.path("error");
                if (err.isObject() && err.path("message").isTextual()) {
                    msg = err.path("message").textValue();
                } else if (err.isTextual()) {
                    msg = err.textValue();
                } else if (root.path("message").isTextual()) {
                    msg = root.path("message").textValue();
                } else if (root.path("detail").isTextual()) {
                    msg = root.path("detail").textValue();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: fall back to the raw text
        }
        if (msg == null) {
            msg = body == null || body.isBlank() ? "(empty body)" : body;
        }
        return snippet(msg);
    }

    /**
     * A text the server wrote, in a message: masked, stripped and capped at
     * {@value #MAX_ERROR_CHARS} characters. Masked before it is cut, so no part of a key is left
     * past the cut.
     */
    private String snippet(String text) {
        return snippet(text, false);
    }

    /**
     * {@link #snippet} quoted in a one-line message: its whitespace folded to single spaces (a
     * multi-line refusal broke the log's one line a warning) before it is capped.
     */
    private String quote(String text) {
        return snippet(text, true);
    }

    private String snippet(String text, boolean oneLine) {
        String t = mask(text == null ? "" : text).strip();
        if (oneLine) {
            t = t.replaceAll("\\s+", " ");
        }
        return t.length() > MAX_ERROR_CHARS ? t.substring(0, MAX_ERROR_CHARS) + "..." : t;
    }

    private String mask(String text) {
        return apiKey == null ? text : apiKey.mask(text);
    }

    @Override
    public String toString() {
        return "OpenAiCompatibleChatModel[" + endpoint + ", model=" + model
                + (apiKey == null ? "" : ", key=" + apiKey) + "]";
    }

    /** Configuration; every setter validates its argument. */
    public static final class Builder {

        /** The default reply size bound: 8 MiB, far above any chat completion SynAlign asks for. */
        public static final long DEFAULT_MAX_REPLY_BYTES = 8L << 20;
        private final URI endpoint;
        private final URI modelsEndpoint;
        private final String baseUrl;
        private final String model;
        private String apiKeyEnv;
        private Function<String, String> environment = System::getenv;
        private Duration requestTimeout = Duration.ofSeconds(120);
        private long maxReplyBytes = DEFAULT_MAX_REPLY_BYTES;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
        private int maxReasks = ReaskingChatModel.DEFAULT_MAX_REASKS;
        private AdaptiveConcurrencyLimiter limiter;
        private Sleeper sleeper = Sleeper.SYSTEM;
        private Clock clock = Clock.systemUTC();
        private Random random = new Random();

        private Builder(String baseUrl, String model) {
            if (baseUrl == null || baseUrl.isBlank()) {
                throw new IllegalArgumentException("base URL must not be blank");
            }
            String base = baseUrl.strip();
            while (base.endsWith("/")) {
                base = base.substring(0, base.length() - 1);
            }
            URI uri;
            try {
                uri = new URI(base + "/chat/completions");
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("bad base URL: " + baseUrl);
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("base URL must be http(s)://host[:port][/path]: " + baseUrl);
            }
            if (uri.getUserInfo() != null) {
                throw new IllegalArgumentException(
                        "base URL must not contain credentials (use the API key environment variable): "
                                + uri.getScheme() + "://" + uri.getHost());
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                // "/chat/completions" would land inside the query; and a query often carries
                // a key, so it is not echoed.
                throw new IllegalArgumentException("base URL must not have a query or fragment"
                        + " (use the API key environment variable for a key): " + uri.getScheme()
                        + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                        + (uri.getRawPath() == null ? "" : uri.getRawPath()));
            }
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("model name must not be blank");
            }
            this.endpoint = uri;
            this.modelsEndpoint = URI.create(base + "/models"); // parsed above with another suffix
            this.baseUrl = base;
            this.model = model.strip();
        }

        /** The environment variable holding the API key; none (no Authorization header) if never called. */
        public Builder apiKeyEnv(String variable) {
            if (variable == null || variable.isBlank()) {
                throw new IllegalArgumentException("API key environment variable name must not be blank");
            }
            this.apiKeyEnv = variable;
            return this;
        }

        /** Where {@link #apiKeyEnv} is looked up; {@code System::getenv} by default (tests inject a map). */
        public Builder environment(Function<String, String> env) {
            if (env == null) {
                throw new IllegalArgumentException("environment must not be null");
            }
            this.environment = env;
            return this;
        }

        public Builder requestTimeout(Duration d) {
            requirePositive(d, "request timeout");
            this.requestTimeout = d;
            return this;
        }

        /**
         * The largest reply body read, in bytes (default {@value #DEFAULT_MAX_REPLY_BYTES}); a
         * larger one counts as a failed attempt and is not kept.
         */
        public Builder maxReplyBytes(long bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("the reply size bound must be at least 1024"
                        + " bytes, got " + bytes);
            }
            this.maxReplyBytes = bytes;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            requirePositive(d, "connect timeout");
            this.connectTimeout = d;
            return this;
        }

        public Builder retryPolicy(RetryPolicy p) {
            if (p == null) {
                throw new IllegalArgumentException("retry policy must not be null");
            }
            this.retryPolicy = p;
            return this;
        }

        /**
         * Re-asks after a reply that does not validate (default 2). Use 0 and wrap the model as
         * {@code new ReaskingChatModel(new JournaledChatModel(model, journal), n)} to journal
         * every re-ask as its own call.
         */
        public Builder maxReasks(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("max re-asks must be >= 0: " + n);
            }
            this.maxReasks = n;
            return this;
        }

        /** Shared with a {@link ConcurrentChatExecutor}; gates every HTTP attempt. */
        public Builder limiter(AdaptiveConcurrencyLimiter l) {
            this.limiter = l;
            return this;
        }

        public Builder sleeper(Sleeper s) {
            if (s == null) {
                throw new IllegalArgumentException("sleeper must not be null");
            }
            this.sleeper = s;
            return this;
        }

        public Builder clock(Clock c) {
            if (c == null) {
                throw new IllegalArgumentException("clock must not be null");
            }
            this.clock = c;
            return this;
        }

        /** The jitter source (seed it for reproducible tests). */
        public Builder random(Random r) {
            if (r == null) {
                throw new IllegalArgumentException("random must not be null");
            }
            this.random = r;
            return this;
        }

        /**
         * @throws IllegalArgumentException when the API key variable is named but unset
         */
        public OpenAiCompatibleChatModel build() {
            return new OpenAiCompatibleChatModel(this);
        }

        private static void requirePositive(Duration d, String what) {
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
        }
    }

    /**
     * Whether a 429 body is OpenAI's {@code insufficient_quota} error ({@code error.code} or
     * {@code error.type}): the account has no credit, which no wait mends.
     */
    static boolean insufficientQuota(String body) {
        if (body == null || !body.contains("insufficient_quota")) {
            return false;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode e = Json.MAPPER.readTree(body).path("error");
            return "insufficient_quota".equals(e.path("code").asText(null))
                    || "insufficient_quota".equals(e.path("type").asText(null));
        } catch (IOException | RuntimeException notJson) {
            return false;
        }
    }
}
