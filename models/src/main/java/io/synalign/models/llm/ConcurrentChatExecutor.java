package io.synalign.models.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs many chat requests on a bounded thread pool and returns the replies in submission order.
 *
 * <p>The pool has {@link AdaptiveConcurrencyLimiter#maxLimit()} threads; the limiter, which the
 * model must also hold (see {@link OpenAiCompatibleChatModel.Builder#limiter}), gates the HTTP
 * requests actually in flight, so a 429 storm shrinks the load on the server while waiting
 * threads cost nothing. Threads sleeping in backoff hold no permit.
 *
 * <p>Fail fast: the first failure (e.g. a 401) cancels the outstanding requests and is thrown;
 * replies completed before it are not lost when the model is a {@link JournaledChatModel}.
 */
public final class ConcurrentChatExecutor {

    private static final AtomicInteger POOLS = new AtomicInteger();

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
     * @throws ChatModelException the first failure (others are cancelled)
     */
    public List<ChatReply> completeAll(List<ChatRequest> requests) {
        int n = requests.size();
        List<ChatReply> out = new ArrayList<>(n);
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
            CompletionService<Indexed> cs = new ExecutorCompletionService<>(exec);
            List<Future<Indexed>> futures = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                final int index = i;
                ChatRequest r = requests.get(i);
                futures.add(cs.submit(() -> new Indexed(index, model.complete(r))));
            }
            for (int done = 0; done < n; done++) {
                Future<Indexed> f;
                try {
                    f = cs.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ChatModelException("interrupted while waiting for chat replies", e);
                }
                try {
                    Indexed r = f.get();
                    out.set(r.index, r.reply);
                } catch (ExecutionException e) {
                    futures.forEach(x -> x.cancel(true));
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new ChatModelException("chat request failed: " + c, c);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ChatModelException("interrupted while waiting for chat replies", e);
                }
            }
            return out;
        } finally {
            exec.shutdownNow();
        }
    }

    private record Indexed(int index, ChatReply reply) {
    }
}
