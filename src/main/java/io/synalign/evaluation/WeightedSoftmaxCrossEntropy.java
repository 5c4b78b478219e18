package io.synalign.evaluation;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Softmax cross-entropy with a weight per row, carried in the labels: a row of class c and
 * weight w has labels {@code w e_c}, its loss is {@code -w log p_c} and its gradient with respect
 * to the logits z is {@code w p - w e_c} ({@code p = softmax(z)}), so a weight of 3 trains as
 * three copies of the row. Scores are summed over the rows and, when averaged, divided by the
 * number of rows, as DL4J's own losses are.
 *
 * <p>Why not DL4J's labels mask: in a feed-forward network the mask also multiplies the layers'
 * activations, so a row of weight w was trained on {@code softmax(w z)} with gradient
 * {@code w (softmax(w z) - e_c)}: the weight acted as an inverse temperature as well as a scale
 * (one step on 4 rows weighted 1, 3, 0, 2 moved the parameters by a different vector than the
 * weighted loss's). Weights 0 and 1 were right; every other weight distorted the student.
 */
final class WeightedSoftmaxCrossEntropy implements ILossFunction {

    private static final long serialVersionUID = 1L;

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput,
            IActivation activationFn, INDArray mask) {
        requireSoftmax(activationFn, mask);
        INDArray logP = logSoftmax(preOutput);
        return labels.castTo(logP.dataType()).mul(logP).sum(true, 1).negi();
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn,
            INDArray mask, boolean average) {
        double score = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber()
                .doubleValue();
        return average ? score / labels.size(0) : score;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput,
            IActivation activationFn, INDArray mask) {
        requireSoftmax(activationFn, mask);
        INDArray p = Transforms.exp(logSoftmax(preOutput), false);
        INDArray l = labels.castTo(p.dataType());
        return p.muliColumnVector(l.sum(true, 1)).subi(l);
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
            IActivation activationFn, INDArray mask, boolean average) {
        return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
                computeGradient(labels, preOutput, activationFn, mask));
    }

    @Override
    public String name() {
        return "WeightedSoftmaxCrossEntropy";
    }

    @Override
    public String toString() {
        return name() + "()";
    }

    /** {@code z - logsumexp(z)} per row, shifted by the row's maximum first. */
    private static INDArray logSoftmax(INDArray preOutput) {
        INDArray z = preOutput.subColumnVector(preOutput.max(true, 1));
        INDArray logSum = Transforms.log(Transforms.exp(z, true).sum(true, 1), false);
        return z.subiColumnVector(logSum);
    }

    private static void requireSoftmax(IActivation activationFn, INDArray mask) {
        if (!(activationFn instanceof ActivationSoftmax)) {
            throw new IllegalStateException("WeightedSoftmaxCrossEntropy needs a softmax output,"
                    + " got " + activationFn);
        }
        if (mask != null) {
            throw new IllegalStateException("WeightedSoftmaxCrossEntropy takes its weights in the"
                    + " labels, not in a mask");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightedSoftmaxCrossEntropy;
    }

    @Override
    public int hashCode() {
        return WeightedSoftmaxCrossEntropy.class.hashCode();
    }
}
