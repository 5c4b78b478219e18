package io.synalign.generation;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One synthetic row.
 *
 * @param text       the generated text
 * @param label      its label ({@code null} for unlabelled input)
 * @param provenance how it was made: at least {@code backend} and {@code model}; the LLM
 *                   generator adds {@code demo_lines}, {@code summary_id} and {@code attributes},
 *                   the baseline {@code source_line} and {@code operation}
 */
public record GeneratedSample(String text, String label, ObjectNode provenance) {

    public GeneratedSample {
        if (text == null) {
            throw new IllegalArgumentException("sample text must not be null");
        }
        if (provenance == null || !provenance.hasNonNull("backend") || !provenance.hasNonNull("model")) {
            throw new IllegalArgumentException("sample provenance must name backend and model: " + provenance);
        }
        provenance = provenance.deepCopy();
    }

    @Override
    public ObjectNode provenance() {
        return provenance.deepCopy();
    }
}
