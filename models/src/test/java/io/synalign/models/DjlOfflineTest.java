package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import org.junit.jupiter.api.Test;

class DjlOfflineTest {

    /**
     * Whatever configured DJL first in this JVM (this test or another's load), after a load DJL
     * would neither call home nor download a tokenizer library: it is offline, or opted out of
     * tracking with the CPU build of the tokenizers chosen.
     */
    @Test
    void djlNeitherCallsHomeNorDownloadsOnOnnxRuntimeWithoutPyTorch() {
        TestSupport.minilm(); // loading configures DJL and loads the tokenizer's native library
        if (!Utils.isOfflineMode()) {
            assertEquals("true", Utils.getEnvOrSystemProperty("OPT_OUT_TRACKING"));
            assertEquals("cpu", Utils.getEnvOrSystemProperty("RUST_FLAVOR"));
        }
        assertFalse(Engine.hasEngine("PyTorch"), "PyTorch must stay off the class path");
        assertTrue(Engine.hasEngine(OnnxSentenceEncoder.ENGINE));
    }
}
