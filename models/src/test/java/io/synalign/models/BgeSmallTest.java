package io.synalign.models;

import static io.synalign.models.TestSupport.cosine;
import static io.synalign.models.TestSupport.norm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BgeSmallTest {

    private final OnnxSentenceEncoder bge = TestSupport.bgeSmall();

    @Test
    void givesUnitVectorsOf384Dimensions() {
        assertEquals("bge-small-en-v1.5-q;rev=2", bge.modelId());
        assertEquals(Pooling.CLS, bge.pooling());
        assertEquals(BatchMode.PER_TEXT, bge.batchMode());
        assertEquals(384, bge.dimension());
        FloatMatrix m = bge.encode(TestSupport.variedTexts(6, 1));
        assertEquals(384, m.cols());
        for (int i = 0; i < m.rows(); i++) {
            assertEquals(1.0, norm(m, i), 1e-5);
        }
    }

    @Test
    void paraphrasesScoreHigherThanUnrelatedPairs() {
        for (String[] triple : TestSupport.PARAPHRASE_TRIPLES) {
            FloatMatrix m = bge.encode(Arrays.asList(triple));
            assertTrue(cosine(m, 0, 1) > cosine(m, 0, 2) && cosine(m, 0, 1) > cosine(m, 1, 2),
                    Arrays.toString(triple));
        }
    }

    @Test
    void meanPoolingOverrideChangesVectorsAndId() {
        List<String> texts = List.of("How do I reset my password?");
        try (OnnxSentenceEncoder mean = OnnxSentenceEncoder.load(ModelSpec.bgeSmall(),
                EncoderOptions.defaults().withPooling(Pooling.MEAN))) {
            assertEquals("bge-small-en-v1.5-q;pool=mean;rev=2", mean.modelId());
            assertTrue(TestSupport.maxAbsDiff(bge.encode(texts), mean.encode(texts)) > 1e-3);
        }
    }
}
