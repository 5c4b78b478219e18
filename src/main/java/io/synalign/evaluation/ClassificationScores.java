package io.synalign.evaluation;

import java.util.TreeSet;

/**
 * Accuracy and macro-F1 of predicted class indices against true ones. Macro-F1 is the unweighted
 * mean of the per-class F1 {@code 2 TP / (2 TP + FP + FN)} over the classes present in the truth
 * or the predictions (scikit-learn's {@code f1_score(average='macro')}); a class with no true
 * positive gets 0. Cost O(n + classes).
 *
 * @param accuracy share of rows predicted correctly
 * @param macroF1 mean per-class F1
 */
public record ClassificationScores(double accuracy, double macroF1) {

    /**
     * @throws IllegalArgumentException when the arrays differ in length or are empty
     */
    public static ClassificationScores of(int[] truth, int[] predicted) {
        if (truth.length != predicted.length || truth.length == 0) {
            throw new IllegalArgumentException("need equal, non-zero numbers of true and predicted"
                    + " labels, got " + truth.length + " and " + predicted.length);
        }
        TreeSet<Integer> classes = new TreeSet<>();
        int correct = 0;
        for (int i = 0; i < truth.length; i++) {
            classes.add(truth[i]);
            classes.add(predicted[i]);
            if (truth[i] == predicted[i]) {
                correct++;
            }
        }
        double f1Sum = 0;
        for (int c : classes) {
            int tp = 0;
            int fp = 0;
            int fn = 0;
            for (int i = 0; i < truth.length; i++) {
                boolean t = truth[i] == c;
                boolean p = predicted[i] == c;
                if (t && p) {
                    tp++;
                } else if (p) {
                    fp++;
                } else if (t) {
                    fn++;
                }
            }
            f1Sum += tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
        }
        return new ClassificationScores((double) correct / truth.length, f1Sum / classes.size());
    }
}
