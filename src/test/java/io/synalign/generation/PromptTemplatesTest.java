package io.synalign.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Placeholders, the label section, and the templates refused when they load. */
class PromptTemplatesTest {

    @TempDir
    Path dir;

    @Test
    void theLabelSectionIsKeptOnlyWhenTheRowsHaveALabel() {
        String t = "Examples{{#label}} with the label \"{{label}}\"{{/label}}:\n{{demonstrations}}";
        assertEquals("Examples with the label \"pos\":\nA", PromptTemplates.render(t,
                Map.of("label", "pos", "demonstrations", "A")));
        assertEquals("Examples:\nA", PromptTemplates.render(t, Map.of("demonstrations", "A")));
        assertEquals("Examples:\nA", PromptTemplates.render(t, Map.of("label", "", "demonstrations", "A")));
        // Two sections, a section across lines, text between them kept.
        String two = "a{{#label}}[{{label}}\n]{{/label}}b{{#label}}({{label}}){{/label}}c";
        assertEquals("a[x\n]b(x)c", PromptTemplates.render(two, Map.of("label", "x")));
        assertEquals("abc", PromptTemplates.render(two, Map.of()));
    }

    /** The built-in templates never say "(unlabelled)" or "with the label" without a label. */
    @Test
    void builtInPromptsOfUnlabelledRowsNameNoLabel() {
        PromptTemplates t = PromptTemplates.builtIn();
        LabelRows none = new LabelRows(null, List.of("one", "two"), List.of(1L, 2L));
        LabelRows pos = new LabelRows("pos", List.of("one", "two"), List.of(1L, 2L));
        for (LabelRows rows : List.of(none, pos)) {
            Map<String, String> v = LlmSampleGenerator.promptValues(rows, "demonstrations", "Example 1: one",
                    "n", "1", "count", "3", "attributes", "- tone: flat", "hints", "");
            for (String p : List.of(t.renderAttributes(v), t.renderSamples(v), t.renderDirect(v))) {
                assertFalse(p.contains("{{") || p.contains("}}"), p);
                assertFalse(p.contains("(unlabelled)"), p);
                assertEquals(rows.label() != null, p.contains("with the label \"pos\""), p);
                assertEquals(rows.label() != null, p.contains("text classifier"), p);
            }
        }
        // A labelled prompt reads as it did before sections existed (journal keys unchanged).
        Map<String, String> v = LlmSampleGenerator.promptValues(pos, "demonstrations", "D", "n", "2",
                "count", "4", "attributes", "A", "hints", "");
        assertTrue(t.renderSamples(v).startsWith("You are helping to build a training set for a text"
                + " classifier. Here are real examples with the label \"pos\":\n\nD\n"), t.renderSamples(v));
    }

    @Test
    void mistypedPlaceholdersAndBrokenSectionsAreRefusedWhenTheTemplatesLoad() throws IOException {
        Map<String, String> refused = Map.of(
                "Label {{Label}}", "{{Label}} (write {{label}})",
                "{{ demonstrations }}", "{{ demonstrations }} (write {{demonstrations}})",
                "{{labels}}", "unknown placeholder {{labels}}; known:",
                "{{#label}} open", "{{#label}} (a section that is not closed",
                "close {{/label}}", "{{/label}} (a section",
                "{{#count}}x{{/count}}", "a section {{#count}}; a section may test only [label]",
                "{{#label}}a{{#label}}b{{/label}}c{{/label}}", "sections do not nest");
        for (Map.Entry<String, String> e : refused.entrySet()) {
            Files.writeString(dir.resolve(PromptTemplates.SAMPLES), e.getKey());
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> PromptTemplates.load(dir), e.getKey());
            assertTrue(x.getMessage().startsWith("prompt template samples.txt "), x.getMessage());
            assertTrue(x.getMessage().contains(e.getValue()), e.getKey() + " -> " + x.getMessage());
        }
        // JSON braces, a closed section, and the template's own brace text load; the last is
        // sent as written (a review found "{{Order Number}}" refused).
        Files.writeString(dir.resolve(PromptTemplates.SAMPLES), "{{#label}}\"{{label}}\"{{/label}}"
                + " {\"samples\": [{\"text\": \"...\"}]} {{{count}}} like {{Order Number}} or {{customer_name}}");
        assertEquals("\"pos\" {\"samples\": [{\"text\": \"...\"}]} {3} like {{Order Number}} or"
                + " {{customer_name}}", PromptTemplates.load(dir).renderSamples(Map.of("label", "pos", "count", "3")));
    }
}
