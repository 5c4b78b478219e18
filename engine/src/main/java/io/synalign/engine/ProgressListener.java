package io.synalign.engine;

/**
 * Receives progress from long-running engine work. The CLI turns it into a progress line on
 * stderr; libraries may pass {@link #NONE}.
 */
@FunctionalInterface
public interface ProgressListener {

    /** Ignores progress. */
    ProgressListener NONE = (stage, done, total, detail) -> { };

    /**
     * @param stage short name of the current stage, e.g. {@code "kernel"} or {@code "optimise"}
     * @param done units finished so far
     * @param total units in the stage, or -1 if unknown
     * @param detail free text such as the current objective value; may be empty
     */
    void onProgress(String stage, long done, long total, String detail);

    /**
     * A plan for long work, stated before it starts: what is kept in memory, the expected peak
     * and the passes over the input (for instance, random features recomputed from a file that
     * does not fit). Ignored by default.
     */
    default void onPlan(String plan) {
    }
}
