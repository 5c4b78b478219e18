package io.synalign.pipeline;

import io.synalign.data.Record;
import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.labelled.HeldOutCheck;
import io.synalign.engine.labelled.HeldOutResult;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.engine.labelled.LabelledAlignment;
import io.synalign.engine.labelled.LabelledAlignmentResult;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.RowSource;
import io.synalign.models.EncodeTally;
import io.synalign.models.SentenceEncoder;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synthetic distribution alignment of texts, the text form of module 3 of "Few-shot LLM
 * Synthetic Data with Distribution Matching" (WWW 2025): embed the real and the synthetic texts
 * with one sentence encoder, then learn one sampling weight per synthetic text by minimising the
 * MMD to the real texts, per label ({@link LabelMode#PER_LABEL}: every label keeps its share of
 * the real set) or over all rows ({@link LabelMode#GLOBAL}). Every engine result is checked
 * ({@link ResultChecks}) before it is returned.
 *
 * <p>Use from Java:
 * <pre>{@code
 * TextAlignment alignment = new TextAlignment(TextAlignment.Options.defaults());
 * try (SentenceEncoder encoder = ...) {
 *     TextAlignment.Result r = alignment.align(encoder,
 *             new TextAlignment.Texts(realTexts, realLabels),
 *             new TextAlignment.Texts(syntheticTexts, syntheticLabels), ProgressListener.NONE);
 *     double[] weights = r.alignment().weights(); // one per synthetic text, summing to 1
 * }
 * }</pre>
 *
 * <p>The steps can also be called one by one ({@link #plan}, {@link #embed}, {@link #fit}), so
 * that label problems are found before the encoder loads, and so that a caller that embedded the
 * real texts already (for demonstration selection) embeds them once. Cost: embedding
 * O(texts) encoder calls (through the encoder's cache, if it has one), then the weight learner's
 * cost per label ({@link MmdWeightLearner}).
 */
public final class TextAlignment {

    private static final Logger LOG = LoggerFactory.getLogger(TextAlignment.class);

    /** The field a weighted record carries its weight in. */
    public static final String WEIGHT_FIELD = "synalign_weight";

    /**
     * One set of texts and, optionally, their labels.
     *
     * @param texts the texts, in input order
     * @param labels one label per text, or null for unlabelled texts
     */
    public record Texts(List<String> texts, List<String> labels) {

        /** @throws IllegalArgumentException when texts is null or labels does not match it */
        public Texts {
            if (texts == null) {
                throw new IllegalArgumentException("texts must not be null");
            }
            if (labels != null && labels.size() != texts.size()) {
                throw new IllegalArgumentException(labels.size() + " labels for " + texts.size()
                        + " texts");
            }
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i) == null || labels != null && labels.get(i) == null) {
                    throw new IllegalArgumentException((texts.get(i) == null ? "text " : "label ")
                            + i + " is null");
                }
            }
            texts = List.copyOf(texts);
            labels = labels == null ? null : List.copyOf(labels);
        }

        /** Texts without labels. */
        public static Texts unlabelled(List<String> texts) {
            return new Texts(texts, null);
        }
    }

    /**
     * How to align.
     *
     * @param alignment the weight learner's settings (bandwidth, method, iterations, seed, ...)
     * @param mode per label or global
     * @param backend the kernel backend's name ({@code auto}, {@code nd4j}, {@code cuda},
     *     {@code reference})
     */
    public record Options(AlignmentConfig alignment, LabelMode mode, String backend) {

        /**
         * @throws IllegalArgumentException when a part is null or blank, or the backend's name
         *     is not a known one (it was found only after every text was embedded)
         */
        public Options {
            if (alignment == null || mode == null || backend == null || backend.isBlank()) {
                throw new IllegalArgumentException("alignment, mode and backend must be given"
                        + " (got " + alignment + ", " + mode + ", '" + backend + "')");
            }
            io.synalign.kernels.KernelBackends.requireKnown(backend);
        }

        /** The engine's defaults, per label, the best backend available. */
        public static Options defaults() {
            return new Options(AlignmentConfig.defaults(), LabelMode.PER_LABEL, "auto");
        }
    }

    /** One fit of the weight learner on an open backend (replaceable, e.g. in tests). */
    @FunctionalInterface
    public interface WeightLearner {

        /** {@link MmdWeightLearner} with the given configuration. */
        WeightLearner MMD = (backend, config, real, synthetic, progress) ->
                new MmdWeightLearner(backend, config).fit(real, synthetic, progress);

        /** @return one weight per synthetic row, non-negative, summing to 1 */
        AlignmentResult fit(KernelBackend backend, AlignmentConfig config, FloatMatrix real,
                RowSource synthetic, ProgressListener progress);

        /**
         * This learner on {@code backend}, each result's weights checked
         * ({@link ResultChecks#checkWeights}) before it is used: the one form in which the main
         * fits and the held-out check's fits call it.
         */
        default LabelledAlignment.Fitter checked(KernelBackend backend) {
            return (config, real, synthetic, progress) -> {
                AlignmentResult fit = fit(backend, config, real, synthetic, progress);
                ResultChecks.checkWeights(fit.weights(), Math.toIntExact(synthetic.rows()));
                return fit;
            };
        }
    }

    /**
     * Both sets embedded (rows in input order) and how long it took.
     *
     * @param cache the cache and truncation counts of the texts embedded for this alignment only
     *              (hits -1 without a cache): not the encoder's since it was loaded, which a
     *              shared encoder's other calls and threads add to
     */
    public record Embedded(FloatMatrix real, FloatMatrix synthetic, TextEmbedding.Stats cache,
            double seconds) {
    }

    /**
     * What an alignment produced.
     *
     * @param plan the label groups and their target shares
     * @param alignment one weight per synthetic text (in input order) and what happened per label
     * @param embedded the embeddings the weights were fitted to
     */
    public record Result(LabelPlan plan, LabelledAlignmentResult alignment, Embedded embedded) {
    }

    private final Options options;
    private final WeightLearner learner;

    /** Alignment with {@link MmdWeightLearner}. */
    public TextAlignment(Options options) {
        this(options, WeightLearner.MMD);
    }

    public TextAlignment(Options options, WeightLearner learner) {
        if (options == null || learner == null) {
            throw new IllegalArgumentException("options and learner must not be null");
        }
        this.options = options;
        this.learner = learner;
    }

    /** The options this alignment runs with. */
    public Options options() {
        return options;
    }

    /**
     * Groups the rows by label (cheap: no text is embedded), so label problems surface first.
     *
     * @throws LabelPlan.Mismatch when the labels cannot be aligned as asked (for example no
     *     synthetic label in the real set, in per-label mode), naming them and the remedy
     */
    public LabelPlan plan(Texts real, Texts synthetic) {
        return LabelPlan.of(options.mode(), real.labels(), real.texts().size(),
                synthetic.labels(), synthetic.texts().size());
    }

    /**
     * Embeds both sets with {@code encoder}; progress stages "embed real", "embed synthetic". The
     * result's statistics count these texts only, through a tally of this call's own
     * ({@link EncodeTally}).
     */
    public Embedded embed(SentenceEncoder encoder, List<String> real, List<String> synthetic,
            ProgressListener progress) {
        long start = System.nanoTime();
        EncodeTally tally = new EncodeTally();
        FloatMatrix r = TextEmbedding.encode(encoder, real, encoding(progress, "embed real"), tally);
        return withSynthetic(encoder, r, (System.nanoTime() - start) / 1e9, tally, synthetic, progress);
    }

    /**
     * Embeds the synthetic texts with {@code encoder}, beside real rows it embedded before. The
     * result's statistics count the synthetic texts only: the real rows' are the caller's.
     *
     * @param realSeconds the time the real rows took (the result gives the sum)
     */
    public Embedded withSynthetic(SentenceEncoder encoder, FloatMatrix real, double realSeconds,
            List<String> synthetic, ProgressListener progress) {
        return withSynthetic(encoder, real, realSeconds, new EncodeTally(), synthetic, progress);
    }

    /**
     * Embeds the synthetic texts, adding them to {@code tally}, which holds whatever the caller
     * counted before (the real rows, when it embedded them with this tally); the result's
     * statistics are the tally's.
     */
    public Embedded withSynthetic(SentenceEncoder encoder, FloatMatrix real, double realSeconds,
            EncodeTally tally, List<String> synthetic, ProgressListener progress) {
        long start = System.nanoTime();
        FloatMatrix s = TextEmbedding.encode(encoder, synthetic,
                encoding(progress, "embed synthetic"), tally);
        return new Embedded(real, s, TextEmbedding.Stats.of(tally),
                realSeconds + (System.nanoTime() - start) / 1e9);
    }

    /**
     * Fits the weights of {@code plan} to the embedded sets, on a backend opened for the fit.
     *
     * @throws IllegalArgumentException when the learner rejects a label's rows, naming the label
     * @throws IllegalStateException when the learner returns weights that are not a distribution
     */
    public LabelledAlignmentResult fit(LabelPlan plan, Embedded embedded,
            ProgressListener progress) {
        return fit(plan, embedded.real(), RowSource.of(embedded.synthetic()), progress);
    }

    /**
     * Fits the weights of {@code plan} to real rows and synthetic rows read from a source (an
     * embeddings file of any length: each label's rows are read from it as the learner
     * needs them), on a backend opened for the fit.
     *
     * @throws IllegalArgumentException when the learner rejects a label's rows, naming the label
     * @throws IllegalStateException when the learner returns weights that are not a distribution
     */
    public LabelledAlignmentResult fit(LabelPlan plan, FloatMatrix real, RowSource synthetic,
            ProgressListener progress) {
        try (Session session = open()) {
            return session.fit(plan, real, synthetic, progress);
        }
    }

    /**
     * A session for a fit and, later, its held-out check, so that both run on one backend (on
     * cuda one device context, not two) while the caller writes the fit's outputs in between:
     * the check runs after they are written, so that a failure in it cannot cost them. The
     * backend of this alignment's options is opened at the first fit (a caller may open the
     * session before it embeds, and no device context is held meanwhile).
     */
    public Session open() {
        return new Session();
    }

    /** One backend for fits of this alignment, opened when first needed; close it when done. */
    public final class Session implements AutoCloseable {

        private KernelBackend kernels;
        private LabelledAlignment.Fitter fitter;

        private Session() {
        }

        private LabelledAlignment.Fitter fitter() {
            if (kernels == null) {
                kernels = KernelBackends.create(options.backend());
                fitter = learner.checked(kernels);
            }
            return fitter;
        }

        /**
         * The weights of {@code plan} fitted to real rows and synthetic rows read from a source,
         * checked to be a distribution.
         *
         * @throws IllegalArgumentException when the learner rejects a label's rows, naming it
         * @throws IllegalStateException when the learner returns weights that are not a
         *     distribution
         */
        public LabelledAlignmentResult fit(LabelPlan plan, FloatMatrix real, RowSource synthetic,
                ProgressListener progress) {
            LabelledAlignmentResult result = new LabelledAlignment(fitter(), options.alignment())
                    .align(plan, real, synthetic, progress);
            ResultChecks.checkWeights(result.weights(), plan.syntheticRows());
            return result;
        }

        /**
         * The cross-fitted held-out check ({@link HeldOutCheck}) of the alignment {@link #fit}
         * makes of the same plan and rows: K fits per fitted group with this alignment's
         * options and learner, each scored on the real rows it left out. It changes no weight;
         * it only reports.
         *
         * @param folds K, at least 2
         */
        public HeldOutResult heldOut(LabelPlan plan, FloatMatrix real, RowSource synthetic,
                int folds, ProgressListener progress) {
            LabelledAlignment.Fitter checked = fitter();
            return new HeldOutCheck(checked, options.alignment(), kernels, folds)
                    .run(plan, real, synthetic, progress);
        }

        @Override
        public void close() {
            if (kernels != null) {
                kernels.close();
            }
        }
    }

    /** Plan, embed and fit in one call. */
    public Result align(SentenceEncoder encoder, Texts real, Texts synthetic,
            ProgressListener progress) {
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        LabelPlan plan = plan(real, synthetic);
        Embedded embedded = embed(encoder, real.texts(), synthetic.texts(), p);
        return new Result(plan, fit(plan, embedded, p), embedded);
    }

    /**
     * Every record with its weight in {@link #WEIGHT_FIELD} (an existing field of that name is
     * replaced).
     *
     * @throws IllegalArgumentException when the counts differ
     */
    public static List<Record> weightedRecords(List<Record> records, double[] weights) {
        if (records.size() != weights.length) {
            throw new IllegalArgumentException(weights.length + " weights for " + records.size()
                    + " records");
        }
        List<Record> out = new ArrayList<>(records.size());
        boolean replaced = false;
        for (int i = 0; i < records.size(); i++) {
            replaced |= records.get(i).has(WEIGHT_FIELD);
            out.add(records.get(i).withField(WEIGHT_FIELD, weights[i]));
        }
        if (replaced) {
            warnWeightsReplaced();
        }
        return out;
    }

    /** Logs that records already had {@link #WEIGHT_FIELD} and their values were replaced. */
    public static void warnWeightsReplaced() {
        LOG.warn("the synthetic records already have a field {}; its values were replaced",
                WEIGHT_FIELD);
    }

    private static io.synalign.models.EncodeProgress encoding(ProgressListener progress,
            String stage) {
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        return (done, total) -> p.onProgress(stage, done, total, "");
    }
}
