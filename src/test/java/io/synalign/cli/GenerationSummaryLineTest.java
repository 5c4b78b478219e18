package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.generation.GeneratedSample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-label counts of generate's summary line. */
class GenerationSummaryLineTest {

    private static GeneratedSample sample(String label) {
        ObjectNode provenance = new ObjectMapper().createObjectNode().put("backend", "b")
                .put("model", "m");
        return new GeneratedSample("text", label, provenance);
    }

    /**
     * Rows written per label, in the quotas' order, "of" the quota where short; unlabelled rows
     * (label null) count under the quotas' key "(unlabelled)" (they were counted under null:
     * "(unlabelled)=0 of 3" for three rows written).
     */
    @Test
    void countsTheRowsWrittenPerLabelUnderTheQuotasKeys() {
        Map<String, Integer> quotas = new LinkedHashMap<>();
        quotas.put("pos", 3);
        quotas.put("neg", 2);
        List<GeneratedSample> samples = new ArrayList<>(List.of(sample("neg"), sample("pos"),
                sample("neg")));
        assertEquals("{pos=1 of 3, neg=2}", GenerationOptions.perLabel(samples, quotas));
        assertEquals("{(unlabelled)=3}", GenerationOptions.perLabel(
                List.of(sample(null), sample(null), sample(null)), Map.of("(unlabelled)", 3)));
    }
}
