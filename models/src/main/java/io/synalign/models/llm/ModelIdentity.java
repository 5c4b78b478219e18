package io.synalign.models.llm;

/**
 * What a journal key names as the model ({@link ChatModel#modelIdentity}), with how it was
 * learnt, so that a journal can tell an identity the server stated from a fallback.
 *
 * <p>A llama.cpp server is keyed by the model it says it serves ({@link ServedModel}); when a
 * later run cannot ask (the server is stopped, a finished run replayed offline) the name is all
 * the client knows, and keys built on it would miss every entry. A {@link CallJournal} therefore
 * records each {@link Source#SERVED} identity and puts the recorded one in place of an
 * {@link Source#UNSAID} fallback ({@link CallJournal#identityFor}).
 *
 * @param identity what the key names: the model name, or what stands in for it
 * @param source   how {@code identity} was learnt
 * @param server   where the model is served (a base URL, without credentials), for
 *                 {@link Source#SERVED} and {@link Source#UNSAID}; null for {@link Source#FIXED}
 */
public record ModelIdentity(String identity, Source source, String server) {

    /** How an identity was learnt. */
    public enum Source {
        /** Known without asking anyone (a model name, a GGUF file's fingerprint): nothing to record. */
        FIXED,
        /** The server said what it serves just now (it lists the requested model, or one other). */
        SERVED,
        /**
         * The server could not be reached (connection refused, no reply within the timeout):
         * {@code identity} is the requested name as a fallback, which an identity recorded
         * earlier may replace, so that a finished run replays with its server stopped.
         */
        UNSAID,
        /**
         * The server answered but did not say what answers the requested model (an error status,
         * a reply that is no model list, several models none of them the requested one, still
         * loading after the retries): {@code identity} is the requested name, and no recorded
         * identity replaces it, since a live server may serve other weights now (keyed by the
         * record, their replies would be stored under the old weights' keys).
         */
        UNCLEAR
    }

    public ModelIdentity {
        if (identity == null || source == null) {
            throw new IllegalArgumentException("identity and source must be given");
        }
        if ((source == Source.FIXED) != (server == null)) {
            throw new IllegalArgumentException("a server goes with a SERVED, UNSAID or UNCLEAR identity only");
        }
    }

    /** An identity known without asking a server. */
    public static ModelIdentity fixed(String identity) {
        return new ModelIdentity(identity, Source.FIXED, null);
    }
}
