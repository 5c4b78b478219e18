package io.synalign.models;

import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Shared fixtures: one encoder per model for the whole test JVM, texts, vector maths. */
final class TestSupport {

    private static OnnxSentenceEncoder minilm;
    private static OnnxSentenceEncoder bgeSmall;

    private TestSupport() {
    }

    /** The default model with default options, loaded once; do not close it. */
    static synchronized OnnxSentenceEncoder minilm() {
        if (minilm == null) {
            minilm = OnnxSentenceEncoder.load(ModelSpec.minilm());
        }
        return minilm;
    }

    /** bge-small with default options, loaded once; do not close it. */
    static synchronized OnnxSentenceEncoder bgeSmall() {
        if (bgeSmall == null) {
            bgeSmall = OnnxSentenceEncoder.load(ModelSpec.bgeSmall());
        }
        return bgeSmall;
    }

    /** (anchor, paraphrase, unrelated) triples. */
    static final String[][] PARAPHRASE_TRIPLES = {
        {"How do I reset my password?", "I forgot my password, how can I change it?",
            "The weather in Paris is sunny today."},
        {"The cat is sleeping on the sofa.", "A cat naps on the couch.",
            "Stock markets fell sharply after the announcement."},
        {"Where is the nearest train station?", "How can I get to the closest railway station?",
            "I love baking chocolate cake on weekends."},
        {"The movie was absolutely fantastic.", "I really enjoyed that film, it was great.",
            "Please submit your tax return by the end of April."},
    };

    /** {@code n} texts of 0 to ~60 words (including the empty string), seeded. */
    static List<String> variedTexts(int n, long seed) {
        String[] words = ("the a quick brown fox jumps over lazy dog password reset account "
                + "login email help support order delivery refund price product service "
                + "customer phone café naïve tokenizer embedding 42 3.14 !? (parenthesis)")
                .split(" ");
        Random random = new Random(seed);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = i == 0 ? 0 : i == 1 ? 1 : 1 + random.nextInt(i % 3 == 0 ? 60 : 12);
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < len; k++) {
                sb.append(k == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
            }
            texts.add(sb.toString());
        }
        return texts;
    }

    static double cosine(FloatMatrix m, int i, int j) {
        double dot = 0;
        double ni = 0;
        double nj = 0;
        for (int k = 0; k < m.cols(); k++) {
            dot += (double) m.get(i, k) * m.get(j, k);
            ni += (double) m.get(i, k) * m.get(i, k);
            nj += (double) m.get(j, k) * m.get(j, k);
        }
        return dot / Math.sqrt(ni * nj);
    }

    static double norm(FloatMatrix m, int i) {
        double s = 0;
        for (int k = 0; k < m.cols(); k++) {
            s += (double) m.get(i, k) * m.get(i, k);
        }
        return Math.sqrt(s);
    }

    static double maxAbsDiff(FloatMatrix a, FloatMatrix b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new AssertionError(a + " vs " + b);
        }
        double max = 0;
        for (int i = 0; i < a.data().length; i++) {
            max = Math.max(max, Math.abs(a.data()[i] - b.data()[i]));
        }
        return max;
    }

    static double maxAbsDiffRow(FloatMatrix a, int i, FloatMatrix b, int j) {
        double max = 0;
        for (int k = 0; k < a.cols(); k++) {
            max = Math.max(max, Math.abs(a.get(i, k) - b.get(j, k)));
        }
        return max;
    }
}
