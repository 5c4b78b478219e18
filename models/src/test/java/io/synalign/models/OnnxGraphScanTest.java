package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OnnxGraphScanTest {

    @Test
    void findsDynamicQuantisationInTheBundledModels() {
        assertTrue(OnnxGraphScan.usesDynamicQuantization(ModelSpec.minilm().source().readModel()));
        assertTrue(OnnxGraphScan.usesDynamicQuantization(
                ModelSpec.bgeSmall().source().readModel()));
    }

    @Test
    void floatGraphsAreNotFlagged() {
        byte[] fake = "\u0008\u0007op_type MatMul QuantizeLinear DynamicQuantize Linear"
                .getBytes(StandardCharsets.US_ASCII);
        assertFalse(OnnxGraphScan.usesDynamicQuantization(fake));
        assertTrue(OnnxGraphScan.usesDynamicQuantization(
                "xxDynamicQuantizeMatMul".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void indexOfHandlesEdges() {
        byte[] hay = "abcabd".getBytes(StandardCharsets.US_ASCII);
        assertEquals(3, OnnxGraphScan.indexOf(hay, "abd".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0, OnnxGraphScan.indexOf(hay, "abcabd".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(-1, OnnxGraphScan.indexOf(hay, "abcabdx".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(-1, OnnxGraphScan.indexOf(new byte[0], new byte[] {1}));
    }
}
