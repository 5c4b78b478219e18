package io.synalign.models.llm;

import java.util.function.Function;

/**
 * An API key read from an environment variable named by the caller (never from the command
 * line, where it would show in {@code ps} and shell history). The value is only ever written
 * into the {@code Authorization} header; {@link #toString()} names the variable, not the value,
 * and {@link #mask(String)} scrubs the value from any text that leaves this package (server
 * error messages often echo the key back).
 */
public final class ApiKey {

    static final String MASK = "****";

    private final String variable;
    private final String value;

    private ApiKey(String variable, String value) {
        this.variable = variable;
        this.value = value;
    }

    /** Reads the key from {@code System.getenv(variable)}. */
    public static ApiKey fromEnvironment(String variable) {
        return fromEnvironment(variable, System::getenv);
    }

    /**
     * Reads the key from {@code environment.apply(variable)}.
     *
     * @throws IllegalArgumentException naming the variable (never the value) when it is unset or
     *     blank, or holds a character an HTTP header cannot carry (the JDK's own error for that
     *     would quote the whole header, key included)
     */
    public static ApiKey fromEnvironment(String variable, Function<String, String> environment) {
        if (variable == null || variable.isBlank()) {
            throw new IllegalArgumentException("API key environment variable name must not be blank");
        }
        String v = environment.apply(variable);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("environment variable " + variable + " (the API key) is not set");
        }
        String key = v.strip();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                // A key pasted with a curly quote, a zero-width space or a second line: named by
                // position and code point only, the key itself stays out of the message.
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "environment variable %s (the API key) holds U+%04X at character %d of %d;"
                                + " an API key is printable ASCII", variable, (int) c, i + 1,
                        key.length()));
            }
        }
        return new ApiKey(variable, key);
    }

    /** The {@code Authorization} header value. Package-private: only the HTTP client needs it. */
    String bearer() {
        return "Bearer " + value;
    }

    /**
     * Keys shorter than this are not masked, in replies or in any other text: local servers take
     * keys like {@code x} or {@code EMPTY}, and replacing every {@code x} corrupted the generated
     * text, the server's error messages ("ma****_tokens e****ceeds") and the correction sent back
     * to the model, while such a key guards nothing worth hiding.
     */
    static final int MIN_MASKED_IN_REPLIES = 8;

    /**
     * {@code reply} (a model's output) with the key masked, like {@link #mask}, unless the key is
     * shorter than {@value #MIN_MASKED_IN_REPLIES} characters.
     */
    public String maskReply(String reply) {
        return value.length() < MIN_MASKED_IN_REPLIES ? reply : mask(reply);
    }

    /**
     * {@code text} with every occurrence of the key replaced by {@value #MASK}; unchanged for a
     * key shorter than {@value #MIN_MASKED_IN_REPLIES} characters.
     */
    public String mask(String text) {
        if (text == null || value.length() < MIN_MASKED_IN_REPLIES) {
            return text;
        }
        return text.replace(value, MASK);
    }

    @Override
    public String toString() {
        return "ApiKey[$" + variable + "=" + MASK + "]";
    }
}
