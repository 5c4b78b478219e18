package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchPipelineTest {

    private final ExecutorService helper = Executors.newSingleThreadExecutor();

    @AfterEach
    void shutdown() {
        helper.shutdownNow();
    }

    /** Consumes every batch in order, with the ranges of the sequential loop, ahead or not. */
    @Test
    void batchesArriveInOrderWithTheirRanges() {
        for (int n : new int[] {0, 1, 7, 33, 257}) {
            for (int batchSize : new int[] {1, 5, 32, 300}) {
                List<int[]> sequential = consumed(n, batchSize, null);
                List<int[]> ahead = consumed(n, batchSize, helper);
                assertEquals((n + batchSize - 1) / batchSize, sequential.size());
                assertEquals(sequential.size(), ahead.size(), n + " / " + batchSize);
                int next = 0;
                for (int b = 0; b < ahead.size(); b++) {
                    int[] s = sequential.get(b);
                    int[] a = ahead.get(b);
                    assertEquals(b, a[0]);
                    assertEquals(next, a[1], "batch " + b + " starts where the last ended");
                    assertEquals(Math.min(n, next + batchSize), a[2]);
                    assertEquals(s[1], a[1]);
                    assertEquals(s[2], a[2]);
                    assertEquals(a[1] * 1000 + a[2], a[3], "prepared value of this batch");
                    next = a[2];
                }
                assertEquals(n, next);
            }
        }
    }

    @Test
    void preparesOnTheHelperAtMostOneBatchAhead() {
        AtomicInteger prepared = new AtomicInteger();
        AtomicInteger consumed = new AtomicInteger();
        AtomicInteger maxLead = new AtomicInteger();
        List<String> threads = new ArrayList<>();
        Thread caller = Thread.currentThread();
        BatchPipeline.<Integer>run(50, 4, helper, (from, to) -> {
            int lead = prepared.incrementAndGet() - consumed.get();
            maxLead.accumulateAndGet(lead, Math::max);
            if (Thread.currentThread() != caller) {
                synchronized (threads) {
                    threads.add(Thread.currentThread().getName());
                }
            }
            return from;
        }, (b, from, to, value) -> {
            consumed.incrementAndGet();
            sleepQuietly();
        });
        assertEquals(13, prepared.get());
        assertEquals(13, threads.size(), "every batch is prepared on the helper thread");
        assertTrue(maxLead.get() <= 2, "prepared " + maxLead.get() + " batches ahead");
    }

    @Test
    void preparationErrorsReachTheCallerUnchanged() {
        for (ExecutorService ahead : new ExecutorService[] {null, helper}) {
            List<Integer> consumed = new ArrayList<>();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BatchPipeline.<Integer>run(257, 32, ahead, (from, to) -> {
                        if (from <= 200 && 200 < to) {
                            throw new IllegalArgumentException("cannot tokenise text 200");
                        }
                        return from;
                    }, (b, from, to, value) -> consumed.add(b)));
            assertEquals("cannot tokenise text 200", e.getMessage());
            // Batches before the failing one were consumed, none after it.
            assertEquals(List.of(0, 1, 2, 3, 4, 5), consumed);
        }
    }

    @Test
    void consumerErrorsStopThePipeline() {
        IllegalStateException boom = new IllegalStateException("model failed");
        AtomicInteger prepared = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BatchPipeline.<Integer>run(100, 10, helper, (from, to) -> {
                    prepared.incrementAndGet();
                    return from;
                }, (b, from, to, value) -> {
                    if (b == 2) {
                        throw boom;
                    }
                }));
        assertSame(boom, e);
        assertTrue(prepared.get() <= 4, "prepared " + prepared.get() + " batches");
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(IllegalArgumentException.class,
                () -> BatchPipeline.<Integer>run(3, 0, null, (f, t) -> f, (b, f, t, v) -> { }));
        assertThrows(IllegalArgumentException.class,
                () -> BatchPipeline.<Integer>run(-1, 2, null, (f, t) -> f, (b, f, t, v) -> { }));
    }

    /** (batch index, from, to, prepared value) of every consumed batch. */
    private static List<int[]> consumed(int n, int batchSize, ExecutorService ahead) {
        List<int[]> out = new ArrayList<>();
        BatchPipeline.<Integer>run(n, batchSize, ahead, (from, to) -> from * 1000 + to,
                (b, from, to, value) -> out.add(new int[] {b, from, to, value}));
        return out;
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
