package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.textalign.LabelPlan;
import io.synalign.textalign.TextAlignment;
import io.synalign.textalign.TextAlignmentResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The step that text {@code align} and {@code run} share: embed the real and synthetic texts
 * with one encoder (through the cache), then fit the weights per label or globally
 * ({@link TextAlignment}), checking every engine result before it is used.
 */
final class TextAligner {

    private static final Logger LOG = LoggerFactory.getLogger(TextAligner.class);

    /**
     * The weights, how the texts were embedded, and the embeddings themselves (rows in input
     * order; {@code align --run-dir} writes them).
     */
    record Fitted(TextAlignmentResult result, TextAlignReport.Embedding embedding,
            FloatMatrix real, FloatMatrix synthetic) {
    }

    private final EmbeddingOptions embedding;
    private final EmbeddingOptions.EncoderLoader loader;
    private final ModelSpec model;
    private final EncoderOptions encoderOptions;
    private final Path cacheDir;
    private final AlignCommand.Learner learner;
    private final String backend;
    private final AlignmentConfig config;

    TextAligner(EmbeddingOptions embedding, EmbeddingOptions.EncoderLoader loader, ModelSpec model,
            EncoderOptions encoderOptions, Path cacheDir, AlignCommand.Learner learner,
            String backend, AlignmentConfig config) {
        this.embedding = embedding;
        this.loader = loader;
        this.model = model;
        this.encoderOptions = encoderOptions;
        this.cacheDir = cacheDir;
        this.learner = learner;
        this.backend = backend;
        this.config = config;
    }

    /** Embeds both sets of texts, then fits the weights of {@code plan}. */
    Fitted embedAndFit(List<String> realTexts, List<String> syntheticTexts, LabelPlan plan,
            StderrProgress progress) {
        long start = System.nanoTime();
        FloatMatrix real;
        FloatMatrix synthetic;
        TextEmbedding.Stats stats;
        try (SentenceEncoder encoder = embedding.open(loader, model, encoderOptions, cacheDir)) {
            real = TextEmbedding.encode(encoder, realTexts, progress.encoding("embed real"));
            synthetic = TextEmbedding.encode(encoder, syntheticTexts,
                    progress.encoding("embed synthetic"));
            stats = TextEmbedding.stats(encoder);
        }
        TextAlignReport.Embedding embedded = new TextAlignReport.Embedding(model.name(),
                model.modelId(), real.cols(), cacheDir, stats, (System.nanoTime() - start) / 1e9);
        return new Fitted(fit(plan, real, synthetic, progress), embedded, real, synthetic);
    }

    /** The weights, per label or global; every engine result is checked before it is used. */
    private TextAlignmentResult fit(LabelPlan plan, FloatMatrix real, FloatMatrix synthetic,
            StderrProgress progress) {
        TextAlignmentResult result;
        try (KernelBackend kernels = KernelBackends.create(backend)) {
            TextAlignment alignment = new TextAlignment((c, r, s, p) -> {
                AlignmentResult fit = learner.fit(kernels, c, r, s, p);
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
