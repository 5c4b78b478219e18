package io.synalign.evaluation;

import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.generation.Seeds;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downstream evaluation of training variants: trains a {@link Student} on each variant
 * {@code repeats} times and scores it on the test rows, and measures how far each variant's
 * distribution is from the test set's ({@link WeightedMmd}, overall and per label).
 *
 * <p>Repeat r of every variant uses the seed {@code Seeds.mix(seed, r)}, so the variants are
 * compared on the same initialisations, splits and shuffles (paired repeats). Cost per variant:
 * {@code repeats} student trainings plus O((n^2 + n t + t^2) d) for the MMD^2 of n training
 * and t test rows.
 *
 * <p>Each repeat's test predictions are kept in the result ({@link
 * VariantResult#testPredictions}, one int a row): a comparison of variants can then resample
 * the test rows ({@link PairedBootstrap}) as well as look at the seeds.
 */
public final class DownstreamEvaluation {

    private static final Logger LOG = LoggerFactory.getLogger(DownstreamEvaluation.class);

    private final KernelBackend backend;
    private final StudentConfig config;
    private final int repeats;
    private final long seed;

    /**
     * @param repeats seeded repeats per variant, {@code >= 1}
     */
    public DownstreamEvaluation(KernelBackend backend, StudentConfig config, int repeats, long seed) {
        if (repeats < 1) {
            throw new IllegalArgumentException("repeats must be at least 1, got " + repeats);
        }
        this.backend = backend;
        this.config = config;
        this.repeats = repeats;
        this.seed = seed;
    }

    /**
     * @param classes class names, index = class
     * @param sigma the RBF bandwidth of every MMD^2 (one for all variants, so they compare)
     */
    public VariantResult evaluate(TrainingVariant variant, FloatMatrix testX, int[] testY,
            List<String> classes, double sigma) {
        double[] accuracy = new double[repeats];
        double[] macroF1 = new double[repeats];
        int[][] predictions = new int[repeats][];
        for (int r = 0; r < repeats; r++) {
            long start = System.nanoTime();
            Student student = Student.train(variant.x(), variant.labels(), variant.weights(),
                    classes.size(), variant.realRows(), config, Seeds.mix(seed, r));
            predictions[r] = student.predict(testX);
            ClassificationScores s = ClassificationScores.of(testY, predictions[r]);
            accuracy[r] = s.accuracy();
            macroF1[r] = s.macroF1();
            LOG.info("variant {} repeat {}: {} epochs (best {}), accuracy {}, macro-F1 {}, {} s",
                    variant.name(), r, student.epochsRun(), student.bestEpoch(), s.accuracy(),
                    s.macroF1(), String.format(java.util.Locale.ROOT, "%.2f",
                            (System.nanoTime() - start) / 1e9));
        }
        double overall = WeightedMmd.mmd2(backend, variant.x(), variant.weights(), testX, sigma);
        Map<String, Double> perLabel = new LinkedHashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            int[] train = rowsOf(variant.labels(), c);
            int[] test = rowsOf(testY, c);
            if (train.length == 0 || test.length == 0) {
                continue;
            }
            double[] w = null;
            if (variant.weights() != null) {
                w = new double[train.length];
                double sum = 0;
                for (int i = 0; i < train.length; i++) {
                    w[i] = variant.weights()[train[i]];
                    sum += w[i];
                }
                if (!(sum > 0)) {
                    continue; // no weight on this label: no distribution to compare
                }
            }
            perLabel.put(classes.get(c), WeightedMmd.mmd2(backend, variant.x().selectRows(train),
                    w, testX.selectRows(test), sigma));
        }
        return new VariantResult(variant.name(), variant.x().rows(), MeanStd.of(accuracy),
                MeanStd.of(macroF1), overall, perLabel, variant.ess(), predictions);
    }

    static int[] rowsOf(int[] labels, int c) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == c) {
                out.add(i);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
