package io.synalign.evaluation;

import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * A student classifier on frozen sentence embeddings, trained with Deeplearning4j
 * ({@link MultiLayerNetwork} on the ND4J CPU backend, float32): multinomial logistic regression
 * (a softmax {@link OutputLayer} on the input) or an MLP with one ReLU {@link DenseLayer}; loss
 * cross-entropy ({@link WeightedSoftmaxCrossEntropy}), Adam, L2, Xavier initialisation seeded
 * by the given seed. Inputs are standardised per column with the training part's weighted mean
 * and standard deviation (see {@link Standardiser}).
 *
 * <p>Example weights: each training row carries a weight that multiplies its term in the loss
 * (carried in its labels, {@code w e_c}; not DL4J's labels mask, which also scales the logits);
 * a weight of 3 trains as three copies of the row. The weights are scaled to mean 1 so
 * that the step size means the same as for uniform data. This is the direct, zero-variance use
 * of importance weights; a weighted resample would add sampling noise on top of the
 * training noise.
 *
 * <p>Early stopping (own loop, seeded): a stratified slice of the training rows
 * ({@link StudentConfig#validationFraction()} of each label, rounded down; at least one row
 * overall, taken from the largest label so that no label loses its only row) is held out; each epoch visits the rest in a seeded shuffled order in minibatches;
 * after each epoch the weighted mean cross-entropy on the held-out slice is computed, and
 * training stops after {@link StudentConfig#patience()} epochs without an improvement of at
 * least {@value #MIN_DELTA}. The
 * parameters of the best epoch are restored. Without a held-out slice (fraction 0, every label a
 * single row) or when its rows all weigh 0, training runs {@link StudentConfig#maxEpochs()}. Cost per epoch O(N p) for p parameters
 * ({@code d k} for logreg, {@code d h + h k} for the MLP).
 */
public final class Student {

    /**
     * Smallest drop of the held-out cross-entropy (nats) that counts as an improvement (Keras's
     * {@code min_delta}): on separable data the loss keeps creeping down long after the
     * predictions stopped changing, and each DL4J step costs milliseconds.
     */
    static final double MIN_DELTA = 1e-3;

    private final MultiLayerNetwork net;
    private final Standardiser standardiser;
    private final int epochsRun;
    private final int bestEpoch;

    private Student(MultiLayerNetwork net, Standardiser standardiser, int epochsRun, int bestEpoch) {
        this.net = net;
        this.standardiser = standardiser;
        this.epochsRun = epochsRun;
        this.bestEpoch = bestEpoch;
    }

    /**
     * Per-column z-scores with the mean and standard deviation of the training part, each row
     * counted with its weight (a column with no spread is only centred). Sentence embeddings
     * have tiny per-coordinate scales (unit-norm 384-d vectors: about 0.05), which makes a
     * softmax regression crawl; on standardised inputs the same step size converges in tens of
     * epochs. Weighted, so that a row of weight 3 scales the inputs as three copies would, and
     * a row of weight 0 not at all (it moved the scaling, and with it what L2 penalises).
     */
    record Standardiser(double[] mean, double[] scale) {

        /** {@code w} null or equal on {@code rows}: every row counts once. */
        static Standardiser fit(FloatMatrix x, int[] rows, double[] w) {
            boolean uniform = true;
            for (int r : rows) {
                uniform &= w == null || w[r] == w[rows[0]];
            }
            int d = x.cols();
            double[] mean = new double[d];
            double[] sq = new double[d];
            double mass = 0;
            for (int r : rows) {
                double weight = uniform ? 1 : w[r];
                mass += weight;
                for (int j = 0; j < d; j++) {
                    mean[j] += weight * x.data()[r * d + j];
                }
            }
            if (!(mass > 0)) {
                return fit(x, rows, null); // every training row weighs 0: count them alike
            }
            for (int j = 0; j < d; j++) {
                mean[j] /= mass;
            }
            for (int r : rows) {
                double weight = uniform ? 1 : w[r];
                for (int j = 0; j < d; j++) {
                    double v = x.data()[r * d + j] - mean[j];
                    sq[j] += weight * v * v;
                }
            }
            double[] scale = new double[d];
            for (int j = 0; j < d; j++) {
                double sd = Math.sqrt(sq[j] / mass);
                scale[j] = sd > 1e-12 ? 1 / sd : 1;
            }
            return new Standardiser(mean, scale);
        }

        FloatMatrix apply(FloatMatrix x) {
            int d = x.cols();
            float[] out = new float[x.data().length];
            for (int i = 0; i < x.rows(); i++) {
                for (int j = 0; j < d; j++) {
                    out[i * d + j] = (float) ((x.data()[i * d + j] - mean[j]) * scale[j]);
                }
            }
            return new FloatMatrix(x.rows(), d, out);
        }
    }

    /**
     * Trains a student.
     *
     * @param x training rows, N x d
     * @param labels class index of each row, in {@code [0, classes)}
     * @param weights per-row example weights ({@code >= 0}, not all zero), or null for uniform
     * @param classes number of classes, {@code >= 2}
     * @param seed seeds initialisation, the held-out split and the shuffles
     * @throws IllegalArgumentException on mismatched lengths, a label out of range, fewer than
     *     2 rows or 2 classes, or bad weights
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted,
     *     checked before every epoch ({@link io.synalign.kernels.Cancellation}); the status is
     *     kept set and nothing is returned
     */
    public static Student train(FloatMatrix x, int[] labels, double[] weights, int classes,
            StudentConfig config, long seed) {
        return train(x, labels, weights, classes, x.rows(), config, seed);
    }

    /**
     * {@link #train(FloatMatrix, int[], double[], int, StudentConfig, long)} for rows of two
     * sources: the first {@code realRows} are real, the rest synthetic. The held-out slice is
     * drawn per (label, source) stratum, so a variant with synthetic rows holds out the same
     * share of its real rows as the real-only variant (drawn per label only, the few real rows
     * of a label would be held out in a proportion that depends on how many synthetic rows share
     * the label).
     *
     * @throws IllegalArgumentException also when {@code realRows} is not in {@code [0, N]}
     */
    public static Student train(FloatMatrix x, int[] labels, double[] weights, int classes,
            int realRows, StudentConfig config, long seed) {
        int n = x.rows();
        if (realRows < 0 || realRows > n) {
            throw new IllegalArgumentException(realRows + " real rows of " + n);
        }
        if (labels.length != n) {
            throw new IllegalArgumentException(labels.length + " labels for " + n + " rows");
        }
        if (n < 2) {
            throw new IllegalArgumentException("a student needs at least 2 training rows, got " + n);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " of row " + i
                        + " is not in [0, " + classes + ")");
            }
        }
        double[] w = WeightedMmd.normalised(weights, n);
        for (int i = 0; i < n; i++) {
            w[i] *= n; // mean 1
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[][] split = split(strata(labels, classes, realRows), 2 * classes, classes,
                config.validationFraction(), random);
        int[] train = split[0];
        int[] held = split[1];
        Standardiser standardiser = Standardiser.fit(x, train, w);
        x = standardiser.apply(x);

        MultiLayerNetwork net = new MultiLayerNetwork(configuration(x.cols(), classes, config, seed));
        net.init();
        // A held-out slice whose rows all weigh 0 measures nothing: its loss would read 0 every
        // epoch, the first epoch would count as the best and training would stop after
        // `patience` epochs with the first epoch's parameters. Train without early stopping then.
        double heldMass = 0;
        for (int i : held) {
            heldMass += w[i];
        }
        DataSet validation = heldMass > 0 ? dataSet(x, labels, w, held, classes) : null;
        double best = Double.POSITIVE_INFINITY;
        INDArray bestParams = null;
        int bestEpoch = 0;
        int epoch = 0;
        while (epoch < config.maxEpochs()) {
            // Once per epoch (see Cancellation): the network holds no resource to close.
            Cancellation.stopIfInterrupted("student training (epoch)");
            epoch++;
            int[] order = shuffled(train, random);
            for (int from = 0; from < order.length; from += config.batchSize()) {
                int to = Math.min(order.length, from + config.batchSize());
                int[] batch = java.util.Arrays.copyOfRange(order, from, to);
                net.fit(dataSet(x, labels, w, batch, classes));
            }
            if (validation == null) {
                continue;
            }
            double loss = weightedCrossEntropy(net.output(validation.getFeatures(), false),
                    validation.getLabels());
            if (loss < best - MIN_DELTA) {
                best = loss;
                bestEpoch = epoch;
                bestParams = net.params().dup();
            } else if (epoch - bestEpoch >= config.patience()) {
                break;
            }
        }
        if (bestParams != null) {
            net.setParams(bestParams);
        } else {
            bestEpoch = epoch;
        }
        return new Student(net, standardiser, epoch, bestEpoch);
    }

    /** The class probabilities of each row (the softmax), rows x classes. */
    double[][] probabilities(FloatMatrix x) {
        return net.output(features(standardiser.apply(x), null), false)
                .castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    /** The predicted class of each row (argmax of the softmax, ties to the lowest class). */
    public int[] predict(FloatMatrix x) {
        double[][] probabilities = probabilities(x);
        int[] out = new int[probabilities.length];
        for (int i = 0; i < out.length; i++) {
            int best = 0;
            for (int c = 1; c < probabilities[i].length; c++) {
                if (probabilities[i][c] > probabilities[i][best]) {
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }

    /** Epochs trained before stopping. */
    public int epochsRun() {
        return epochsRun;
    }

    /** The epoch whose parameters were kept (the lowest held-out loss). */
    public int bestEpoch() {
        return bestEpoch;
    }

    static MultiLayerConfiguration configuration(int inputs, int classes, StudentConfig config,
            long seed) {
        NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(config.learningRate()))
                .l2(config.l2())
                .weightInit(WeightInit.XAVIER)
                .list();
        int in = inputs;
        if (config.kind() == StudentKind.MLP) {
            layers.layer(new DenseLayer.Builder().nIn(inputs).nOut(config.hiddenUnits())
                    .activation(Activation.RELU).build());
            in = config.hiddenUnits();
        }
        layers.layer(new OutputLayer.Builder(new WeightedSoftmaxCrossEntropy()).nIn(in)
                .nOut(classes).activation(Activation.SOFTMAX).build());
        return layers.build();
    }

    /** The held-out strata: label {@code c} of a real row is {@code c}, of a synthetic row {@code classes + c}. */
    static int[] strata(int[] labels, int classes, int realRows) {
        int[] strata = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            strata[i] = i < realRows ? labels[i] : classes + labels[i];
        }
        return strata;
    }

    /**
     * Per stratum (a label), a seeded random {@code floor(fraction * count)} rows are held out;
     * if that holds out nothing while {@code fraction > 0}, one random row of the largest
     * stratum is (a stratum's only row is never held out, so every label keeps a training row;
     * when every stratum has a single row nothing is held out). Returns {train, held}.
     */
    static int[][] split(int[] labels, int classes, double fraction, SplittableRandom random) {
        return split(labels, classes, classes, fraction, random);
    }

    /**
     * {@link #split(int[], int, double, SplittableRandom)} with the strata in groups of
     * {@code groupSize} (in {@link #train(FloatMatrix, int[], double[], int, int, StudentConfig,
     * long) train}: the real strata, then the synthetic ones), the one-row fallback applied per
     * group, and the random draws of a group all made before the next group's. So the real rows
     * held out do not depend on the synthetic rows beside them: a variant of real rows alone
     * holds out exactly the real rows that the same seed holds out in a variant with synthetic
     * rows. (With one fallback over all strata, 4 real rows per label held out one real row alone
     * and none beside enough synthetic rows: the real-only student trained on less real data.)
     */
    static int[][] split(int[] labels, int classes, int groupSize, double fraction,
            SplittableRandom random) {
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < labels.length; i++) {
            byClass.get(labels[i]).add(i);
        }
        boolean[] held = new boolean[labels.length];
        int heldCount = 0;
        for (int group = 0; group < classes; group += groupSize) {
            List<List<Integer>> strata = byClass.subList(group, Math.min(classes, group + groupSize));
            int groupHeld = 0;
            for (List<Integer> rows : strata) {
                int take = (int) Math.floor(fraction * rows.size());
                int[] order = shuffled(rows.stream().mapToInt(Integer::intValue).toArray(), random);
                for (int t = 0; t < take; t++) {
                    held[order[t]] = true;
                    groupHeld++;
                }
            }
            if (groupHeld == 0 && fraction > 0) {
                // Not a random row of all: that could be a label's only row, and the student
                // would then never see that label.
                List<Integer> largest = strata.get(0);
                for (List<Integer> rows : strata) {
                    if (rows.size() > largest.size()) {
                        largest = rows;
                    }
                }
                if (largest.size() >= 2) {
                    held[largest.get(random.nextInt(largest.size()))] = true;
                    groupHeld = 1;
                }
            }
            heldCount += groupHeld;
        }
        int[] train = new int[labels.length - heldCount];
        int[] out = new int[heldCount];
        int a = 0;
        int b = 0;
        for (int i = 0; i < labels.length; i++) {
            if (held[i]) {
                out[b++] = i;
            } else {
                train[a++] = i;
            }
        }
        return new int[][] {train, out};
    }

    /** A Fisher-Yates shuffled copy. */
    static int[] shuffled(int[] rows, SplittableRandom random) {
        int[] out = rows.clone();
        for (int i = out.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

    /**
     * The rows with their labels as one-hot vectors scaled by their weights, which
     * {@link WeightedSoftmaxCrossEntropy} reads (not a labels mask: see there).
     */
    private static DataSet dataSet(FloatMatrix x, int[] labels, double[] w, int[] rows, int classes) {
        float[] weighted = new float[rows.length * classes];
        for (int r = 0; r < rows.length; r++) {
            weighted[r * classes + labels[rows[r]]] = (float) w[rows[r]];
        }
        return new DataSet(features(x, rows),
                Nd4j.create(weighted, new long[] {rows.length, classes}, 'c'));
    }

    /** The given rows of x (all rows for null) as a float32 ND4J matrix. */
    private static INDArray features(FloatMatrix x, int[] rows) {
        int d = x.cols();
        if (rows == null) {
            return Nd4j.create(x.data().clone(), new long[] {x.rows(), d}, 'c');
        }
        float[] data = new float[rows.length * d];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(x.data(), rows[r] * d, data, r * d, d);
        }
        return Nd4j.create(data, new long[] {rows.length, d}, 'c');
    }

    /**
     * {@code sum_i w_i (-log p_i[y_i]) / sum_i w_i}, in double, for labels {@code w_i e_{y_i}}
     * (as {@link #dataSet} makes them).
     */
    static double weightedCrossEntropy(INDArray probabilities, INDArray weightedLabels) {
        int n = (int) probabilities.rows();
        int k = (int) probabilities.columns();
        double total = 0;
        double mass = 0;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < k; c++) {
                double w = weightedLabels.getDouble(i, c);
                if (w > 0) {
                    total += w * -Math.log(Math.max(probabilities.getDouble(i, c), 1e-12));
                    mass += w;
                }
            }
        }
        return mass > 0 ? total / mass : 0;
    }
}
