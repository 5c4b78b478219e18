package io.synalign.models.llm;

import java.time.Duration;
import java.util.Random;

/**
 * When and how long to retry a failed HTTP call: capped exponential backoff with FULL jitter
 * (Brooker, "Exponential Backoff and Jitter", AWS Architecture Blog, 2015):
 * {@code sleep = uniform(0, min(maxDelay, baseDelay * 2^retry))}. Full jitter spreads the retries
 * of many clients that failed together (a 429 burst) over the whole window instead of
 * synchronising them. A {@code Retry-After} header raises the wait to at least its value.
 *
 * @param maxAttempts   HTTP attempts per request, the first included (the retry budget)
 * @param baseDelay     backoff window of the first retry
 * @param maxDelay      cap on the backoff window
 * @param maxRetryAfter a {@code Retry-After} longer than this fails the call instead of waiting
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration maxRetryAfter) {

    /** 8 attempts, 500 ms base, 30 s cap, Retry-After honoured up to 10 minutes. */
    public static final RetryPolicy DEFAULT =
            new RetryPolicy(8, Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMinutes(10));

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
        if (baseDelay == null || baseDelay.isNegative()) {
            throw new IllegalArgumentException("baseDelay must be >= 0: " + baseDelay);
        }
        if (maxDelay == null || maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException("maxDelay must be >= baseDelay: " + maxDelay);
        }
        if (maxRetryAfter == null || maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("maxRetryAfter must be >= 0: " + maxRetryAfter);
        }
    }

    public RetryPolicy withMaxAttempts(int n) {
        return new RetryPolicy(n, baseDelay, maxDelay, maxRetryAfter);
    }

    /** The exponential window before jitter for retry number {@code retry} (0 = first retry). */
    Duration window(int retry) {
        long base = baseDelay.toMillis();
        long cap = maxDelay.toMillis();
        // Shift only while it cannot overflow; beyond that the cap applies anyway.
        long w = retry >= 30 ? cap : Math.min(cap, base << retry);
        return Duration.ofMillis(w);
    }

    /** Full-jitter backoff for retry number {@code retry}: uniform in [0, window(retry)]. */
    Duration backoff(int retry, Random random) {
        long w = window(retry).toMillis();
        return Duration.ofMillis(w == 0 ? 0 : (long) (random.nextDouble() * (w + 1)));
    }
}
