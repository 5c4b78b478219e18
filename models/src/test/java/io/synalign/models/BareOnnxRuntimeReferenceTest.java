package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.synalign.kernels.FloatMatrix;
import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Independent reference: the same ONNX graph run by a bare {@link OrtSession} (no DJL), fed ids
 * from the same tokenizer.json with the tokenizer's own padding, mean-pooled and normalised in
 * double precision here.
 */
class BareOnnxRuntimeReferenceTest {

    private static final List<String> TEXTS = List.of(
            "How do I reset my password?",
            "A cat naps on the couch while the rain keeps falling outside the old house.",
            "ok");

    private static OrtEnvironment env;
    private static OrtSession session;
    private static HuggingFaceTokenizer tokenizer;

    @BeforeAll
    static void openSession() throws Exception {
        TestSupport.minilm(); // configures DJL offline before the tokenizer loads
        ModelSource source = ModelSpec.minilm().source();
        env = OrtEnvironment.getEnvironment();
        session = env.createSession(source.readModel(), new OrtSession.SessionOptions());
        tokenizer = HuggingFaceTokenizer.newInstance(
                new ByteArrayInputStream(source.readTokenizer()),
                Map.of("padding", "true", "truncation", "true", "maxLength", "128"));
    }

    @AfterAll
    static void closeSession() throws Exception {
        tokenizer.close();
        session.close();
    }

    @Test
    void perTextEncoderMatchesBareSessionOnEachText() throws Exception {
        FloatMatrix actual = TestSupport.minilm().encode(TEXTS);
        for (int i = 0; i < TEXTS.size(); i++) {
            double[][] expected = reference(List.of(TEXTS.get(i)));
            assertRowClose(expected[0], actual, i);
        }
    }

    @Test
    void paddedEncoderMatchesBareSessionOnThePaddedBatch() throws Exception {
        double[][] expected = reference(TEXTS);
        try (OnnxSentenceEncoder padded = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                EncoderOptions.defaults().withBatchMode(BatchMode.PADDED))) {
            FloatMatrix actual = padded.encode(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertRowClose(expected[i], actual, i);
            }
        }
    }

    private static void assertRowClose(double[] expected, FloatMatrix actual, int row) {
        assertEquals(expected.length, actual.cols());
        for (int j = 0; j < expected.length; j++) {
            assertEquals(expected[j], actual.get(row, j), 1e-5, "row " + row + " col " + j);
        }
    }

    /** One session run over the batch, masked mean pooling and L2 norm in double. */
    private static double[][] reference(List<String> texts) throws Exception {
        Encoding[] enc = tokenizer.batchEncode(texts);
        int b = enc.length;
        long[][] ids = new long[b][];
        long[][] mask = new long[b][];
        long[][] types = new long[b][];
        for (int i = 0; i < b; i++) {
            ids[i] = enc[i].getIds();
            mask[i] = enc[i].getAttentionMask();
            types[i] = enc[i].getTypeIds();
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        inputs.put("input_ids", OnnxTensor.createTensor(env, ids));
        inputs.put("attention_mask", OnnxTensor.createTensor(env, mask));
        if (session.getInputNames().contains("token_type_ids")) {
            inputs.put("token_type_ids", OnnxTensor.createTensor(env, types));
        }
        try (OrtSession.Result result = session.run(inputs)) {
            float[][][] hidden = (float[][][]) result.get("last_hidden_state").get().getValue();
            double[][] out = new double[b][hidden[0][0].length];
            for (int i = 0; i < b; i++) {
                int count = 0;
                for (int t = 0; t < mask[i].length; t++) {
                    if (mask[i][t] == 1) {
                        count++;
                        for (int j = 0; j < out[i].length; j++) {
                            out[i][j] += hidden[i][t][j];
                        }
                    }
                }
                assertTrue(count > 0);
                double sq = 0;
                for (int j = 0; j < out[i].length; j++) {
                    out[i][j] /= count;
                    sq += out[i][j] * out[i][j];
                }
                double n = Math.sqrt(sq);
                for (int j = 0; j < out[i].length; j++) {
                    out[i][j] /= n;
                }
            }
            return out;
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }
}
