package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

class DjlOfflineTest {

    @Test
    void djlRunsOfflineOnOnnxRuntimeWithoutPyTorch() {
        TestSupport.minilm(); // loading configures DJL and loads the tokenizer's native library
        if (System.getenv("DJL_OFFLINE") == null) {
            assertEquals("true", System.getProperty("ai.djl.offline"));
        }
        assertTrue(ai.djl.util.Utils.isOfflineMode(), "DJL must never download");
        assertFalse(Engine.hasEngine("PyTorch"), "PyTorch must stay off the class path");
        assertTrue(Engine.hasEngine(OnnxSentenceEncoder.ENGINE));
        assertEquals("true", System.getProperty("ai.djl.onnx.disable_alternative"));
    }
}
