package io.synalign.models.llm;

import java.time.Duration;

/** Waits between retries; injectable so tests record the waits instead of sleeping. */
@FunctionalInterface
public interface Sleeper {

    /** {@link Thread#sleep(long)}. */
    Sleeper SYSTEM = d -> Thread.sleep(d.toMillis());

    void sleep(Duration duration) throws InterruptedException;
}
