package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.engine.ProgressListener;
import io.synalign.models.ModelSpec;
import io.synalign.models.OnnxSentenceEncoder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Review 22 (embedded use), reproduction: {@link TextAlignment.Embedded#cache()} (and so the
 * truncation note a caller shows for one alignment) counts every text the encoder has embedded
 * since it was loaded, by this call, by earlier ones and by other threads' calls in flight. A
 * training job keeps one encoder for hours (a load takes seconds): its second call, with no long
 * text at all, reports the first call's truncated texts as its own.
 */
class Review22EmbeddedStatsTest {

    // Review 22 reproduction: fails until fixed; run with -Dreview22=true. Drop this line with the fix.
    @EnabledIfSystemProperty(named = "review22", matches = "true")
    @Test
    void aCallsStatisticsCountItsOwnTexts() {
        List<String> first = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            first.add(i % 2 == 0 ? "long text ".repeat(200) : "short text " + i);
        }
        List<String> second = List.of("a short text", "another short one", "a third");
        TextAlignment alignment = new TextAlignment(TextAlignment.Options.defaults());
        try (OnnxSentenceEncoder encoder = OnnxSentenceEncoder.load(ModelSpec.minilm())) {
            alignment.embed(encoder, first.subList(0, 10), first.subList(10, 20), ProgressListener.NONE);
            TextAlignment.Embedded e = alignment.embed(encoder, second.subList(0, 1), second.subList(1, 3),
                    ProgressListener.NONE);
            assertEquals(3, e.cache().truncation().texts(), "texts counted by the second call's statistics");
            assertEquals(0, e.cache().truncation().truncated(),
                    "truncated texts of the second call (none is long); note: " + e.cache().truncationNote());
        }
    }
}
