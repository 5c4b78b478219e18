package io.synalign.generation;

import java.util.List;

/**
 * The real rows of one label.
 *
 * @param label the label, or {@code null} when the input has no labels
 * @param texts the rows' texts, at least one
 * @param lines each row's line number in the input file (its id in provenance)
 */
public record LabelRows(String label, List<String> texts, List<Long> lines) {

    public LabelRows {
        if (texts == null || texts.isEmpty()) {
            throw new IllegalArgumentException("label " + label + " has no real rows");
        }
        if (lines == null || lines.size() != texts.size()) {
            throw new IllegalArgumentException("label " + label + ": " + texts.size() + " texts but "
                    + (lines == null ? "no" : lines.size()) + " line numbers");
        }
        texts = List.copyOf(texts);
        lines = List.copyOf(lines);
    }

    public int size() {
        return texts.size();
    }

    /** The label as shown in prompts. */
    public String displayLabel() {
        return display(label);
    }

    /** A label as shown in prompts and summaries: {@code (unlabelled)} for none. */
    public static String display(String label) {
        return label == null ? "(unlabelled)" : label;
    }
}
