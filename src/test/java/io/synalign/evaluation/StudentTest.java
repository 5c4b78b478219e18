package io.synalign.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The DL4J students on constructed problems with known answers. */
class StudentTest {

    static final int D = 16;
    static final int CLASSES = 3;

    /** Rows near one of three well separated centres; label = centre, optionally flipped. */
    record Data(FloatMatrix x, int[] y) {
    }

    static Data clusters(Random r, int perClass, boolean wrongLabels) {
        int n = perClass * CLASSES;
        float[] data = new float[n * D];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % CLASSES;
            for (int j = 0; j < D; j++) {
                data[i * D + j] = (float) (0.5 * r.nextGaussian() + (j == c ? 3 : 0));
            }
            y[i] = wrongLabels ? (c + 1) % CLASSES : c;
        }
        return new Data(new FloatMatrix(n, D, data), y);
    }

    static Data concat(Data a, Data b) {
        float[] data = new float[(a.x().rows() + b.x().rows()) * D];
        System.arraycopy(a.x().data(), 0, data, 0, a.x().data().length);
        System.arraycopy(b.x().data(), 0, data, a.x().data().length, b.x().data().length);
        int[] y = new int[a.y().length + b.y().length];
        System.arraycopy(a.y(), 0, y, 0, a.y().length);
        System.arraycopy(b.y(), 0, y, a.y().length, b.y().length);
        return new Data(new FloatMatrix(y.length, D, data), y);
    }

    static StudentConfig small(StudentKind kind) {
        // Full-batch steps keep the test fast (each DL4J step has a fixed cost); the step sizes
        // suit the few steps on standardised inputs.
        return new StudentConfig(kind, 16, 0.05, 1e-4, 256, kind == StudentKind.LOGREG ? 150 : 40,
                10, 0.2);
    }

    /**
     * A row of weight 3 trains as three copies of it (weights as loss weights, and the inputs
     * standardised with them). The weights were DL4J's labels mask, which in a feed-forward
     * network also multiplies the logits: a row of weight w trained on softmax(w z), and the
     * weighted student's probabilities differed from the copies' by tenths.
     */
    @ParameterizedTest
    @EnumSource(StudentKind.class)
    void aRowOfWeightThreeTrainsAsThreeCopiesOfIt(StudentKind kind) {
        Random r = new Random(21);
        int n = 45;
        float[] data = new float[n * D];
        int[] y = new int[n];
        double[] w = new double[n];
        int copies = 0;
        for (int i = 0; i < n; i++) {
            int c = i % CLASSES;
            for (int j = 0; j < D; j++) {
                // Overlapping classes, and every fourth label wrong: the weights decide.
                data[i * D + j] = (float) (1.5 * r.nextGaussian() + (j == c ? 1 : 0));
            }
            y[i] = i % 4 == 3 ? (c + 1) % CLASSES : c;
            w[i] = i % 3 == 0 ? 3 : i % 5 == 0 ? 0 : 1;
            copies += (int) w[i];
        }
        float[] dupData = new float[copies * D];
        int[] dupY = new int[copies];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < (int) w[i]; t++) {
                System.arraycopy(data, i * D, dupData, k * D, D);
                dupY[k++] = y[i];
            }
        }
        // Full batch, no held-out rows, no L2: the two objectives are then one (the weights'
        // mean is 1, and the copies number the weights' sum).
        StudentConfig full = new StudentConfig(kind, 16, 0.05, 0, 1024, 60, 10, 0);
        Student weighted = Student.train(new FloatMatrix(n, D, data), y, w, CLASSES, full, 5);
        Student copied = Student.train(new FloatMatrix(copies, D, dupData), dupY, null, CLASSES,
                full, 5);
        Data test = clusters(new Random(22), 20, false);
        double[][] a = weighted.probabilities(test.x());
        double[][] b = copied.probabilities(test.x());
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            for (int c = 0; c < CLASSES; c++) {
                worst = Math.max(worst, Math.abs(a[i][c] - b[i][c]));
            }
        }
        assertTrue(worst < 1e-3, "weighted and copied students differ by " + worst);
    }

    @ParameterizedTest
    @EnumSource(StudentKind.class)
    void separableClustersAreLearned(StudentKind kind) {
        Random r = new Random(11);
        Data train = clusters(r, 30, false);
        Data test = clusters(r, 40, false);
        Student s = Student.train(train.x(), train.y(), null, CLASSES, small(kind), 7);
        ClassificationScores scores = ClassificationScores.of(test.y(), s.predict(test.x()));
        assertTrue(scores.accuracy() >= 0.97, kind + " accuracy " + scores.accuracy() + " epochs " + s.epochsRun() + " best " + s.bestEpoch() + " pred " + java.util.Arrays.toString(s.predict(test.x())));
        assertTrue(scores.macroF1() >= 0.97, kind + " macro-F1 " + scores.macroF1());
        assertTrue(s.bestEpoch() >= 1 && s.bestEpoch() <= s.epochsRun());
    }

    @Test
    void exampleWeightsEnterTheLoss() {
        Random r = new Random(12);
        Data clean = clusters(r, 20, false);
        Data wrong = clusters(r, 30, true); // more wrong rows than right ones
        Data both = concat(clean, wrong);
        double[] weights = new double[both.y().length];
        for (int i = 0; i < clean.y().length; i++) {
            weights[i] = 1;
        }
        Data test = clusters(r, 40, false);
        StudentConfig config = small(StudentKind.LOGREG);
        double weighted = ClassificationScores.of(test.y(), Student.train(both.x(), both.y(),
                weights, CLASSES, config, 3).predict(test.x())).accuracy();
        double uniform = ClassificationScores.of(test.y(), Student.train(both.x(), both.y(),
                null, CLASSES, config, 3).predict(test.x())).accuracy();
        assertTrue(weighted >= 0.95, "zero weight on the wrong rows: " + weighted);
        assertTrue(uniform <= 0.5, "uniform, a majority of wrong rows: " + uniform);
    }

    @Test
    void sameSeedSamePredictions() {
        Random r = new Random(13);
        Data train = clusters(r, 10, false);
        Data test = clusters(r, 10, false);
        StudentConfig config = small(StudentKind.MLP).withMaxEpochs(5);
        int[] a = Student.train(train.x(), train.y(), null, CLASSES, config, 9).predict(test.x());
        int[] b = Student.train(train.x(), train.y(), null, CLASSES, config, 9).predict(test.x());
        assertArrayEquals(a, b);
    }

    @Test
    void heldOutSliceIsStratifiedAndSeeded() {
        int[] labels = new int[50];
        for (int i = 0; i < 50; i++) {
            labels[i] = i < 40 ? 0 : 1;
        }
        int[][] split = Student.split(labels, 2, 0.2, new java.util.SplittableRandom(1));
        assertEquals(40, split[0].length);
        assertEquals(10, split[1].length);
        long ones = java.util.Arrays.stream(split[1]).filter(i -> labels[i] == 1).count();
        assertEquals(2, ones);
        assertArrayEquals(split[1], Student.split(labels, 2, 0.2, new java.util.SplittableRandom(1))[1]);
    }

    @Test
    void heldOutRowsThatAllWeighZeroDoNotStopTrainingEarly() {
        Random r = new Random(14);
        Data train = clusters(r, 30, false);
        Data test = clusters(r, 40, false);
        StudentConfig config = small(StudentKind.LOGREG).withPatience(3);
        long seed = 5;
        // The held-out slice train() draws first from its seeded generator: weigh it 0.
        int[] held = Student.split(train.y(), CLASSES, config.validationFraction(),
                new java.util.SplittableRandom(seed))[1];
        assertTrue(held.length > 0);
        double[] weights = new double[train.y().length];
        java.util.Arrays.fill(weights, 1);
        for (int i : held) {
            weights[i] = 0;
        }
        Student s = Student.train(train.x(), train.y(), weights, CLASSES, config, seed);
        assertEquals(config.maxEpochs(), s.epochsRun(),
                "a weightless held-out slice cannot say when to stop (best " + s.bestEpoch() + ")");
        assertEquals(config.maxEpochs(), s.bestEpoch());
        double accuracy = ClassificationScores.of(test.y(), s.predict(test.x())).accuracy();
        assertTrue(accuracy >= 0.97, "accuracy " + accuracy);
    }

    @Test
    void heldOutFallbackNeverTakesALabelsOnlyRow() {
        // floor(0.2 * count) is 0 for every label: one row is held out, and it must not be the
        // single row of label 1 or 2 (the student would never see that label).
        int[] labels = {0, 1, 0, 2, 0};
        for (long seed = 0; seed < 64; seed++) {
            int[][] split = Student.split(labels, 3, 0.2, new java.util.SplittableRandom(seed));
            assertEquals(1, split[1].length, "seed " + seed);
            assertEquals(0, labels[split[1][0]], "seed " + seed + " held out row " + split[1][0]);
        }
        // Every label a singleton: nothing can be held out without losing a label.
        int[][] singletons = Student.split(new int[] {0, 1, 2}, 3, 0.5,
                new java.util.SplittableRandom(1));
        assertEquals(0, singletons[1].length);
        assertEquals(3, singletons[0].length);
    }

    @Test
    void scoresMatchHandCounts() {
        // truth 0 0 1 1 2, predicted 0 1 1 1 0: class 0 tp1 fp1 fn1 -> 0.5; class 1 tp2 fp1 fn0
        // -> 0.8; class 2 tp0 -> 0.
        ClassificationScores s = ClassificationScores.of(new int[] {0, 0, 1, 1, 2},
                new int[] {0, 1, 1, 1, 0});
        assertEquals(0.6, s.accuracy(), 1e-12);
        assertEquals((0.5 + 0.8 + 0) / 3, s.macroF1(), 1e-12);
        assertEquals(1.0, MeanStd.of(new double[] {1, 2, 3}).std(), 1e-12);
        assertEquals(2.0, MeanStd.of(new double[] {1, 2, 3}).mean(), 1e-12);
        // the sample std of one value is undefined, not 0 (which would claim perfect agreement)
        assertTrue(Double.isNaN(MeanStd.of(new double[] {4}).std()));
        assertEquals(4.0, MeanStd.of(new double[] {4}).mean(), 0);
        assertEquals(0.0, MeanStd.of(new double[] {4, 4}).std(), 0);
    }

    @Test
    void heldOutSliceIsDrawnPerLabelAndSourceSoRealRowsAreHeldOutAlike() {
        // 8 real and 64 synthetic rows for each of 2 labels, real rows first (as evaluate builds
        // its variants): per (label, source), floor(0.2 * 8) = 1 real row of each label is held
        // out, whatever the seed, as in the real-only variant.
        int classes = 2;
        int[] labels = new int[144];
        for (int i = 0; i < 16; i++) {
            labels[i] = i / 8;
        }
        for (int i = 16; i < 144; i++) {
            labels[i] = (i - 16) / 64;
        }
        int[] strata = Student.strata(labels, classes, 16);
        for (long seed = 0; seed < 32; seed++) {
            int[] held = Student.split(strata, 2 * classes, 0.2, new java.util.SplittableRandom(seed))[1];
            int[] realHeld = new int[classes];
            int synthHeld = 0;
            for (int r : held) {
                if (r < 16) {
                    realHeld[labels[r]]++;
                } else {
                    synthHeld++;
                }
            }
            assertArrayEquals(new int[] {1, 1}, realHeld, "seed " + seed);
            assertEquals(2 * 12, synthHeld, "seed " + seed);
        }
        // Few real rows (4 per label: floor(0.2 * 4) = 0 per stratum), so the one-row fallback
        // decides: it holds out the same real row with or without synthetic rows beside them
        // (one fallback over all strata held out a real row alone and none beside 50 synthetic
        // rows per label, so the real-only student trained on less real data).
        int[] few = new int[108];
        for (int i = 0; i < 8; i++) {
            few[i] = i / 4;
        }
        for (int i = 8; i < 108; i++) {
            few[i] = (i - 8) / 50;
        }
        int[] realOnly = java.util.Arrays.copyOf(few, 8);
        for (long seed = 0; seed < 32; seed++) {
            int[] alone = Student.split(Student.strata(realOnly, classes, 8), 2 * classes,
                    classes, 0.2, new java.util.SplittableRandom(seed))[1];
            int[] mixed = Student.split(Student.strata(few, classes, 8), 2 * classes, classes,
                    0.2, new java.util.SplittableRandom(seed))[1];
            assertEquals(1, alone.length, "seed " + seed);
            int[] mixedReal = java.util.Arrays.stream(mixed).filter(r -> r < 8).toArray();
            assertArrayEquals(alone, mixedReal, "seed " + seed + ": the same real row held out");
            assertEquals(2 * 10, mixed.length - mixedReal.length, "seed " + seed);
        }
        // and train(...) with realRows accepts only a count within the rows
        var x = new FloatMatrix(4, 1, new float[] {0, 1, 2, 3});
        assertThrows(IllegalArgumentException.class,
                () -> Student.train(x, new int[] {0, 1, 0, 1}, null, 2, 5, small(StudentKind.LOGREG), 1));
    }

    /**
     * Cancelling the student training of {@code evaluate} by interrupting its thread (session
     * 22's review: every epoch ran): the check comes before each epoch, so on an interrupted
     * thread no epoch runs and a {@link CancellationException} is thrown with the status kept;
     * afterwards the thread trains again, to the same predictions as before.
     */
    @Test
    void anInterruptedThreadTrainsNoEpoch() {
        Random r = new Random(13);
        Data train = clusters(r, 10, false);
        Data test = clusters(r, 10, false);
        StudentConfig config = small(StudentKind.MLP).withMaxEpochs(5);
        int[] before = Student.train(train.x(), train.y(), null, CLASSES, config, 9)
                .predict(test.x());
        Thread.currentThread().interrupt();
        try {
            assertThrows(CancellationException.class,
                    () -> Student.train(train.x(), train.y(), null, CLASSES, config, 9),
                    "a student trained on an interrupted thread");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
        } finally {
            Thread.interrupted();
        }
        assertArrayEquals(before, Student.train(train.x(), train.y(), null, CLASSES, config, 9)
                .predict(test.x()), "a later training on the same thread");
    }
}
