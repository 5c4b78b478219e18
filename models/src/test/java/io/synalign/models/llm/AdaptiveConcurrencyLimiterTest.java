package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AdaptiveConcurrencyLimiterTest {

    @Test
    void additiveIncreaseAfterAWindowOfSuccesses() throws Exception {
        AdaptiveConcurrencyLimiter l = new AdaptiveConcurrencyLimiter(2, 4);
        // Window = current limit: 2 successes -> 3, then 3 successes -> 4, then capped at 4.
        l.acquire().success();
        assertEquals(2, l.limit());
        l.acquire().success();
        assertEquals(3, l.limit());
        for (int i = 0; i < 3; i++) {
            l.acquire().success();
        }
        assertEquals(4, l.limit());
        for (int i = 0; i < 20; i++) {
            l.acquire().success();
        }
        assertEquals(4, l.limit());
    }

    @Test
    void multiplicativeDecreaseOncePerEpochNeverBelowOne() throws Exception {
        AdaptiveConcurrencyLimiter l = new AdaptiveConcurrencyLimiter(16);
        List<AdaptiveConcurrencyLimiter.Permit> burst = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            burst.add(l.acquire());
        }
        // A burst of 429s on requests sent together halves once, not ten times.
        burst.forEach(AdaptiveConcurrencyLimiter.Permit::rateLimited);
        assertEquals(8, l.limit());
        for (int expected : new int[] {4, 2, 1, 1, 1}) {
            l.acquire().rateLimited();
            assertEquals(expected, l.limit());
        }
        assertEquals(0, l.inFlight());
        // Failures other than 429 leave the limit alone.
        l.acquire().failed();
        assertEquals(1, l.limit());
    }

    @Test
    void blocksAtTheLimit() throws Exception {
        AdaptiveConcurrencyLimiter l = new AdaptiveConcurrencyLimiter(1, 1);
        AdaptiveConcurrencyLimiter.Permit p = l.acquire();
        CountDownLatch got = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                l.acquire().success();
                got.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        assertEquals(false, got.await(100, TimeUnit.MILLISECONDS), "second acquire must wait");
        p.success();
        assertTrue(got.await(5, TimeUnit.SECONDS));
        t.join();
    }

    @Test
    void neverMoreInFlightThanTheLimit() throws Exception {
        AdaptiveConcurrencyLimiter l = new AdaptiveConcurrencyLimiter(3);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Thread t = new Thread(() -> {
                for (int k = 0; k < 50; k++) {
                    try {
                        AdaptiveConcurrencyLimiter.Permit p = l.acquire();
                        peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                        Thread.yield();
                        inFlight.decrementAndGet();
                        p.success();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(peak.get() <= 3, "peak " + peak.get());
        assertEquals(0, l.inFlight());
    }

    @Test
    void permitsReleaseOnceAndArgumentsAreValidated() throws Exception {
        AdaptiveConcurrencyLimiter l = new AdaptiveConcurrencyLimiter(2);
        AdaptiveConcurrencyLimiter.Permit p = l.acquire();
        p.success();
        assertThrows(IllegalStateException.class, p::failed);
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveConcurrencyLimiter(0));
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveConcurrencyLimiter(5, 4));
    }
}
