package io.synalign.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EdaBaselineGeneratorTest {

    private static WordNetSynonyms wordNet;
    private static final LabelRows ROWS = new LabelRows("pos", List.of(
            "The movie was a wonderful surprise with a clever plot",
            "Great acting and a beautiful soundtrack",
            "I would happily watch this film again"), List.of(1L, 3L, 5L));

    @BeforeAll
    static void load() {
        wordNet = WordNetSynonyms.load();
    }

    @Test
    void wordNetSynonymsComeFromTheWordsSynsets() {
        List<String> car = wordNet.synonyms("car");
        assertTrue(car.contains("automobile") && car.contains("auto"), car.toString());
        assertTrue(wordNet.synonyms("happy").contains("felicitous"), wordNet.synonyms("happy").toString());
        assertTrue(!car.contains("car"), "the word itself is excluded");
        assertEquals(List.of(), wordNet.synonyms("qzxvbnm"));
    }

    @Test
    void synonymReplacementUsesRealSynonyms() {
        EdaBaselineGenerator eda = new EdaBaselineGenerator(wordNet);
        String out = eda.augment("car", EdaBaselineGenerator.Operation.SYNONYM_REPLACEMENT, new SplittableRandom(1));
        assertTrue(wordNet.synonyms("car").contains(out), out);
    }

    @Test
    void deterministicCountedDistinctAndLabelledAsBaseline() {
        EdaBaselineGenerator eda = new EdaBaselineGenerator(wordNet);
        List<GeneratedSample> a = eda.generate(ROWS, 40, new SampleValidator(ROWS.texts()), 42);
        List<GeneratedSample> b = eda.generate(ROWS, 40, new SampleValidator(ROWS.texts()), 42);
        List<GeneratedSample> c = eda.generate(ROWS, 40, new SampleValidator(ROWS.texts()), 43);
        assertEquals(40, a.size());
        assertEquals(texts(a), texts(b), "same seed, same samples");
        assertNotEquals(texts(a), texts(c), "another seed, other samples");
        Set<String> seen = new HashSet<>();
        Set<String> ops = new HashSet<>();
        for (GeneratedSample s : a) {
            assertTrue(seen.add(s.text()));
            assertTrue(!ROWS.texts().contains(s.text()), "differs from the inputs: " + s.text());
            assertEquals("pos", s.label());
            assertEquals("offline-eda-baseline", s.provenance().path("backend").asText());
            assertTrue(ROWS.lines().contains(s.provenance().path("source_line").asLong()));
            ops.add(s.provenance().path("operation").asText());
        }
        assertEquals(4, ops.size(), "all four EDA operations used: " + ops);
    }

    @Test
    void failsClearlyWhenTheRowsCannotVary() {
        LabelRows tiny = new LabelRows("x", List.of("qzx"), List.of(1L));
        assertThrows(IllegalArgumentException.class,
                () -> new EdaBaselineGenerator(wordNet).generate(tiny, 5, new SampleValidator(tiny.texts()), 1));
    }

    private static List<String> texts(List<GeneratedSample> s) {
        List<String> t = new ArrayList<>();
        s.forEach(x -> t.add(x.text()));
        return t;
    }
}
