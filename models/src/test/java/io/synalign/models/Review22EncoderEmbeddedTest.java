package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Review 22 (embedded use): the sentence encoder in a JVM that does other things.
 */
class Review22EncoderEmbeddedTest {

    private static final String[] PROPERTIES = {"ai.djl.offline", "OPT_OUT_TRACKING",
        "ai.djl.onnx.disable_alternative", "ai.djl.default_engine"};

    /**
     * Reproduction: loading an encoder sets four JVM-wide system properties (DjlOffline), so a
     * host that uses DJL itself (a PyTorch engine, a model zoo download) finds DJL offline and its
     * default engine switched to OnnxRuntime. Run on its own (the first load in the JVM).
     */
    // Review 22 reproduction: fails until fixed; run with -Dreview22=true. Drop this line with the fix.
    @EnabledIfSystemProperty(named = "review22", matches = "true")
    @Test
    void loadingAnEncoderLeavesTheHostsDjlPropertiesAlone() {
        Map<String, String> before = new HashMap<>();
        for (String p : PROPERTIES) {
            before.put(p, System.getProperty(p));
        }
        try (OnnxSentenceEncoder e = OnnxSentenceEncoder.load(ModelSpec.minilm())) {
            e.encode(List.of("a text"));
        }
        Map<String, String> after = new HashMap<>();
        for (String p : PROPERTIES) {
            after.put(p, System.getProperty(p));
        }
        assertEquals(before, after, "system properties after an encoder's load");
    }

    /** Sound: four threads encoding different texts at once get the rows a lone call gets. */
    @Test
    void concurrentEncodesGiveTheRowsOfSequentialOnes() throws Exception {
        OnnxSentenceEncoder encoder = TestSupport.minilm();
        List<List<String>> inputs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 37 + 5 * t; i++) {
                texts.add("thread " + t + " text " + i + " " + "word ".repeat(i % 13));
            }
            inputs.add(texts);
        }
        List<float[]> alone = new ArrayList<>();
        for (List<String> texts : inputs) {
            alone.add(encoder.encode(texts).data());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<FloatMatrix>> together = new ArrayList<>();
                for (List<String> texts : inputs) {
                    together.add(pool.submit(() -> encoder.encode(texts)));
                }
                for (int t = 0; t < 4; t++) {
                    assertArrayEquals(alone.get(t), together.get(t).get().data(), "thread " + t + " round " + round);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
