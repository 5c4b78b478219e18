package io.synalign.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WordNetSupersenseDataTest {

    private static final List<String> SENSES = List.of("noun.animal", "noun.food", "noun.artifact");
    private static WordNetSupersenseData.Split split;

    @BeforeAll
    static void draw() {
        split = WordNetSupersenseData.draw(SENSES, 8, 30, 11L);
    }

    @Test
    void countsPerLabelAreAsAsked() {
        Map<String, Long> real = split.real().stream()
                .collect(Collectors.groupingBy(WordNetSupersenseData.Example::label, Collectors.counting()));
        Map<String, Long> test = split.test().stream()
                .collect(Collectors.groupingBy(WordNetSupersenseData.Example::label, Collectors.counting()));
        assertEquals(Map.of("animal", 8L, "food", 8L, "artifact", 8L), real);
        assertEquals(Map.of("animal", 30L, "food", 30L, "artifact", 30L), test);
    }

    @Test
    void realAndTestAreDisjointAndWithoutDuplicates() {
        Set<String> texts = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (var e : split.real()) {
            assertTrue(texts.add(e.text()), e.text());
            assertTrue(ids.add(e.synsetId()));
        }
        for (var e : split.test()) {
            assertTrue(texts.add(e.text()), e.text());
            assertTrue(ids.add(e.synsetId()));
        }
    }

    @Test
    void textsAreDefinitionsWithoutUsageExamples() {
        for (var e : split.test()) {
            assertFalse(e.text().contains("\""), e.text());
            assertTrue(e.text().split(" ").length >= WordNetSupersenseData.MIN_WORDS, e.text());
        }
    }

    @Test
    void sameSeedSameSplitOtherSeedOtherSplit() {
        var again = WordNetSupersenseData.draw(SENSES, 8, 30, 11L);
        assertEquals(split, again);
        var other = WordNetSupersenseData.draw(SENSES, 8, 30, 12L);
        assertFalse(split.real().equals(other.real()));
    }

    @Test
    void definitionDropsQuotedExamplesAndTrailingPunctuation() {
        assertEquals("a domestic animal; kept as a pet",
                WordNetSupersenseData.definition("a domestic animal; kept as a pet; \"the dog barked all night\""));
        assertEquals("plain text", WordNetSupersenseData.definition("  plain   text  "));
    }

    @Test
    void badArgumentsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> WordNetSupersenseData.draw(List.of("verb.motion"), 8, 30, 1L));
        assertTrue(e.getMessage().contains("verb.motion"));
        e = assertThrows(IllegalArgumentException.class,
                () -> WordNetSupersenseData.draw(List.of("noun.animal"), 0, 30, 1L));
        assertTrue(e.getMessage().contains("0"));
        e = assertThrows(IllegalArgumentException.class,
                () -> WordNetSupersenseData.draw(List.of("noun.Tops"), 8, 100_000, 1L));
        assertTrue(e.getMessage().contains("noun.Tops"));
        // twice the same pool: the second test set would hold the first few-shot rows
        e = assertThrows(IllegalArgumentException.class,
                () -> WordNetSupersenseData.draw(List.of("noun.food", "noun.animal", "noun.food"),
                        8, 30, 1L));
        assertTrue(e.getMessage().contains("'noun.food' is named twice"), e.getMessage());
    }
}
