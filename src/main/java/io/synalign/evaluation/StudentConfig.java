package io.synalign.evaluation;

/**
 * Training settings of a student model, validated on construction.
 *
 * @param kind logistic regression or a one-hidden-layer MLP
 * @param hiddenUnits width of the MLP's hidden layer (ignored for logreg), {@code >= 1}
 * @param learningRate Adam step size, positive
 * @param l2 L2 penalty on the weights, {@code >= 0}
 * @param batchSize examples per minibatch, {@code >= 1}
 * @param maxEpochs passes over the training part at most, {@code >= 1}
 * @param patience epochs without a lower validation loss before stopping, {@code >= 1}
 * @param validationFraction share of the training rows held out (stratified by label) for early
 *     stopping, in {@code [0, 0.5]}; 0 trains for {@code maxEpochs} without early stopping
 */
public record StudentConfig(StudentKind kind, int hiddenUnits, double learningRate, double l2,
        int batchSize, int maxEpochs, int patience, double validationFraction) {

    public static final int DEFAULT_HIDDEN = 128;
    public static final int DEFAULT_BATCH_SIZE = 64;
    public static final int DEFAULT_MAX_EPOCHS = 100;
    public static final int DEFAULT_PATIENCE = 10;
    public static final double DEFAULT_VALIDATION_FRACTION = 0.2;

    public StudentConfig {
        if (kind == null) {
            throw new IllegalArgumentException("student kind must not be null");
        }
        if (hiddenUnits < 1) {
            throw new IllegalArgumentException("hidden units must be >= 1, got " + hiddenUnits);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        }
        if (!(l2 >= 0) || Double.isInfinite(l2)) {
            throw new IllegalArgumentException("l2 must be finite and >= 0, got " + l2);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (maxEpochs < 1) {
            throw new IllegalArgumentException("max epochs must be >= 1, got " + maxEpochs);
        }
        if (patience < 1) {
            throw new IllegalArgumentException("patience must be >= 1, got " + patience);
        }
        if (!(validationFraction >= 0 && validationFraction <= 0.5)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 0.5], got "
                    + validationFraction);
        }
    }

    /** Defaults: 128 hidden units, lr 1e-2, l2 1e-4, batch 64, 100 epochs, patience 10, 20% held out. */
    public static StudentConfig defaults(StudentKind kind) {
        return new StudentConfig(kind, DEFAULT_HIDDEN, 1e-2, 1e-4, DEFAULT_BATCH_SIZE, DEFAULT_MAX_EPOCHS,
                DEFAULT_PATIENCE, DEFAULT_VALIDATION_FRACTION);
    }

    public StudentConfig withMaxEpochs(int epochs) {
        return new StudentConfig(kind, hiddenUnits, learningRate, l2, batchSize, epochs, patience,
                validationFraction);
    }

    public StudentConfig withHiddenUnits(int units) {
        return new StudentConfig(kind, units, learningRate, l2, batchSize, maxEpochs, patience,
                validationFraction);
    }

    public StudentConfig withPatience(int p) {
        return new StudentConfig(kind, hiddenUnits, learningRate, l2, batchSize, maxEpochs, p,
                validationFraction);
    }
}
