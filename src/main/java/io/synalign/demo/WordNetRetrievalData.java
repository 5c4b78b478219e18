package io.synalign.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * The retrieval demo's data, from the WordNet 3.1 jar on the classpath: the passages are noun
 * glosses (definition part, at least {@value WordNetSupersenseData#MIN_WORDS} words) of the given
 * supersenses, and a passage's query is its synset's first lemma ("house cat" for "a domestic
 * cat ..."): what a user who knows the word but not the definition would type. Lemmas are kept
 * unique, so each query has exactly one relevant passage.
 *
 * <p>The pool is shuffled with the seed; the corpus is its first {@code corpusSize} passages,
 * the real (few-shot) queries ask for the first {@code real} of them and the test queries for the
 * next {@code test}, so real and test never share a passage. Cost: one pass over WordNet's
 * noun synsets.
 */
public final class WordNetRetrievalData {

    /** One passage and the query that asks for it. */
    public record Passage(String id, String text, String query) {
    }

    /** The corpus, the passages the real queries ask for, and those the test queries ask for. */
    public record Split(List<Passage> corpus, List<Passage> real, List<Passage> test) {
    }

    private WordNetRetrievalData() {
    }

    /**
     * @throws IllegalArgumentException when a supersense is unknown or named twice, a count is
     *     not positive, real + test exceeds the
     *     corpus, or the supersenses have fewer usable glosses than the corpus needs
     */
    public static Split draw(List<String> supersenses, int corpusSize, int real, int test, long seed) {
        if (corpusSize < 1 || real < 1 || test < 1) {
            throw new IllegalArgumentException("corpus, real and test sizes must be at least 1, got "
                    + corpusSize + ", " + real + ", " + test);
        }
        if (real + test > corpusSize) {
            throw new IllegalArgumentException(real + " real and " + test + " test queries need "
                    + (real + test) + " passages; the corpus has " + corpusSize);
        }
        WordNetSupersenseData.checkSupersenses(supersenses);
        List<Passage> pool = pool(new HashSet<>(supersenses));
        if (pool.size() < corpusSize) {
            throw new IllegalArgumentException("the supersenses " + supersenses + " have " + pool.size()
                    + " usable glosses, fewer than the corpus of " + corpusSize);
        }
        Collections.shuffle(pool, new Random(seed));
        List<Passage> corpus = List.copyOf(pool.subList(0, corpusSize));
        return new Split(corpus, corpus.subList(0, real), corpus.subList(real, real + test));
    }

    private static List<Passage> pool(Set<String> supersenses) {
        List<Passage> out = new ArrayList<>();
        Set<String> texts = new HashSet<>();
        Set<String> lemmas = new HashSet<>();
        Set<String> repeated = new HashSet<>();
        try {
            Dictionary dictionary = Dictionary.getDefaultResourceInstance();
            try {
                Iterator<Synset> it = dictionary.getSynsetIterator(POS.NOUN);
                while (it.hasNext()) {
                    Synset s = it.next();
                    if (!supersenses.contains(s.getLexFileName()) || s.getWords().isEmpty()) {
                        continue;
                    }
                    String text = WordNetSupersenseData.definition(s.getGloss());
                    String lemma = s.getWords().get(0).getLemma().replace('_', ' ').strip();
                    if (text.split(" ").length < WordNetSupersenseData.MIN_WORDS || !texts.add(text)) {
                        continue;
                    }
                    if (!lemmas.add(lemma)) {
                        repeated.add(lemma);
                    }
                    out.add(new Passage("wn31-n-" + s.getOffset(), text, lemma));
                }
            } finally {
                dictionary.close();
            }
        } catch (JWNLException e) {
            throw new IllegalStateException("cannot read the bundled WordNet dictionary: " + e.getMessage(), e);
        }
        // A lemma of several synsets ("bank") would have several right answers: drop them all.
        out.removeIf(p -> repeated.contains(p.query()));
        return out;
    }
}
