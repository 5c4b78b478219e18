package io.synalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.FeatureGrid;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.engine.labelled.LabelledAlignment;
import io.synalign.engine.retrieval.FiniteCorpus;
import io.synalign.engine.retrieval.InnerProductSearch;
import io.synalign.engine.retrieval.SimilarPairs;
import io.synalign.engine.twosample.ClassifierTwoSampleTest;
import io.synalign.engine.twosample.MmdPermutationTest;
import io.synalign.engine.twosample.MmdWitness;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernel SPI lets a backend assume finite rows (see "Finite inputs" on
 * {@code KernelBackend}), so every entry of the engine that hands rows to a backend refuses a
 * NaN or an infinity first, with one line naming the rows, the row and the column. Each case
 * puts one bad value at row 7, column 2 of one input of one entry (the others finite) and
 * expects exactly that line; before session 20 the similar-pairs scan, the search, the
 * permutation test, the witness, the weighted MMD, the classifier test and the selector with a
 * given length scale returned a result (NaN, or rows silently skipped or picked), and a
 * per-label fit named the row within its label; until later in session 20 the random-feature
 * block sum (public for the Spark job) returned NaN sums.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NonFiniteRowsTest {

    private static final int ROWS = 20;
    private static final int COLS = 4;
    private static final int BAD_ROW = 7;
    private static final int BAD_COL = 2;

    private final KernelBackend backend = new ReferenceBackend();

    @AfterAll
    void close() {
        backend.close();
    }

    /** One entry of the engine, called with {@code bad} in one of its inputs. */
    private interface Entry {
        Object call(KernelBackend backend, FloatMatrix good, FloatMatrix bad);
    }

    private static Arguments entry(String name, String rows, Entry call) {
        return Arguments.of(name, rows, call);
    }

    private static AlignmentConfig config(AlignmentMethod method) {
        return AlignmentConfig.defaults().withMethod(method).withIterations(5, 1e-6);
    }

    /** Labels a, b alternating, and c on the real rows from 16 on (no synthetic row has c). */
    private static LabelPlan plan() {
        List<String> real = new ArrayList<>();
        List<String> synthetic = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            real.add(i >= 16 ? "c" : i % 2 == 0 ? "a" : "b");
            synthetic.add(i % 2 == 0 ? "a" : "b");
        }
        return LabelPlan.of(LabelMode.PER_LABEL, real, ROWS, synthetic, ROWS);
    }

    private static LabelledAlignment labelled(KernelBackend backend) {
        return new LabelledAlignment((c, r, s, p) -> new MmdWeightLearner(backend, c).fit(r, s, p),
                config(AlignmentMethod.EXACT));
    }

    /** The matrix with its value at (row, 2) replaced. */
    private static FloatMatrix with(FloatMatrix m, int row, float value) {
        float[] data = m.data().clone();
        data[row * m.cols() + BAD_COL] = value;
        return new FloatMatrix(m.rows(), m.cols(), data);
    }

    Stream<Arguments> entries() {
        SelectionConfig givenScale = new SelectionConfig(Bandwidth.of(1.0),
                SelectionConfig.DEFAULT_NOISE, -1, 1, 0L);
        return Stream.of(
                entry("MmdWeightLearner.fit, exact, synthetic", "synthetic",
                        (b, g, x) -> new MmdWeightLearner(b, config(AlignmentMethod.EXACT))
                                .fit(g, x, null)),
                entry("MmdWeightLearner.fit, exact, real", "real",
                        (b, g, x) -> new MmdWeightLearner(b, config(AlignmentMethod.EXACT))
                                .fit(x, g, null)),
                entry("MmdWeightLearner.fit, rff, real beside a streamed source", "real",
                        (b, g, x) -> new MmdWeightLearner(b, config(AlignmentMethod.RFF))
                                .fit(x, RowSource.ofBlocks(List.of(g.rowRange(0, 5),
                                        g.rowRange(5, ROWS))), null)),
                entry("MmdWeightLearner.fit, nystrom, real", "real",
                        (b, g, x) -> new MmdWeightLearner(b, config(AlignmentMethod.NYSTROM))
                                .fit(x, g, null)),
                entry("LabelledAlignment.align, per label, real (row 7 of the whole set)", "real",
                        (b, g, x) -> labelled(b).align(plan(), x, g, null)),
                entry("LabelledAlignment.align, per label, synthetic", "synthetic",
                        (b, g, x) -> labelled(b).align(plan(), g, x, null)),
                entry("ExplorationSelector.select, auto length scale", "input",
                        (b, g, x) -> new ExplorationSelector(b, SelectionConfig.defaults())
                                .select(x, 5, null)),
                entry("ExplorationSelector.select, given length scale", "input",
                        (b, g, x) -> new ExplorationSelector(b, givenScale).select(x, 5, null)),
                entry("SimilarPairs.earlierAtLeast", "input",
                        (b, g, x) -> SimilarPairs.earlierAtLeast(b, x, 0.5)),
                entry("InnerProductSearch.search, queries", "queries",
                        (b, g, x) -> InnerProductSearch.search(b, x, g, 3, null,
                                ProgressListener.NONE)),
                entry("InnerProductSearch.search, corpus", "corpus",
                        (b, g, x) -> InnerProductSearch.search(b, g, x, 3, null,
                                ProgressListener.NONE)),
                entry("InnerProductSearch.search over a FiniteCorpus, queries", "queries",
                        (b, g, x) -> InnerProductSearch.search(b, x, FiniteCorpus.of(g), 3, null,
                                ProgressListener.NONE)),
                entry("FiniteCorpus.of", "corpus", (b, g, x) -> FiniteCorpus.of(x)),
                entry("FeatureGrid.blockFeatureSum", "block",
                        (b, g, x) -> FeatureGrid.blockFeatureSum(b, x,
                                FourierFeatures.sample(COLS, 16, 1.0, 1L))),
                entry("MmdPermutationTest.test, x", "x",
                        (b, g, x) -> MmdPermutationTest.test(b, x, g, 1.0, 9, 1)),
                entry("MmdPermutationTest.test, y", "y",
                        (b, g, x) -> MmdPermutationTest.test(b, g, x, 1.0, 9, 1)),
                entry("MmdWitness.values, points", "points",
                        (b, g, x) -> MmdWitness.values(b, x, g, g, null, 1.0)),
                entry("MmdWitness.values, real", "real",
                        (b, g, x) -> MmdWitness.values(b, g, x, g, null, 1.0)),
                entry("MmdWitness.values, synthetic", "synthetic",
                        (b, g, x) -> MmdWitness.values(b, g, g, x, null, 1.0)),
                entry("WeightedMmd.mmd2, x", "x", (b, g, x) -> WeightedMmd.mmd2(b, x, g, 1.0)),
                entry("WeightedMmd.mmd2, y", "y", (b, g, x) -> WeightedMmd.mmd2(b, g, x, 1.0)),
                entry("WeightedMmd.bandwidth", "set 2",
                        (b, g, x) -> WeightedMmd.bandwidth(b, 1, g, x)),
                entry("ClassifierTwoSampleTest.test, x", "x",
                        (b, g, x) -> ClassifierTwoSampleTest.test(x, g, 5, 1e-2, 1)),
                entry("ClassifierTwoSampleTest.test, y", "y",
                        (b, g, x) -> ClassifierTwoSampleTest.test(g, x, 5, 1e-2, 1)));
    }

    Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            entries().forEach(e -> out.add(Arguments.of(e.get()[0], e.get()[1], e.get()[2], bad)));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {3}")
    @MethodSource("cases")
    void everyEntryRefusesANonFiniteValueNamingItsRowAndColumn(String entry, String rows,
            Entry call, float bad) {
        FloatMatrix good = io.synalign.engine.alignment.TestBackends.gaussian(ROWS, COLS,
                new Random(3), 1.0, 0.0);
        FloatMatrix x = with(io.synalign.engine.alignment.TestBackends.gaussian(ROWS, COLS,
                new Random(4), 1.0, 0.0), BAD_ROW, bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> call.call(backend, good, x), entry + " took a row holding " + bad);
        assertEquals(rows + " row " + BAD_ROW + " column " + BAD_COL + " is " + bad,
                e.getMessage(), entry);
    }

    /**
     * The real rows of a label that no synthetic row has are not fitted, and were never looked
     * at: a NaN there passed (exit 0 in the CLI's per-label mode, had the reader let it by).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void aRealRowOfALabelThatIsNotFittedIsCheckedToo(float bad) {
        FloatMatrix good = io.synalign.engine.alignment.TestBackends.gaussian(ROWS, COLS,
                new Random(3), 1.0, 0.0);
        FloatMatrix real = with(good, 17, bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> labelled(backend).align(plan(), real, good, null));
        assertEquals("real row 17 column " + BAD_COL + " is " + bad, e.getMessage());
    }

    Stream<Float> badValues() {
        return Stream.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
    }
}
