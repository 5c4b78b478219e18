package io.synalign.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SampleValidatorTest {

    @Test
    void rejectsEmptyOutOfBoundsAndDuplicatesOfRealOrEarlierSamples() {
        SampleValidator v = new SampleValidator(List.of("a real row", "another real row"), 3, 20);
        assertNull(v.accept(""));
        assertNull(v.accept("   \n"));
        assertNull(v.accept(null));
        assertEquals(3, v.rejectedEmpty());
        assertNull(v.accept("ab"));
        assertNull(v.accept("x".repeat(21)));
        assertEquals(2, v.rejectedLength());
        assertNull(v.accept("a real row"));
        assertNull(v.accept("  another real row "), "stripped duplicate of a real row");
        assertEquals("new text", v.accept(" new text "));
        assertNull(v.accept("new text"), "duplicate of an accepted sample");
        assertEquals(3, v.rejectedDuplicates());
        assertEquals(2, v.rejectedCopiesOfReal(), "of them, copies of a real row");
        assertEquals("x".repeat(20), v.accept("x".repeat(20)));
    }

    /**
     * Copies as an LLM writes them: the prompts' "Example 2:" label, list markers, numbers,
     * quotes, case, doubled spaces, closing punctuation, compatibility characters (a
     * fullwidth letter, a non-breaking space). Each passed the exact comparison before.
     */
    @Test
    void copiesWrappedTheWayAnLlmWrapsThemAreDuplicates() {
        List<String> copies = List.of("Example 2: The plot made no sense", "1. The plot made no sense",
                "- The plot made no sense", "\u201cThe plot made no sense.\u201d", "THE PLOT MADE  NO SENSE.",
                "the plot made no sense", "Example #3 - \"The plot made\u00a0no sense\"",
                "(4) The plot made no sense...", "\u2022 12) \uff34he plot made no sense");
        for (String c : copies) {
            SampleValidator v = new SampleValidator(List.of("The plot made no sense"), 3, 200);
            assertNull(v.accept(c), c);
            assertEquals(1, v.rejectedDuplicates(), c);
        }
        SampleValidator v = new SampleValidator(List.of("The plot made no sense"), 3, 200);
        // Different words are new, and a new text is kept as written.
        for (String fresh : List.of("The plot made some sense", "The plot made no sense at all",
                "Textbook plot, made no sense", "2 plots made no sense", "...", "\"!\"",
                "The plot made no sense?", "Text: the plot made no sense", "1984. The plot made no sense")) {
            assertEquals(fresh, v.accept(fresh), fresh);
        }
        // Content, not wrapping: a year, a longer number, a colon after a number (a review
        // found "2021: a year to remember" dropped as a copy of "2020: ...").
        SampleValidator years = new SampleValidator(List.of("2020: a year to remember"), 3, 200);
        assertEquals("2021: a year to remember", years.accept("2021: a year to remember"));
        assertEquals("Is it good?", years.accept("Is it good?"));
        assertEquals("Is it good.", years.accept("Is it good."));
        assertNull(v.accept("Example 1: textbook plot, made no sense."), "a copy of an accepted sample");
        assertEquals(1, v.rejectedDuplicates());
    }

    @Test
    void badBoundsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SampleValidator(List.of(), 0, 5));
        assertThrows(IllegalArgumentException.class, () -> new SampleValidator(List.of(), 6, 5));
    }

    @Test
    void quotasSplitTheTotalByLargestRemainder() {
        // shares 5/8, 2/8, 1/8 of 10: 6.25, 2.5, 1.25 -> 6, 2, 1 + one to the largest remainder (0.5).
        assertArrayEquals(new int[] {6, 3, 1}, LabelQuotas.total(new int[] {5, 2, 1}, 10));
        assertArrayEquals(new int[] {4, 4}, LabelQuotas.perLabel(2, 4));
        int[] q = LabelQuotas.total(new int[] {1, 1, 1}, 100);
        assertEquals(100, q[0] + q[1] + q[2]);
        assertArrayEquals(new int[] {34, 33, 33}, q, "ties go to the label seen first");
        // No labels, or no real rows: no shares, a message instead of "/ by zero".
        for (int[] none : new int[][] {{}, {0, 0}}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> LabelQuotas.total(none, 5));
            assertEquals("no real rows to split 5 synthetic rows by (" + none.length
                    + " labels)", e.getMessage());
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LabelQuotas.total(new int[] {3, -1}, 5));
    }
}
