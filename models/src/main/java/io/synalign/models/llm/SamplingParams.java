package io.synalign.models.llm;

/**
 * Sampling parameters sent with a chat request. A {@code null} field is not sent, so the
 * server's default applies.
 *
 * @param temperature in [0, 2]
 * @param topP        in (0, 1]
 * @param maxTokens   at least 1
 * @param seed        any value; servers that support it make sampling reproducible with it
 */
public record SamplingParams(Double temperature, Double topP, Integer maxTokens, Long seed) {

    /** Server defaults for everything. */
    public static final SamplingParams DEFAULTS = new SamplingParams(null, null, null, null);

    public SamplingParams {
        if (temperature != null && !(temperature >= 0.0 && temperature <= 2.0)) {
            throw new IllegalArgumentException("temperature must be in [0, 2]: " + temperature);
        }
        if (topP != null && !(topP > 0.0 && topP <= 1.0)) {
            throw new IllegalArgumentException("top_p must be in (0, 1]: " + topP);
        }
        if (maxTokens != null && maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be at least 1: " + maxTokens);
        }
    }

    /**
     * {@code seed} folded to a non-negative 31-bit int, for servers and libraries that take no
     * more: llama.cpp (a negative seed means random) and TGI (an unsigned seed: HTTP 422 for a
     * negative one). One fold for both, so a seed means the same to either.
     */
    static int seed31(long seed) {
        return (int) (seed ^ (seed >>> 32)) & Integer.MAX_VALUE;
    }

    public SamplingParams withSeed(Long newSeed) {
        return new SamplingParams(temperature, topP, maxTokens, newSeed);
    }
}
