package io.synalign.evaluation;

import java.util.Map;

/**
 * The downstream scores and distribution metrics of one training variant.
 *
 * @param name the variant's name
 * @param trainRows rows in the variant's training set (before the held-out slice)
 * @param accuracy test accuracy over the repeats
 * @param macroF1 test macro-F1 over the repeats
 * @param mmd2Overall MMD^2 of the (weighted) training rows against all test rows
 * @param mmd2PerLabel per label with test rows, MMD^2 of that label's (weighted) training rows
 *     against that label's test rows, in class order
 * @param ess effective sample size of the variant's weights, or null without weights
 * @param testPredictions per repeat, the predicted class index of each test row (row order of
 *     the test set): what the scores were computed from, kept so that a paired bootstrap over
 *     test rows ({@link PairedBootstrap}) can resample them
 */
public record VariantResult(String name, int trainRows, MeanStd accuracy, MeanStd macroF1,
        double mmd2Overall, Map<String, Double> mmd2PerLabel, Double ess,
        int[][] testPredictions) {
}
