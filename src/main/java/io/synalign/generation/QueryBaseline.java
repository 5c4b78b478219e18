package io.synalign.generation;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A non-LLM query writer, the comparison point for retrieval (not SynAlign's method): for each
 * target passage it cuts queries out of the passage itself, in turn
 * <ul>
 *   <li>{@code title}: the title, lowercased (skipped when the passage has none);</li>
 *   <li>{@code span}: 2 to 4 consecutive words from a seeded position;</li>
 *   <li>{@code keywords}: 3 seeded content words (not stop words), in passage order;</li>
 *   <li>{@code question}: "what is" and the title or the passage's first three words,</li>
 * </ul>
 * each validated like any generated row, until K are kept or 4K candidates were tried. The
 * queries copy the passage's words, the drift an aligned set should correct. Cost
 * O(K * passage length) per passage.
 */
public final class QueryBaseline {

    public static final String BACKEND = "offline-query-baseline";
    private static final Set<String> STOP = Set.of("a", "an", "the", "of", "and", "or", "to", "in", "on",
            "is", "are", "was", "were", "be", "by", "for", "with", "as", "at", "from", "that", "this",
            "it", "its", "which", "who", "their", "his", "her", "has", "have", "had", "not", "but");
    private static final String[] METHODS = {"title", "span", "keywords", "question"};

    private QueryBaseline() {
    }

    /**
     * Up to {@code perPassage} queries for each target passage.
     *
     * @param titles each corpus row's title (may be empty)
     * @param texts each corpus row's text
     */
    public static List<QueryGenerator.Query> generate(List<String> titles, List<String> texts, int[] targets,
            int perPassage, SampleValidator validator, long seed) {
        List<QueryGenerator.Query> out = new ArrayList<>();
        for (int t = 0; t < targets.length; t++) {
            int row = targets[t];
            SplittableRandom random = new SplittableRandom(Seeds.mix(seed, row, 7));
            List<String> words = words(texts.get(row));
            String title = titles.get(row).strip().toLowerCase(Locale.ROOT);
            int kept = 0;
            for (int tries = 0; tries < 4 * perPassage && kept < perPassage; tries++) {
                String method = METHODS[tries % METHODS.length];
                String candidate = switch (method) {
                    case "title" -> title;
                    case "span" -> span(words, random);
                    case "keywords" -> keywords(words, random);
                    default -> "what is " + (title.isEmpty() ? String.join(" ",
                            words.subList(0, Math.min(3, words.size()))) : title);
                };
                String text = candidate.isBlank() ? null : validator.accept(candidate);
                if (text != null) {
                    ObjectNode p = JsonNodeFactory.instance.objectNode();
                    p.put("backend", BACKEND);
                    p.put("method", method);
                    out.add(new QueryGenerator.Query(text, row, p));
                    kept++;
                }
            }
        }
        return out;
    }

    /** Lowercased words, punctuation stripped. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}'-]+")) {
            if (!w.isBlank()) {
                out.add(w);
            }
        }
        return out;
    }

    private static String span(List<String> words, SplittableRandom random) {
        if (words.isEmpty()) {
            return "";
        }
        int len = Math.min(words.size(), 2 + random.nextInt(3));
        int start = random.nextInt(words.size() - len + 1);
        return String.join(" ", words.subList(start, start + len));
    }

    private static String keywords(List<String> words, SplittableRandom random) {
        List<Integer> content = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            if (!STOP.contains(words.get(i))) {
                content.add(i);
            }
        }
        if (content.isEmpty()) {
            return "";
        }
        int take = Math.min(3, content.size());
        List<Integer> pick = new ArrayList<>();
        for (int i = 0; i < content.size() && pick.size() < take; i++) {
            // selection sampling: each index kept with probability (needed / left)
            if (random.nextInt(content.size() - i) < take - pick.size()) {
                pick.add(content.get(i));
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int i : pick) {
            sb.append(sb.length() == 0 ? "" : " ").append(words.get(i));
        }
        return sb.toString();
    }
}
