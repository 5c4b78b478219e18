package io.synalign.examples;

import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.evaluation.DownstreamEvaluation;
import io.synalign.evaluation.StudentConfig;
import io.synalign.evaluation.StudentKind;
import io.synalign.evaluation.TrainingVariant;
import io.synalign.evaluation.VariantResult;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.List;
import java.util.Locale;

/**
 * Trains a small student (logistic regression on frozen embeddings) on real rows and on real
 * plus synthetic rows, with and without the alignment weights, and scores each on a test set:
 * the downstream check of whether the synthetic data helps.
 */
public final class EvaluateStudents {

    private EvaluateStudents() {
    }

    /**
     * @param variants training sets to compare (labels: class indices into {@code classes})
     * @return one result per variant, in order: accuracy and macro-F1, and the MMD^2 of its
     *     (weighted) rows to the test rows
     */
    public static List<VariantResult> evaluate(List<TrainingVariant> variants, FloatMatrix testX,
            int[] testY, List<String> classes, long seed) {
        try (KernelBackend backend = KernelBackends.create("auto")) {
            double sigma = WeightedMmd.bandwidth(backend, seed, testX);
            DownstreamEvaluation evaluation = new DownstreamEvaluation(backend,
                    StudentConfig.defaults(StudentKind.LOGREG), 2, seed);
            return variants.stream()
                    .map(v -> evaluation.evaluate(v, testX, testY, classes, sigma)).toList();
        }
    }

    public static void main(String[] args) {
        java.util.Random random = new java.util.Random(2);
        Labelled real = Labelled.twoClasses(random, 200, 0.0);
        Labelled test = Labelled.twoClasses(random, 200, 0.0);
        Labelled synthetic = Labelled.twoClasses(random, 300, 1.5); // drifted
        double[] w = AlignEmbeddings.align(real.x(), synthetic.x(), 3).weights();
        Labelled mixed = real.plus(synthetic);
        double[] weights = new double[mixed.x().rows()];
        java.util.Arrays.fill(weights, 0, real.x().rows(), 1.0);
        for (int i = 0; i < w.length; i++) {
            weights[real.x().rows() + i] = w[i] * synthetic.x().rows(); // mean 1, like the real rows
        }
        List<VariantResult> results = evaluate(List.of(
                new TrainingVariant("real", real.x(), real.y(), null, null),
                new TrainingVariant("real+synthetic", mixed.x(), mixed.y(), null, null,
                        real.x().rows()),
                new TrainingVariant("real+aligned", mixed.x(), mixed.y(), weights, null,
                        real.x().rows())), test.x(), test.y(), List.of("a", "b"), 9);
        results.forEach(r -> System.out.println(describe(r)));
    }

    /** Rows and their class indices. */
    record Labelled(FloatMatrix x, int[] y) {

        /** n rows per class in 8 dimensions, class b centred 4 apart, all moved by drift. */
        static Labelled twoClasses(java.util.Random random, int n, double drift) {
            FloatMatrix x = FloatMatrix.zeros(2 * n, 8);
            int[] y = new int[2 * n];
            for (int i = 0; i < 2 * n; i++) {
                y[i] = i < n ? 0 : 1;
                for (int j = 0; j < 8; j++) {
                    x.data()[i * 8 + j] = (float) (random.nextGaussian()
                            + (j == 0 ? 4.0 * y[i] : 0) + (j == 1 && i % 2 == 0 ? drift : 0));
                }
            }
            return new Labelled(x, y);
        }

        Labelled plus(Labelled other) {
            FloatMatrix x2 = FloatMatrix.zeros(x.rows() + other.x.rows(), x.cols());
            System.arraycopy(x.data(), 0, x2.data(), 0, x.data().length);
            System.arraycopy(other.x.data(), 0, x2.data(), x.data().length, other.x.data().length);
            int[] y2 = java.util.Arrays.copyOf(y, y.length + other.y.length);
            System.arraycopy(other.y, 0, y2, y.length, other.y.length);
            return new Labelled(x2, y2);
        }
    }

    /** Prints a variant's scores in one line. */
    public static String describe(VariantResult r) {
        return String.format(Locale.ROOT, "%-16s %4d rows  accuracy %.3f ± %.3f  macro-F1 %.3f"
                + "  MMD^2 to test %.4g", r.name(), r.trainRows(), r.accuracy().mean(),
                r.accuracy().std(), r.macroF1().mean(), r.mmd2Overall());
    }
}
