package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What an OpenAI-compatible server says it serves ({@code GET {base}/models}), read against the
 * model a client asks for, and so what a journal key must name as the model
 * ({@link #identity}).
 *
 * <p>Most servers (OpenAI, vLLM, Ollama, TGI, a llama.cpp server started with
 * {@code --alias NAME}) list the model the client asks for, and route by that name: the name then
 * pins the model as well as anything the server offers, and the identity is the name, as it
 * always was, so journals written before this check still replay. A llama.cpp server without an
 * alias lists one model under its file path and answers every request with it, whatever name
 * the request carries: there the name pins nothing, and the identity is what the server reports,
 * its one model id and the {@code meta} fields of its listing that describe the weights
 * ({@link #WEIGHT_FIELDS}: vocabulary, training context, width, parameter count, file size).
 * A server restarted with other weights then misses the journal instead of replaying the old
 * weights' replies; one restarted with the same file keeps its keys (the listing's
 * {@code created} time and other fields are left out).
 *
 * <p>A llama.cpp server that is still loading its weights answers {@code /models} already
 * (its other routes answer 503 "Loading model") with the one model's {@code meta} set to
 * {@code null} (llama.cpp's server, {@code handle_models}: the meta is filled in only once the
 * server is ready). That listing names the model but not its weights, and keying by the id alone
 * would give entries that no run after the loading finds: it is {@link Kind#LOADING}, which the
 * client asks again until the weights show ({@link OpenAiCompatibleChatModel#servedModel}).
 * A single other model listed without any {@code meta} field (a server that never sends one) is
 * {@link Kind#OTHER} keyed by its id: that listing does not change when the server is ready.
 *
 * <p>A listing that cannot be read (no {@code /models} route, an error status, a body that is
 * not a model list), one of several models none of which is the one asked for, and a server
 * still loading leave the identity at the name ({@link ModelIdentity.Source#UNCLEAR}): the
 * server is up and may serve other weights than any it stated before. A server that cannot be
 * reached (connection failed, no reply within the timeout: {@link Kind#UNREACHABLE}) leaves it
 * at the name too, and there a {@link CallJournal} puts the identity this server stated last in
 * its place, if it recorded one ({@link ModelIdentity.Source#UNSAID}), so that a finished run
 * replays with its server stopped.
 *
 * @param kind how the listing relates to the model asked for
 * @param requested the model name the client sends
 * @param servedId the one model the server lists ({@link Kind#OTHER}, {@link Kind#LOADING}), or null
 * @param weights the weight-describing {@code meta} fields of that model, sorted by name; empty
 *     unless {@link Kind#OTHER} with a llama.cpp {@code meta}
 * @param reason why the listing says nothing about the requested model ({@link Kind#UNKNOWN},
 *     {@link Kind#LOADING}, {@link Kind#UNREACHABLE}), or null
 */
public record ServedModel(Kind kind, String requested, String servedId, SortedMap<String, Long> weights,
        String reason) {

    /** How a server's model listing relates to the requested model. */
    public enum Kind {
        /** The requested model is listed: the server answers by name. */
        LISTED,
        /** The server lists one model, another one: it answers with that model whatever the name. */
        OTHER,
        /**
         * The server lists one other model with {@code "meta": null}: a llama.cpp server still
         * loading it, whose weights are not known yet.
         */
        LOADING,
        /** No usable listing, or several models none of which is the requested one. */
        UNKNOWN,
        /** The server could not be reached (connection failed, no reply within the timeout). */
        UNREACHABLE
    }

    /**
     * The {@code meta} fields of a llama.cpp listing that are properties of the weights file; the
     * others it may carry (runtime settings) are not.
     */
    static final List<String> WEIGHT_FIELDS = List.of("vocab_type", "n_vocab", "n_ctx_train", "n_embd",
            "n_params", "size");

    /**
     * How a note ends when a live server did not say: a recorded identity does not stand in (the
     * server may serve other weights now; see {@link ModelIdentity.Source#UNCLEAR}).
     */
    private static final String BY_NAME = "journal entries are keyed by the requested model";

    /** How a note ends when the server could not be reached: see {@link CallJournal#identityFor}. */
    private static final String FALLBACK = "journal entries are keyed by what it served when a journal last"
            + " recorded it, or else by the requested model";

    /** The longest server-reported id quoted in a note (a path can be long; the key keeps all). */
    private static final int MAX_QUOTED_CHARS = 200;

    public ServedModel {
        if (kind == null || requested == null) {
            throw new IllegalArgumentException("kind and requested model must be given");
        }
        if ((kind == Kind.OTHER || kind == Kind.LOADING) != (servedId != null)) {
            throw new IllegalArgumentException("a served model id goes with kind OTHER or LOADING only");
        }
        weights = Collections.unmodifiableSortedMap(new TreeMap<>(weights == null ? Map.of() : weights));
    }

    /** A listing that could not be had or read, for {@code reason}. */
    static ServedModel unknown(String requested, String reason) {
        return new ServedModel(Kind.UNKNOWN, requested, null, null, reason);
    }

    /** A server that could not be reached, for {@code reason}. */
    static ServedModel unreachable(String requested, String reason) {
        return new ServedModel(Kind.UNREACHABLE, requested, null, null, reason);
    }

    /**
     * Reads a {@code GET /models} reply body ({@code {"data": [{"id": ..., "meta": {...}}, ...]}})
     * against {@code requested}. An id equal to the requested name lists it, and so does
     * {@code NAME:latest} for a requested {@code NAME} (Ollama's default tag, which it applies to
     * an untagged name).
     */
    static ServedModel fromListing(String requested, String body) {
        JsonNode root;
        try {
            root = body == null ? null : Json.MAPPER.readTree(body);
        } catch (IOException e) {
            root = null;
        }
        JsonNode data = root == null ? null : root.get("data");
        if (data == null || !data.isArray()) {
            return unknown(requested, "the reply is not a model list");
        }
        JsonNode only = null;
        int models = 0;
        for (JsonNode m : data) {
            JsonNode id = m.get("id");
            if (id == null || !id.isTextual()) {
                continue;
            }
            models++;
            only = m;
            if (id.textValue().equals(requested) || id.textValue().equals(requested + ":latest")) {
                return new ServedModel(Kind.LISTED, requested, null, null, null);
            }
        }
        if (models == 0) {
            return unknown(requested, "the model list is empty");
        }
        if (models > 1) {
            return unknown(requested, "it lists " + models + " models, none of them '"
                    + quoted(requested) + "'");
        }
        SortedMap<String, Long> weights = new TreeMap<>();
        JsonNode meta = only.get("meta");
        if (meta != null && !meta.isObject()) { // null while a llama.cpp server loads its model
            return new ServedModel(Kind.LOADING, requested, only.get("id").textValue(), null,
                    "it is still loading its model");
        }
        if (meta != null) {
            for (String f : WEIGHT_FIELDS) {
                JsonNode v = meta.get(f);
                if (v != null && v.isIntegralNumber() && v.canConvertToLong()) {
                    weights.put(f, v.longValue());
                }
            }
        }
        return new ServedModel(Kind.OTHER, requested, only.get("id").textValue(), weights, null);
    }

    /** Whether the server said what answers the requested model ({@link Kind#LISTED}, {@link Kind#OTHER}). */
    public boolean said() {
        return kind == Kind.LISTED || kind == Kind.OTHER;
    }

    /**
     * What a journal key names as the model: the requested name, or, for a server that serves
     * another model whatever the name ({@link Kind#OTHER}), the canonical JSON of its id and
     * weight fields, {@code {"served":ID,"weights":{...}}}, which no model name is.
     */
    public String identity() {
        if (kind != Kind.OTHER) {
            return requested;
        }
        ObjectNode o = Json.object();
        o.put("served", servedId);
        ObjectNode w = o.putObject("weights");
        weights.forEach(w::put);
        return Json.write(Json.canonical(o));
    }

    /**
     * The {@link Kind#OTHER} model whose {@link #identity} is {@code identity} (as a journal's
     * record keeps it, {@link CallJournal#recordedIdentityInUse}), requested as
     * {@code requested}; null when {@code identity} is not one (a model name: the record of a
     * server that lists the requested model, or text no listing gave). Read back exactly: the
     * result's {@link #identity} is {@code identity} character for character, or null is
     * returned, so what a run records is what keyed its replies.
     */
    public static ServedModel fromIdentity(String requested, String identity) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(identity);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (root == null || !root.isObject() || root.size() != 2 || !root.path("served").isTextual()
                || !root.path("weights").isObject()) {
            return null;
        }
        SortedMap<String, Long> weights = new TreeMap<>();
        for (java.util.Iterator<Map.Entry<String, JsonNode>> it = root.get("weights").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isIntegralNumber() || !f.getValue().canConvertToLong()) {
                return null;
            }
            weights.put(f.getKey(), f.getValue().longValue());
        }
        ServedModel m = new ServedModel(Kind.OTHER, requested, root.get("served").textValue(), weights, null);
        return m.identity().equals(identity) ? m : null;
    }

    /** One line for the user, naming the server by {@code base} (its base URL). */
    public String note(String base) {
        return switch (kind) {
            case LISTED -> "the server at " + base + " lists the requested model '" + quoted(requested)
                    + "'; journal entries are keyed by it";
            case OTHER -> "the server at " + base + " serves '" + quoted(servedId) + "', not the requested '"
                    + quoted(requested) + "'; journal entries are keyed by '" + quoted(servedId) + "'"
                    + (weights.isEmpty() ? "" : " and its " + String.join(", ", weights.keySet()));
            case LOADING -> "the server at " + base + " is still loading '" + quoted(servedId)
                    + "' and did not say which weights it serves; " + BY_NAME + " '" + quoted(requested) + "'";
            case UNKNOWN -> "the server at " + base + " did not say which model it serves (" + reason
                    + "); " + BY_NAME + " '" + quoted(requested) + "'";
            case UNREACHABLE -> "the server at " + base + " could not be reached (" + reason
                    + "); " + FALLBACK + " '" + quoted(requested) + "'";
        };
    }

    /**
     * {@code text} (a server's, so anything) fit for one line on a terminal: control and
     * bidirectional formatting characters replaced by U+FFFD (as the command line's
     * {@code SafeText} does: an ESC would recolour the terminal, a newline forge a line), the
     * length bounded.
     */
    static String quoted(String text) {
        StringBuilder sb = new StringBuilder(text);
        for (int i = 0; i < sb.length(); i++) {
            char ch = sb.charAt(i);
            if (Character.isISOControl(ch) || ch >= '\u202a' && ch <= '\u202e' || ch >= '\u2066' && ch <= '\u2069') {
                sb.setCharAt(i, '\ufffd');
            }
        }
        return sb.length() > MAX_QUOTED_CHARS ? sb.substring(0, MAX_QUOTED_CHARS) + "..." : sb.toString();
    }
}
