package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.RowSource;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.engine.labelled.LabelledAlignment;
import io.synalign.engine.labelled.LabelledAlignmentResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The step that text {@code align} and {@code run} share: embed the real and synthetic texts
 * with one encoder (through the cache), then fit the weights per label or globally
 * ({@link LabelledAlignment}), checking every engine result before it is used. The caller opens the
 * encoder, so that {@code run} can embed the real texts once and use the same encoder and rows
 * for generation and alignment ({@link #withSynthetic}).
 */
final class TextAligner {

    private static final Logger LOG = LoggerFactory.getLogger(TextAligner.class);

    /** Both sets embedded, and how ({@code align --run-dir} writes the rows, in input order). */
    record Embedded(FloatMatrix real, FloatMatrix synthetic, TextAlignReport.Embedding embedding) {
    }

    /**
     * The weights, how the texts were embedded, and the embeddings themselves (rows in input
     * order; {@code align --run-dir} writes them).
     */
    record Fitted(LabelledAlignmentResult result, TextAlignReport.Embedding embedding,
            FloatMatrix real, FloatMatrix synthetic) {
    }

    private final ModelSpec model;
    private final Path cacheDir;
    private final AlignCommand.Learner learner;
    private final String backend;
    private final AlignmentConfig config;

    /**
     * @param model the encoder's model (for the report)
     * @param cacheDir the embedding cache in use, or null (for the report)
     */
    TextAligner(ModelSpec model, Path cacheDir, AlignCommand.Learner learner, String backend,
            AlignmentConfig config) {
        this.model = model;
        this.cacheDir = cacheDir;
        this.learner = learner;
        this.backend = backend;
        this.config = config;
    }

    /** Embeds both sets of texts with {@code encoder}. */
    Embedded embed(SentenceEncoder encoder, List<String> realTexts, List<String> syntheticTexts,
            StderrProgress progress) {
        long start = System.nanoTime();
        FloatMatrix real = TextEmbedding.encode(encoder, realTexts, progress.encoding("embed real"));
        return withSynthetic(encoder, real, (System.nanoTime() - start) / 1e9, syntheticTexts,
                progress);
    }

    /**
     * Embeds the synthetic texts with {@code encoder}, beside real rows it embedded before.
     *
     * @param realSeconds the time the real rows took (the report gives the sum)
     */
    Embedded withSynthetic(SentenceEncoder encoder, FloatMatrix real, double realSeconds,
            List<String> syntheticTexts, StderrProgress progress) {
        long start = System.nanoTime();
        FloatMatrix synthetic = TextEmbedding.encode(encoder, syntheticTexts,
                progress.encoding("embed synthetic"));
        TextEmbedding.Stats stats = TextEmbedding.stats(encoder);
        double seconds = realSeconds + (System.nanoTime() - start) / 1e9;
        return new Embedded(real, synthetic, new TextAlignReport.Embedding(model.name(),
                model.modelId(), real.cols(), cacheDir, stats, seconds));
    }

    /** Fits the weights of {@code plan} to the embedded sets. */
    Fitted fit(Embedded e, LabelPlan plan, StderrProgress progress) {
        return new Fitted(fit(plan, e.real(), e.synthetic(), progress), e.embedding(), e.real(),
                e.synthetic());
    }

    /** The weights, per label or global; every engine result is checked before it is used. */
    private LabelledAlignmentResult fit(LabelPlan plan, FloatMatrix real, FloatMatrix synthetic,
            StderrProgress progress) {
        LabelledAlignmentResult result;
        try (KernelBackend kernels = KernelBackends.create(backend)) {
            LabelledAlignment alignment = new LabelledAlignment((c, r, s, p) -> {
                AlignmentResult fit = learner.fit(kernels, c, r, RowSource.of(s), p);
                ResultChecks.checkWeights(fit.weights(), s.rows());
                return fit;
            }, config);
            result = alignment.align(plan, real, synthetic, progress);
        }
        ResultChecks.checkWeights(result.weights(), plan.syntheticRows());
        return result;
    }

    /** Every synthetic record with its weight added (an existing weight field is replaced). */
    static List<Record> weightedRecords(List<Record> records, double[] weights) {
        List<Record> out = new ArrayList<>(records.size());
        boolean replaced = false;
        for (int i = 0; i < records.size(); i++) {
            replaced |= records.get(i).has(TextAlignOptions.WEIGHT_FIELD);
            out.add(records.get(i).withField(TextAlignOptions.WEIGHT_FIELD, weights[i]));
        }
        if (replaced) {
            LOG.warn("the synthetic records already have a field {}; its values were replaced",
                    TextAlignOptions.WEIGHT_FIELD);
        }
        return out;
    }
}
