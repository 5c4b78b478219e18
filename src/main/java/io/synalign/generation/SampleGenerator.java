package io.synalign.generation;

import java.util.List;

/**
 * Writes new labelled examples in the manner of a label's real rows. Two implementations:
 * {@link LlmSampleGenerator} (SynAlign's two-stage latent-attribute prompting over a chat LLM)
 * and {@link EdaBaselineGenerator} (a non-LLM EDA baseline for comparison and offline use).
 */
public interface SampleGenerator {

    /** The provenance {@code backend} value, e.g. {@code openai-compatible} or {@code offline-eda-baseline}. */
    String backend();

    /** The provenance {@code model} value. */
    String model();

    /**
     * Generates exactly {@code count} samples of {@code rows.label()}, each accepted by
     * {@code validator} (which remembers them, so later labels do not repeat them).
     *
     * @param seed fixes every random choice; the same inputs and seed give the same samples
     * @throws IllegalStateException when {@code count} valid samples cannot be produced
     */
    List<GeneratedSample> generate(LabelRows rows, int count, SampleValidator validator, long seed);
}
