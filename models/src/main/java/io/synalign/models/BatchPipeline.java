package io.synalign.models;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Runs {@code n} items in consecutive batches through two stages, preparing batch {@code k + 1}
 * (tokenising, on a helper thread) while the caller's thread consumes batch {@code k} (the
 * model run), so that preparation is off the critical path.
 *
 * <p>Algorithm: a bounded one-batch-ahead producer. Before consuming batch {@code k} the caller
 * submits batch {@code k + 1} to {@code ahead}, then waits only for batch {@code k}'s result;
 * at most two prepared batches exist at any time. Batches are consumed strictly in order and
 * each batch is prepared exactly as the sequential loop prepares it, so results are identical
 * to sequential processing. Without a helper thread ({@code ahead == null}) or with a single
 * batch it is the plain sequential loop. Cost: the sequential work, minus overlap; one task
 * submission per batch.
 *
 * <p>Errors: an exception thrown while preparing a batch is rethrown unchanged on the caller's
 * thread, when that batch is reached; an exception while consuming cancels the batch being
 * prepared ahead.
 */
final class BatchPipeline {

    /** Prepares items {@code [from, to)}. */
    @FunctionalInterface
    interface Preparer<T> {
        T prepare(int from, int to);
    }

    /** Consumes batch {@code index} (0-based), which covers items {@code [from, to)}. */
    @FunctionalInterface
    interface Consumer<T> {
        void accept(int index, int from, int to, T prepared);
    }

    private BatchPipeline() {
    }

    /**
     * Prepares and consumes {@code n} items in batches of {@code batchSize}.
     *
     * @param ahead the helper thread for preparation, or {@code null} to run sequentially
     * @throws IllegalStateException if interrupted while waiting for a prepared batch (the
     *                               interrupt flag is restored)
     */
    static <T> void run(int n, int batchSize, ExecutorService ahead, Preparer<T> preparer,
            Consumer<T> consumer) {
        if (n < 0 || batchSize < 1) {
            throw new IllegalArgumentException("need n >= 0 and batchSize >= 1, got n = " + n
                    + ", batchSize = " + batchSize);
        }
        int batches = (n + batchSize - 1) / batchSize;
        if (ahead == null || batches <= 1) {
            for (int b = 0; b < batches; b++) {
                int from = b * batchSize;
                int to = Math.min(n, from + batchSize);
                consumer.accept(b, from, to, preparer.prepare(from, to));
            }
            return;
        }
        Future<T> next = submit(ahead, preparer, 0, batchSize, n);
        try {
            for (int b = 0; b < batches; b++) {
                int from = b * batchSize;
                int to = Math.min(n, from + batchSize);
                T prepared = await(next);
                next = b + 1 < batches ? submit(ahead, preparer, b + 1, batchSize, n) : null;
                consumer.accept(b, from, to, prepared);
            }
        } finally {
            if (next != null) {
                next.cancel(false);
            }
        }
    }

    private static <T> Future<T> submit(ExecutorService ahead, Preparer<T> preparer, int b,
            int batchSize, int n) {
        int from = b * batchSize;
        int to = Math.min(n, from + batchSize);
        return ahead.submit(() -> preparer.prepare(from, to));
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a tokenised batch", e);
        } catch (CancellationException e) {
            throw new IllegalStateException("batch preparation was cancelled", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }
}
