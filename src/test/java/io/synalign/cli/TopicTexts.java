package io.synalign.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Templated sentences on a few topics, for alignment tests: real and synthetic sentences of a
 * topic come from different templates (paraphrase-like), and an unrelated topic (astronomy)
 * supplies off-topic sentences.
 */
final class TopicTexts {

    private TopicTexts() {
    }

    private static final String[] TEAMS = {"the Lions", "the Rovers", "United", "the Hawks",
        "City", "the Tigers", "the Wolves", "the Giants"};
    private static final String[] SPORTS = {"football", "basketball", "rugby", "hockey",
        "baseball", "volleyball"};
    private static final String[] DISHES = {"risotto", "lasagne", "curry", "pancakes", "soup",
        "bread", "stew", "pie"};
    private static final String[] INGREDIENTS = {"garlic", "butter", "fresh basil", "onions",
        "mushrooms", "cream", "lemon zest", "chili"};
    private static final String[] ASSETS = {"the stock", "the bond fund", "the index",
        "the bank's shares", "the portfolio", "the currency"};
    private static final String[] MONEY = {"interest rates", "inflation", "quarterly earnings",
        "the dividend", "the budget deficit", "mortgage costs"};
    private static final String[] SKY = {"a distant galaxy", "the Andromeda nebula",
        "a comet", "Jupiter's moons", "a red dwarf star", "the rings of Saturn", "a supernova"};
    private static final String[] WHEN = {"on Saturday", "last night", "this morning",
        "yesterday", "on Sunday", "this week"};

    /** Real sentences of a topic: sports, cooking or finance. */
    static List<String> real(String topic, int n, long seed) {
        return generate(n, seed, r -> switch (topic) {
            case "sports" -> pick(r, TEAMS) + " beat " + pick(r, TEAMS) + " " + (1 + r.nextInt(5))
                    + "-" + r.nextInt(3) + " in a tense " + pick(r, SPORTS) + " match "
                    + pick(r, WHEN) + ".";
            case "cooking" -> "Add " + pick(r, INGREDIENTS) + " to the " + pick(r, DISHES)
                    + " and let it simmer for " + (5 + r.nextInt(40)) + " minutes.";
            case "finance" -> pick(r, ASSETS) + " fell " + (1 + r.nextInt(9)) + " percent "
                    + pick(r, WHEN) + " as investors worried about " + pick(r, MONEY) + ".";
            default -> throw new IllegalArgumentException(topic);
        });
    }

    /**
     * Paraphrase-like synthetic sentences of a topic: the same kind of statement as
     * {@link #real}, reworded.
     */
    static List<String> synthetic(String topic, int n, long seed) {
        return generate(n, seed, r -> switch (topic) {
            case "sports" -> pick(r, TEAMS) + " defeated " + pick(r, TEAMS) + " "
                    + (1 + r.nextInt(5)) + "-" + r.nextInt(3) + " in a hard-fought "
                    + pick(r, SPORTS) + " game " + pick(r, WHEN) + ".";
            case "cooking" -> "Stir " + pick(r, INGREDIENTS) + " into the " + pick(r, DISHES)
                    + " and simmer it for " + (5 + r.nextInt(40)) + " minutes.";
            case "finance" -> pick(r, ASSETS) + " dropped " + (1 + r.nextInt(9)) + " percent "
                    + pick(r, WHEN) + " as investors fretted over " + pick(r, MONEY) + ".";
            default -> throw new IllegalArgumentException(topic);
        });
    }

    /** Sentences about astronomy, unrelated to every other topic. */
    static List<String> offTopic(int n, long seed) {
        return generate(n, seed, r -> "Astronomers observed " + pick(r, SKY) + " through a "
                + (1 + r.nextInt(9)) + "-metre telescope " + pick(r, WHEN) + ".");
    }

    private interface Sentence {
        String make(Random r);
    }

    private static List<String> generate(int n, long seed, Sentence s) {
        Random r = new Random(seed);
        Set<String> out = new LinkedHashSet<>();
        for (int attempts = 0; out.size() < n; attempts++) {
            if (attempts > 100 * n) {
                throw new IllegalStateException("templates too narrow for " + n + " sentences");
            }
            String sentence = s.make(r);
            out.add(Character.toUpperCase(sentence.charAt(0)) + sentence.substring(1));
        }
        return new ArrayList<>(out);
    }

    private static String pick(Random r, String[] words) {
        return words[r.nextInt(words.length)];
    }
}
