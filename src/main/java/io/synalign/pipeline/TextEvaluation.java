package io.synalign.pipeline;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.evaluation.DownstreamEvaluation;
import io.synalign.evaluation.StudentConfig;
import io.synalign.evaluation.TrainingVariant;
import io.synalign.evaluation.VariantResult;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.SentenceEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Downstream evaluation of texts: does (aligned) synthetic data train a better small model?
 * Embeds every set with one sentence encoder, then trains a student ({@link StudentConfig}:
 * softmax regression or a one-hidden-layer MLP on the frozen embeddings) on each training
 * variant and scores it on the test rows, {@link Options#repeats()} seeded times:
 *
 * <ul>
 *   <li>{@code real}: the training rows;</li>
 *   <li>{@code real+synthetic}: plus every synthetic row, uniformly;</li>
 *   <li>{@code real+aligned}: plus the aligned rows, either weighted (every synthetic row with
 *       its alignment weight, used as an example weight in the loss, scaled by
 *       {@link #exampleWeights} so the synthetic rows' mean weight is 1 like the real rows') or
 *       already resampled (used uniformly).</li>
 * </ul>
 * Weights enter the loss rather than a resample because a resample adds sampling noise that the
 * repeats would then have to average out; the weights are used as they were learned.
 *
 * <p>Metrics per variant ({@link VariantResult}): accuracy and macro-F1 (mean ± sample std over
 * the repeats), the MMD^2 of the (weighted) training rows to the test rows, overall and per
 * label, with one median-heuristic bandwidth over the train and test rows, and the effective
 * sample size of the weights (weighted variant only).
 *
 * <pre>{@code
 * TextEvaluation evaluation = new TextEvaluation(TextEvaluation.Options.defaults(StudentKind.LOGREG));
 * TextEvaluation.Inputs in = TextEvaluation.Inputs.of(train, test)
 *         .withSynthetic(synthetic).withWeighted(synthetic, weights);
 * try (SentenceEncoder encoder = ...) {
 *     TextEvaluation.Result r = evaluation.evaluate(encoder, in, ProgressListener.NONE);
 * }
 * }</pre>
 *
 * <p>Cost: O(texts) encoder calls, then per variant {@code repeats} student trainings and
 * O((n^2 + n t + t^2) d) for the MMD^2 of n training and t test rows of d dimensions.
 */
public final class TextEvaluation {

    /** The variants' names, in the order they are trained and reported. */
    public static final String REAL = "real";
    public static final String REAL_SYNTHETIC = "real+synthetic";
    public static final String REAL_ALIGNED = "real+aligned";

    /**
     * How to evaluate.
     *
     * @param student the student's architecture and training settings
     * @param repeats seeded trainings per variant, {@code >= 1}
     * @param seed seeds every repeat (initialisation, held-out slice, shuffles) and the
     *     bandwidth sample
     * @param backend the kernel backend's name for the MMD^2 ({@code auto}, {@code nd4j},
     *     {@code cuda}, {@code reference})
     */
    public record Options(StudentConfig student, int repeats, long seed, String backend) {

        /** @throws IllegalArgumentException naming the bad value */
        public Options {
            if (student == null) {
                throw new IllegalArgumentException("student must not be null");
            }
            if (repeats < 1) {
                throw new IllegalArgumentException("repeats must be at least 1, got " + repeats);
            }
            if (backend == null || backend.isBlank()) {
                throw new IllegalArgumentException("backend must be named, got '" + backend + "'");
            }
        }

        /** The student kind's defaults, 3 repeats, seed 0, the best backend available. */
        public static Options defaults(io.synalign.evaluation.StudentKind kind) {
            return new Options(StudentConfig.defaults(kind), 3, 0, "auto");
        }
    }

    /**
     * A label of an evaluated set that the training set does not have: no student could
     * predict it.
     *
     * @see Inputs
     */
    public static final class UnknownLabel extends IllegalArgumentException {

        private static final long serialVersionUID = 1L;

        private final String set;
        private final int row;
        private final String label;

        UnknownLabel(String set, int row, String label, List<String> classes) {
            super("label '" + label + "' of " + set + " row " + row
                    + " does not occur in the training rows (labels there: "
                    + String.join(", ", classes) + ")");
            this.set = set;
            this.row = row;
            this.label = label;
        }

        /** {@code test}, {@code synthetic} or {@code aligned}. */
        public String set() {
            return set;
        }

        /** The row's index in its set. */
        public int row() {
            return row;
        }

        public String label() {
            return label;
        }
    }

    /**
     * The labelled sets to evaluate, checked when built: every set is labelled, the training set
     * has at least two labels (the class list, in order of first occurrence), and every label of
     * another set occurs in it ({@link UnknownLabel} otherwise). Build with {@link #of} and the
     * {@code with} methods.
     *
     * @param synthetic the unaligned synthetic rows, or null (no synthetic variant)
     * @param aligned the aligned rows, or null: weighted (the synthetic rows again) or resampled
     * @param alignedWeights one weight per aligned row (finite, {@code >= 0}, not all 0), or
     *     null when the aligned rows are a resample
     */
    public record Inputs(TextAlignment.Texts train, TextAlignment.Texts test,
            TextAlignment.Texts synthetic, TextAlignment.Texts aligned, double[] alignedWeights) {

        /** @throws IllegalArgumentException naming the set and the problem */
        public Inputs {
            labelled("train", train);
            labelled("test", test);
            if (synthetic != null) {
                labelled("synthetic", synthetic);
            }
            if (aligned != null) {
                labelled("aligned", aligned);
                if (synthetic == null) {
                    throw new IllegalArgumentException("aligned rows need the synthetic rows"
                            + " they are compared with");
                }
            }
            if (alignedWeights != null) {
                if (aligned == null || alignedWeights.length != aligned.texts().size()) {
                    throw new IllegalArgumentException(alignedWeights.length + " weights for "
                            + (aligned == null ? 0 : aligned.texts().size()) + " aligned rows");
                }
                checkWeights(alignedWeights);
                alignedWeights = alignedWeights.clone();
            }
            List<String> classes = classesOf(train);
            if (classes.size() < 2) {
                throw new IllegalArgumentException("the training rows have " + classes.size()
                        + " label(s); a classifier needs at least 2");
            }
            knownLabels("test", test, classes);
            knownLabels("synthetic", synthetic, classes);
            knownLabels("aligned", aligned, classes);
        }

        /** Real training and test rows only: the {@code real} variant. */
        public static Inputs of(TextAlignment.Texts train, TextAlignment.Texts test) {
            return new Inputs(train, test, null, null, null);
        }

        /** Adds the {@code real+synthetic} variant. */
        public Inputs withSynthetic(TextAlignment.Texts rows) {
            return new Inputs(train, test, rows, aligned, alignedWeights);
        }

        /** Adds {@code real+aligned} from weighted rows (weights enter the loss). */
        public Inputs withWeighted(TextAlignment.Texts rows, double[] weights) {
            if (weights == null) {
                throw new IllegalArgumentException("weights must not be null");
            }
            return new Inputs(train, test, synthetic, rows, weights);
        }

        /** Adds {@code real+aligned} from an already resampled set (used uniformly). */
        public Inputs withResampled(TextAlignment.Texts rows) {
            return new Inputs(train, test, synthetic, rows, null);
        }

        /** The class names, index = class: the training labels in order of first occurrence. */
        public List<String> classes() {
            return classesOf(train);
        }

        @Override
        public double[] alignedWeights() {
            return alignedWeights == null ? null : alignedWeights.clone();
        }

        private static void labelled(String set, TextAlignment.Texts texts) {
            if (texts == null) {
                throw new IllegalArgumentException("the " + set + " rows must be given");
            }
            if (texts.labels() == null) {
                throw new IllegalArgumentException("the " + set + " rows have no labels");
            }
        }

        private static void knownLabels(String set, TextAlignment.Texts texts,
                List<String> classes) {
            if (texts == null) {
                return;
            }
            for (int i = 0; i < texts.labels().size(); i++) {
                if (!classes.contains(texts.labels().get(i))) {
                    throw new UnknownLabel(set, i, texts.labels().get(i), classes);
                }
            }
        }

        private static List<String> classesOf(TextAlignment.Texts train) {
            return List.copyOf(new java.util.LinkedHashSet<>(train.labels()));
        }
    }

    /**
     * What an evaluation found.
     *
     * @param classes the class names, index = class
     * @param bandwidth the RBF bandwidth of every MMD^2 (median heuristic over train and test)
     * @param testRows the number of test rows
     * @param testLabels the class index of each test row: the truth that each variant's
     *     {@link VariantResult#testPredictions} are scored against
     * @param variants one result per variant, in the order {@link #REAL},
     *     {@link #REAL_SYNTHETIC}, {@link #REAL_ALIGNED} (those the inputs have)
     */
    public record Result(List<String> classes, double bandwidth, int testRows,
            int[] testLabels, List<VariantResult> variants) {
    }

    private final Options options;

    public TextEvaluation(Options options) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        this.options = options;
    }

    public Options options() {
        return options;
    }

    /**
     * Embeds every set with {@code encoder}, then trains and scores the students. Progress
     * stages: "embed train", "embed test", "embed synthetic", "embed aligned", "train" (one step
     * per variant).
     */
    public Result evaluate(SentenceEncoder encoder, Inputs inputs, ProgressListener progress) {
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        List<String> classes = inputs.classes();
        FloatMatrix realX = embed(encoder, inputs.train(), "train", p);
        FloatMatrix testX = embed(encoder, inputs.test(), "test", p);
        FloatMatrix synthX = inputs.synthetic() == null ? null
                : embed(encoder, inputs.synthetic(), "synthetic", p);
        FloatMatrix alignedX = inputs.aligned() == null ? null
                : embed(encoder, inputs.aligned(), "aligned", p);
        return train(classes, realX, indices(inputs.train(), classes), testX,
                indices(inputs.test(), classes), synthX, indices(inputs.synthetic(), classes),
                alignedX, indices(inputs.aligned(), classes), inputs.alignedWeights(), p);
    }

    private Result train(List<String> classes, FloatMatrix realX, int[] realY, FloatMatrix testX,
            int[] testY, FloatMatrix synthX, int[] synthY, FloatMatrix alignedX, int[] alignedY,
            double[] alignedWeights, ProgressListener progress) {
        List<TrainingVariant> variants = new ArrayList<>();
        variants.add(new TrainingVariant(REAL, realX, realY, null, null));
        if (synthX != null) {
            variants.add(new TrainingVariant(REAL_SYNTHETIC, concat(realX, synthX),
                    concat(realY, synthY), null, null, realX.rows()));
        }
        if (alignedX != null) {
            FloatMatrix x = concat(realX, alignedX);
            int[] y = concat(realY, alignedY);
            variants.add(alignedWeights == null
                    ? new TrainingVariant(REAL_ALIGNED, x, y, null, null, realX.rows())
                    : new TrainingVariant(REAL_ALIGNED, x, y,
                            exampleWeights(realX.rows(), alignedWeights),
                            WeightedMmd.effectiveSampleSize(alignedWeights), realX.rows()));
        }
        List<VariantResult> results = new ArrayList<>();
        double sigma;
        try (KernelBackend backend = KernelBackends.create(options.backend())) {
            sigma = WeightedMmd.bandwidth(backend, options.seed(), realX, testX);
            DownstreamEvaluation evaluation = new DownstreamEvaluation(backend,
                    options.student(), options.repeats(), options.seed());
            for (int v = 0; v < variants.size(); v++) {
                progress.onProgress("train", v, variants.size(), variants.get(v).name());
                results.add(evaluation.evaluate(variants.get(v), testX, testY, classes, sigma));
            }
            progress.onProgress("train", variants.size(), variants.size(), "done");
        }
        return new Result(classes, sigma, testX.rows(), testY.clone(), List.copyOf(results));
    }

    /**
     * Example weights of a training set of real rows followed by weighted synthetic rows: real
     * rows weigh 1; the synthetic weights are scaled to sum to the synthetic row count (mean 1),
     * so neither side dominates the loss by the weights' scale.
     */
    public static double[] exampleWeights(int realRows, double[] synthetic) {
        checkWeights(synthetic); // all 0 gave NaN example weights, a negative one a negative
        double sum = 0;
        for (double v : synthetic) {
            sum += v;
        }
        double[] out = new double[realRows + synthetic.length];
        Arrays.fill(out, 0, realRows, 1.0);
        for (int i = 0; i < synthetic.length; i++) {
            out[realRows + i] = synthetic[i] * synthetic.length / sum;
        }
        return out;
    }

    private static void checkWeights(double[] w) {
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            if (!(w[i] >= 0) || Double.isInfinite(w[i])) {
                throw new IllegalArgumentException("weight " + i + " is " + w[i]
                        + "; weights must be finite numbers >= 0");
            }
            sum += w[i];
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("every weight is 0; nothing to train on");
        }
    }

    private static FloatMatrix embed(SentenceEncoder encoder, TextAlignment.Texts texts,
            String set, ProgressListener progress) {
        String stage = "embed " + set;
        return TextEmbedding.encode(encoder, texts.texts(),
                (done, total) -> progress.onProgress(stage, done, total, ""));
    }

    private static int[] indices(TextAlignment.Texts texts, List<String> classes) {
        if (texts == null) {
            return null;
        }
        int[] out = new int[texts.labels().size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = classes.indexOf(texts.labels().get(i));
        }
        return out;
    }

    private static FloatMatrix concat(FloatMatrix a, FloatMatrix b) {
        float[] data = new float[a.data().length + b.data().length];
        System.arraycopy(a.data(), 0, data, 0, a.data().length);
        System.arraycopy(b.data(), 0, data, a.data().length, b.data().length);
        return new FloatMatrix(a.rows() + b.rows(), a.cols(), data);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
