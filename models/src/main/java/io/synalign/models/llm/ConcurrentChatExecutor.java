package io.synalign.models.llm;

import io.synalign.kernels.Cancellation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Runs many chat requests on a bounded thread pool and returns the results in submission order.
 *
 * <p>The pool has {@link AdaptiveConcurrencyLimiter#maxLimit()} threads; the limiter, which the
 * model must also hold (see {@link OpenAiCompatibleChatModel.Builder#limiter}), gates the HTTP
 * requests actually in flight, so a 429 storm shrinks the load on the server while waiting
 * threads cost nothing. Threads sleeping in backoff hold no permit.
 *
 * <p>Two modes: {@link #completeAll} fails fast on any error; {@link #runAll} records per-request
 * errors (retry budget spent, replies that never validated) and fails fast only on a
 * {@link ChatHttpException} (wrong key, bad request, unknown model), a connection that cannot be
 * made, or a {@link ChatTimeoutException} (a model too slow for its deadline), which every
 * other request would hit too. Failing fast cancels (interrupts) the outstanding requests; replies completed
 * before it are not lost when the model is a {@link JournaledChatModel}.
 *
 * <p>Cancellation follows {@link Cancellation}: a call on an interrupted thread submits no
 * request, and an interrupt while the calling thread waits for replies cancels (interrupts) the
 * requests in flight, drops those not started, waits for the pool's threads to end, and throws a
 * {@link CancellationException} with the interrupt status kept set. It is not a
 * {@link ChatModelException}, so no caller counts it as a failed request or retries it. How soon
 * an in-flight request ends is the model's: an HTTP call is aborted at once (the JDK client's
 * future is cancelled); a GGUF call stops within one token (its decoding checks the interrupt
 * per token), and the GGUF calls queued behind it leave at once (the model's lock is taken
 * interruptibly).
 */
public final class ConcurrentChatExecutor {

    private static final AtomicInteger POOLS = new AtomicInteger();
    /** What stops on an interrupt, for {@link Cancellation}'s message. */
    private static final String WORK = "LLM generation (batch of chat requests)";

    private final ChatModel model;
    private final int threads;

    public ConcurrentChatExecutor(ChatModel model, AdaptiveConcurrencyLimiter limiter) {
        this(model, limiter.maxLimit());
    }

    public ConcurrentChatExecutor(ChatModel model, int threads) {
        if (model == null) {
            throw new IllegalArgumentException("model must not be null");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
        this.model = model;
        this.threads = threads;
    }

    /**
     * Completes every request; {@code result.get(i)} answers {@code requests.get(i)}.
     *
     * @throws ChatModelException the first failure (the others are cancelled)
     */
    public List<ChatReply> completeAll(List<ChatRequest> requests) {
        List<ChatOutcome> outcomes = run(requests, e -> true);
        List<ChatReply> out = new ArrayList<>(outcomes.size());
        outcomes.forEach(o -> out.add(o.reply()));
        return out;
    }

    /**
     * Runs every request; {@code result.get(i)} is the outcome of {@code requests.get(i)}.
     *
     * @throws ChatHttpException a non-retryable HTTP error (the other requests are cancelled)
     */
    public List<ChatOutcome> runAll(List<ChatRequest> requests) {
        // A whole-call deadline passed (an in-process model too slow for it): the next calls
        // would run to the same deadline, one after another, for hours; the run stops instead.
        return run(requests, e -> e instanceof ChatHttpException || e instanceof ChatConnectException
                || e instanceof ChatTimeoutException);
    }

    /**
     * Waits for cancelled workers to stop, so that none still appends to a journal the caller is
     * about to close. Interrupted HTTP calls and backoff sleeps end at once; the wait is bounded.
     */
    private static void awaitWorkers(ExecutorService exec) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (!exec.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
                        org.slf4j.LoggerFactory.getLogger(ConcurrentChatExecutor.class)
                                .warn("Chat workers still running 60 s after cancellation");
                    }
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private List<ChatOutcome> run(List<ChatRequest> requests, Predicate<ChatModelException> fatal) {
        Cancellation.stopIfInterrupted(WORK);
        int n = requests.size();
        List<ChatOutcome> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(null);
        }
        if (n == 0) {
            return out;
        }
        int pool = POOLS.incrementAndGet();
        AtomicInteger threadNo = new AtomicInteger();
        ExecutorService exec = Executors.newFixedThreadPool(Math.min(threads, n), r -> {
            Thread t = new Thread(r, "synalign-llm-" + pool + "-" + threadNo.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            CompletionService<ChatOutcome> cs = new ExecutorCompletionService<>(exec);
            for (int i = 0; i < n; i++) {
                final int index = i;
                ChatRequest r = requests.get(i);
                cs.submit(() -> {
                    try {
                        return new ChatOutcome(index, r, model.complete(r), null);
                    } catch (ChatModelException e) {
                        return new ChatOutcome(index, r, null, e);
                    }
                });
            }
            for (int done = 0; done < n; done++) {
                ChatOutcome o;
                try {
                    o = cs.take().get();
                } catch (InterruptedException e) {
                    // The caller was cancelled: not a failed request (which a caller would count,
                    // or a re-ask repeat), so the JDK's type for cancelled work, flag kept set.
                    Thread.currentThread().interrupt();
                    throw Cancellation.cancelled(WORK, e);
                } catch (ExecutionException e) {
                    // Not a ChatModelException: a bug or an I/O failure (e.g. the journal's disk).
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    throw new ChatModelException("chat request failed: " + c, c);
                }
                if (!o.ok() && fatal.test(o.error())) {
                    throw o.error();
                }
                out.set(o.index(), o);
            }
            return out;
        } finally {
            // Every way out, a failure or the caller's interrupt included, stops the pool here:
            // shutdownNow marks it stopped before it interrupts the requests in flight and
            // drops the queued ones, so no worker freed by that interrupt takes a request not
            // yet sent. (Cancelling the futures one by one, as before, let such a worker take a
            // queued request whose future the loop had not reached: a CI run saw a cancelled
            // batch send 5 requests where 4 were in flight or done.)
            exec.shutdownNow();
            awaitWorkers(exec);
        }
    }
}
