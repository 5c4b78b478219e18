package io.synalign.models.llm;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An AIMD (additive increase, multiplicative decrease; TCP congestion control, Jacobson 1988)
 * limit on HTTP requests in flight. The limit starts at {@code initialLimit}; after every
 * window of {@code limit} consecutive successes it grows by one, up to {@code maxLimit}; a 429
 * halves it, never below 1.
 *
 * <p>One burst of 429s must not collapse the limit to 1: every permit remembers the
 * <em>epoch</em> (number of decreases so far) it was issued in, and a 429 on a permit from an
 * older epoch is ignored, since that request was sent before the previous decrease took effect.
 *
 * <p>Each {@link Permit} is released exactly once by {@link Permit#success()},
 * {@link Permit#rateLimited()} or {@link Permit#failed()}. Thread-safe; O(1) per call.
 */
public final class AdaptiveConcurrencyLimiter {

    private final int maxLimit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private int limit;
    private int inFlight;
    private int successesInWindow;
    private long epoch;

    /** Starts at the maximum (the user's {@code --concurrency}). */
    public AdaptiveConcurrencyLimiter(int maxLimit) {
        this(maxLimit, maxLimit);
    }

    public AdaptiveConcurrencyLimiter(int initialLimit, int maxLimit) {
        if (maxLimit < 1) {
            throw new IllegalArgumentException("max concurrency must be at least 1: " + maxLimit);
        }
        if (initialLimit < 1 || initialLimit > maxLimit) {
            throw new IllegalArgumentException(
                    "initial concurrency must be in [1, " + maxLimit + "]: " + initialLimit);
        }
        this.maxLimit = maxLimit;
        this.limit = initialLimit;
    }

    /** Blocks until fewer than {@link #limit()} requests are in flight, then takes a slot. */
    public Permit acquire() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (inFlight >= limit) {
                released.await();
            }
            inFlight++;
            return new Permit(epoch);
        } finally {
            lock.unlock();
        }
    }

    public int limit() {
        lock.lock();
        try {
            return limit;
        } finally {
            lock.unlock();
        }
    }

    public int maxLimit() {
        return maxLimit;
    }

    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    private void release(Permit p, Outcome outcome) {
        lock.lock();
        try {
            inFlight--;
            switch (outcome) {
                case SUCCESS -> {
                    if (++successesInWindow >= limit) {
                        successesInWindow = 0;
                        limit = Math.min(maxLimit, limit + 1);
                    }
                }
                case RATE_LIMITED -> {
                    if (p.epoch == epoch) {
                        epoch++;
                        limit = Math.max(1, limit / 2);
                        successesInWindow = 0;
                    }
                }
                case FAILED -> {
                    // Timeouts and 5xx say nothing reliable about our rate; leave the limit.
                }
            }
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private enum Outcome { SUCCESS, RATE_LIMITED, FAILED }

    /** One slot; release it exactly once. */
    public final class Permit {
        private final long epoch;
        private boolean released;

        private Permit(long epoch) {
            this.epoch = epoch;
        }

        /** The request succeeded: counts towards growing the limit. */
        public void success() {
            finish(Outcome.SUCCESS);
        }

        /** The server answered 429: halves the limit (once per epoch). */
        public void rateLimited() {
            finish(Outcome.RATE_LIMITED);
        }

        /** Any other failure: releases the slot, limit unchanged. */
        public void failed() {
            finish(Outcome.FAILED);
        }

        private synchronized void finish(Outcome o) {
            if (released) {
                throw new IllegalStateException("permit already released");
            }
            released = true;
            release(this, o);
        }
    }
}
