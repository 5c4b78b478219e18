package io.synalign.generation;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A non-LLM BASELINE generator: Easy Data Augmentation (Wei &amp; Zou, "EDA: Easy Data
 * Augmentation Techniques for Boosting Performance on Text Classification Tasks", EMNLP 2019).
 * It is not SynAlign's method; it exists to compare against and to run without any LLM.
 *
 * <p>Each sample takes a real row of the label (a seeded shuffle, cycled) and applies one of the
 * four EDA operations, chosen uniformly, to {@code n = max(1, round(alpha * words))} words
 * (alpha = {@value #ALPHA}, the paper's recommended value):
 * <ul>
 *   <li>SR synonym replacement: n non-stop-words replaced by a random WordNet synonym;</li>
 *   <li>RI random insertion: n times, a random synonym of a random non-stop-word inserted at a
 *       random position;</li>
 *   <li>RS random swap: n times, two random words swapped;</li>
 *   <li>RD random deletion: each word deleted with probability alpha (one kept at least).</li>
 * </ul>
 * Candidates failing validation (unchanged, duplicate) are retried; after
 * {@code 50 * count + 100} tries the label fails. Unlike the paper, case and punctuation are kept
 * (synonyms are looked up on the lower-cased letters of a word). Provenance: {@code backend}
 * {@value #BACKEND}, {@code source_line}, {@code operation}. Cost O(tries * words) plus WordNet
 * lookups.
 */
public final class EdaBaselineGenerator implements SampleGenerator {

    public static final String BACKEND = "offline-eda-baseline";
    public static final String MODEL = "eda-wordnet-3.1";
    static final double ALPHA = 0.1;

    /** The EDA paper's stop-word list (NLTK-derived), abridged to the common function words. */
    static final Set<String> STOP_WORDS = Set.of("i", "me", "my", "myself", "we", "our", "ours",
            "ourselves", "you", "your", "yours", "yourself", "yourselves", "he", "him", "his", "himself",
            "she", "her", "hers", "herself", "it", "its", "itself", "they", "them", "their", "theirs",
            "themselves", "what", "which", "who", "whom", "this", "that", "these", "those", "am", "is",
            "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does",
            "did", "doing", "a", "an", "the", "and", "but", "if", "or", "because", "as", "until",
            "while", "of", "at", "by", "for", "with", "about", "against", "between", "into", "through",
            "during", "before", "after", "above", "below", "to", "from", "up", "down", "in", "out", "on",
            "off", "over", "under", "again", "further", "then", "once", "here", "there", "when", "where",
            "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such",
            "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can",
            "will", "just", "don", "should", "now");

    enum Operation { SYNONYM_REPLACEMENT, RANDOM_INSERTION, RANDOM_SWAP, RANDOM_DELETION }

    private final WordNetSynonyms wordNet;

    public EdaBaselineGenerator(WordNetSynonyms wordNet) {
        this.wordNet = wordNet;
    }

    @Override
    public String backend() {
        return BACKEND;
    }

    @Override
    public String model() {
        return MODEL;
    }

    @Override
    public List<GeneratedSample> generate(LabelRows rows, int count, SampleValidator validator, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = rows.size();
        int[] order = shuffled(n, rnd);
        List<GeneratedSample> out = new ArrayList<>(count);
        long maxTries = 50L * count + 100;
        for (long t = 0; out.size() < count; t++) {
            if (t >= maxTries) {
                throw new IllegalArgumentException("offline baseline: label " + rows.displayLabel()
                        + " yielded only " + out.size() + " distinct augmentations of " + count
                        + " asked for after " + maxTries + " tries; its real rows are too few or too short");
            }
            int row = order[(int) (t % n)];
            Operation op = Operation.values()[rnd.nextInt(4)];
            String text = validator.accept(augment(rows.texts().get(row), op, rnd));
            if (text != null) {
                ObjectNode p = JsonNodeFactory.instance.objectNode();
                p.put("backend", BACKEND);
                p.put("model", MODEL);
                p.put("source_line", rows.lines().get(row));
                p.put("operation", op.name().toLowerCase(Locale.ROOT));
                out.add(new GeneratedSample(text, rows.label(), p));
            }
        }
        return out;
    }

    /** One EDA operation applied to {@code text}. */
    String augment(String text, Operation op, SplittableRandom rnd) {
        List<String> words = new ArrayList<>(Arrays.asList(text.strip().split("\\s+")));
        if (words.size() == 1 && words.get(0).isEmpty()) {
            return "";
        }
        int changes = Math.max(1, (int) Math.round(ALPHA * words.size()));
        switch (op) {
            case SYNONYM_REPLACEMENT -> replaceSynonyms(words, changes, rnd);
            case RANDOM_INSERTION -> insertSynonyms(words, changes, rnd);
            case RANDOM_SWAP -> {
                for (int k = 0; k < changes && words.size() > 1; k++) {
                    int a = rnd.nextInt(words.size());
                    int b = rnd.nextInt(words.size());
                    String w = words.get(a);
                    words.set(a, words.get(b));
                    words.set(b, w);
                }
            }
            case RANDOM_DELETION -> {
                if (words.size() > 1) {
                    List<String> kept = new ArrayList<>();
                    for (String w : words) {
                        if (rnd.nextDouble() >= ALPHA) {
                            kept.add(w);
                        }
                    }
                    words = kept.isEmpty() ? List.of(words.get(rnd.nextInt(words.size()))) : kept;
                }
            }
        }
        return String.join(" ", words);
    }

    private void replaceSynonyms(List<String> words, int changes, SplittableRandom rnd) {
        int[] candidates = shuffled(words.size(), rnd);
        int done = 0;
        for (int i : candidates) {
            if (done >= changes) {
                break;
            }
            String w = words.get(i);
            List<String> syn = synonymsOf(w);
            if (!syn.isEmpty()) {
                words.set(i, w.replace(core(w), syn.get(rnd.nextInt(syn.size()))));
                done++;
            }
        }
    }

    private void insertSynonyms(List<String> words, int changes, SplittableRandom rnd) {
        for (int k = 0; k < changes; k++) {
            for (int tries = 0; tries < 10; tries++) {
                List<String> syn = synonymsOf(words.get(rnd.nextInt(words.size())));
                if (!syn.isEmpty()) {
                    words.add(rnd.nextInt(words.size() + 1), syn.get(rnd.nextInt(syn.size())));
                    break;
                }
            }
        }
    }

    private List<String> synonymsOf(String word) {
        String c = core(word).toLowerCase(Locale.ROOT);
        if (c.isEmpty() || STOP_WORDS.contains(c)) {
            return List.of();
        }
        return wordNet.synonyms(c);
    }

    /** The word without leading and trailing non-letters. */
    static String core(String word) {
        return word.replaceAll("^[^\\p{L}]+|[^\\p{L}]+$", "");
    }

    private static int[] shuffled(int n, SplittableRandom rnd) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
