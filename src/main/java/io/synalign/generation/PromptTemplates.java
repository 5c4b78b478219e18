package io.synalign.generation;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The prompt templates of the generation pipeline: {@value #ATTRIBUTES} (stage 1, latent
 * attribute summary of a demonstration group), {@value #SAMPLES} (stage 2, new examples
 * carrying those attributes) and {@value #SAMPLES_DIRECT} (stage 2 alone, for the ablation
 * without attribute reasoning); for retrieval, {@value #QUERY_ATTRIBUTES} and {@value #QUERIES}
 * ({@link #loadQueries}). The built-in ones are classpath resources under
 * {@code io/synalign/prompts/}; {@code --prompts DIR} replaces either with a file of the same
 * name in DIR. Placeholders {@code {{label}}}, {@code {{demonstrations}}}, {@code {{attributes}}},
 * {@code {{count}}}, {@code {{n}}}, {@code {{hints}}} and {@code {{passage}}} are substituted literally (no escaping:
 * the text goes to the LLM, not to a parser). A section {@code {{#label}}...{{/label}}} is kept only
 * when the rows have a label, so one template reads right for labelled and unlabelled input
 * ({@code {{label}}} outside a section renders empty for unlabelled rows).
 *
 * <p>An unknown lower-case placeholder ({@code {{labels}}}) and a near-miss of a known one
 * ({@code {{Label}}}, {@code {{ demonstrations }}}, {@code {{#count}}}, an unclosed section) are
 * errors when the templates load: they would otherwise reach the LLM verbatim. Other text in
 * double braces ({@code {{Order Number}}}) is the template's own and is sent as written.
 */
public final class PromptTemplates {

    public static final String ATTRIBUTES = "attributes.txt";
    public static final String SAMPLES = "samples.txt";
    /**
     * Stage 2 without stage 1 ({@code --attributes off}, the ablation of latent attribute
     * reasoning): new examples from the demonstrations alone.
     */
    public static final String SAMPLES_DIRECT = "samples-direct.txt";
    /** Stage 1 of query generation for retrieval: the attributes of real queries. */
    public static final String QUERY_ATTRIBUTES = "query-attributes.txt";
    /** Stage 2 of query generation for retrieval: queries for one passage. */
    public static final String QUERIES = "queries.txt";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z]+)}}");
    /** The one conditional section: kept when the value it names is present and not empty. */
    private static final Pattern SECTION = Pattern.compile("\\{\\{#([a-z]+)}}(.*?)\\{\\{/\\1}}", Pattern.DOTALL);
    /** What a reader would take for a placeholder or section marker (any spacing or case). */
    private static final Pattern LOOKS_LIKE = Pattern.compile("\\{\\{\\s*[#/^]?\\s*[A-Za-z_][A-Za-z0-9_ .-]*}}");
    /** The placeholders a section may test. */
    private static final java.util.Set<String> SECTIONS = java.util.Set.of("label");
    private static final java.util.Set<String> KNOWN = java.util.Set.of("label",
            "demonstrations", "attributes", "count", "n", "hints", "passage");

    private final String attributes;
    private final String samples;
    private final String direct;

    private PromptTemplates(String attributes, String samples, String direct) {
        this(ATTRIBUTES, attributes, SAMPLES, samples, direct);
    }

    private PromptTemplates(String attributesName, String attributes, String samplesName,
            String samples, String direct) {
        this.attributes = check(attributesName, attributes);
        this.samples = check(samplesName, samples);
        this.direct = direct == null ? null : check(SAMPLES_DIRECT, direct);
    }

    /** The built-in templates. */
    public static PromptTemplates builtIn() {
        return new PromptTemplates(resource(ATTRIBUTES), resource(SAMPLES), resource(SAMPLES_DIRECT));
    }

    /**
     * The templates of {@code dir} where it has them, else the built-in ones.
     *
     * @throws IllegalArgumentException when dir is not a directory or a template is unreadable
     *     or uses an unknown placeholder
     */
    public static PromptTemplates load(Path dir) {
        if (dir == null) {
            return builtIn();
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": not a directory");
        }
        return new PromptTemplates(file(dir, ATTRIBUTES), file(dir, SAMPLES), file(dir, SAMPLES_DIRECT));
    }

    /**
     * The query-generation templates ({@value #QUERY_ATTRIBUTES}, {@value #QUERIES}, the second
     * with {@code {{passage}}}) of {@code dir} where it has them, else the built-in ones.
     *
     * @throws IllegalArgumentException as {@link #load}
     */
    public static PromptTemplates loadQueries(Path dir) {
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": not a directory");
        }
        return new PromptTemplates(QUERY_ATTRIBUTES, dir == null ? resource(QUERY_ATTRIBUTES)
                : file(dir, QUERY_ATTRIBUTES), QUERIES, dir == null ? resource(QUERIES) : file(dir, QUERIES), null);
    }

    public String renderAttributes(Map<String, String> values) {
        return render(attributes, values);
    }

    public String renderSamples(Map<String, String> values) {
        return render(samples, values);
    }

    /** Stage 2 without attributes ({@value #SAMPLES_DIRECT}). */
    public String renderDirect(Map<String, String> values) {
        if (direct == null) {
            throw new IllegalStateException("these templates have no " + SAMPLES_DIRECT);
        }
        return render(direct, values);
    }

    static String render(String template, Map<String, String> values) {
        Matcher s = SECTION.matcher(template);
        StringBuilder kept = new StringBuilder();
        while (s.find()) {
            String v = values.get(s.group(1));
            s.appendReplacement(kept, Matcher.quoteReplacement(v == null || v.isEmpty() ? "" : s.group(2)));
        }
        s.appendTail(kept);
        Matcher m = PLACEHOLDER.matcher(kept);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v == null ? "" : v));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String check(String name, String text) {
        // Sections first: each opened once, closed, not nested, on a known name.
        Matcher s = SECTION.matcher(text);
        StringBuilder outside = new StringBuilder();
        while (s.find()) {
            if (!SECTIONS.contains(s.group(1))) {
                throw new IllegalArgumentException("prompt template " + name + " has a section {{#"
                        + s.group(1) + "}}; a section may test only " + new java.util.TreeSet<>(SECTIONS));
            }
            // The lazy match ends at the first close, so a nested section shows as a second open.
            if (s.group(2).contains("{{#" + s.group(1) + "}}")) {
                throw new IllegalArgumentException("prompt template " + name + " opens {{#" + s.group(1)
                        + "}} inside {{#" + s.group(1) + "}}: sections do not nest");
            }
            s.appendReplacement(outside, Matcher.quoteReplacement(s.group(2)));
        }
        s.appendTail(outside);
        Matcher m = LOOKS_LIKE.matcher(outside);
        while (m.find()) {
            String token = m.group();
            Matcher exact = PLACEHOLDER.matcher(token);
            if (exact.matches() && KNOWN.contains(exact.group(1))) {
                continue;
            }
            String bare = token.substring(2, token.length() - 2).replaceAll("[\\s#/^]", "")
                    .toLowerCase(java.util.Locale.ROOT);
            // Refused: an unknown lower-case name (as always), and a near-miss of a known one
            // (case, spaces, a section marker). Other brace text ("{{Order Number}}",
            // "{{customer_name}}") is the template's own and goes to the LLM as written.
            if (!exact.matches() && !KNOWN.contains(bare)) {
                continue;
            }
            String hint = token.contains("#") || token.contains("/") ? " (a section that is not closed,"
                    + " or not opened, or not on " + new java.util.TreeSet<>(SECTIONS) + ")"
                    : KNOWN.contains(bare) ? " (write {{" + bare + "}})" : "";
            throw new IllegalArgumentException("prompt template " + name + " uses the unknown placeholder "
                    + token + hint + "; known: " + new java.util.TreeSet<>(KNOWN));
        }
        return text;
    }

    private static String file(Path dir, String name) {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            return resource(name);
        }
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            // The decoder's own words are "Input length = 1".
            throw new IllegalArgumentException("cannot read " + p + ": not valid UTF-8");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + p + ": " + e.getMessage());
        }
    }

    private static String resource(String name) {
        try (InputStream in = PromptTemplates.class.getResourceAsStream("/io/synalign/prompts/" + name)) {
            if (in == null) {
                throw new IllegalStateException("built-in prompt " + name + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
