package io.synalign.cli;

import io.synalign.kernels.FloatMatrix;
import io.synalign.models.EncodeProgress;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.TextEmbedding;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The real rows of a {@code generate} or {@code run}, embedded once: GP demonstration
 * selection (per label), the demonstration coverage (per label) and the alignment (all rows)
 * read their rows from this one matrix instead of running the encoder again.
 *
 * <p>A label's rows are found by text: correct because {@link SentenceEncoder} promises that a
 * text's vector does not depend on its batch-mates, so equal texts have equal rows. Cost: one
 * encoder pass over the real texts, then O(rows x dimension) per {@link #of} call.
 */
final class RealEmbeddings {

    private final FloatMatrix all;
    private final Map<String, Integer> rowOf;

    private RealEmbeddings(List<String> texts, FloatMatrix all) {
        this.all = all;
        this.rowOf = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            rowOf.putIfAbsent(texts.get(i), i);
        }
    }

    /** Embeds {@code texts} (checked by {@link TextEmbedding#encode}), one row each in order. */
    static RealEmbeddings embed(SentenceEncoder encoder, List<String> texts,
            EncodeProgress progress) {
        return new RealEmbeddings(texts, TextEmbedding.encode(encoder, texts, progress));
    }

    /** Every real row, in input order. */
    FloatMatrix all() {
        return all;
    }

    /**
     * The rows of {@code texts}, in their order.
     *
     * @throws IllegalArgumentException naming a text that is not one of the real texts
     */
    FloatMatrix of(List<String> texts) {
        int[] rows = new int[texts.size()];
        for (int i = 0; i < rows.length; i++) {
            Integer r = rowOf.get(texts.get(i));
            if (r == null) {
                throw new IllegalArgumentException("not a real text: '" + texts.get(i) + "'");
            }
            rows[i] = r;
        }
        return all.selectRows(rows);
    }
}
