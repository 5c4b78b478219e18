package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The entries of the solve step that mutation testing found unchecked: the optimiser's settings
 * and lengths, the objective's linear term, a solve without a listener, and the threshold the
 * projection returns (checked against its own output, {@code out_i = clip(v_i - tau, 0, c)}).
 */
class SolverEntryChecksTest {

    @Test
    void theOptimiserRefusesSettingsThatCannotRun() {
        assertThrows(IllegalArgumentException.class,
                () -> new AcceleratedProjectedGradient(0, 1e-6, 8, 1));
        for (double tolerance : new double[] {0, -1e-6, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class,
                    () -> new AcceleratedProjectedGradient(10, tolerance, 8, 1),
                    "tolerance " + tolerance);
        }
        assertThrows(IllegalArgumentException.class,
                () -> new AcceleratedProjectedGradient(10, 1e-6, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new AcceleratedProjectedGradient(10, 1e-6, 8, 1, null));
        // The smallest settings that can run are taken.
        new AcceleratedProjectedGradient(1, Double.MIN_VALUE, 1, 1);
    }

    @Test
    void theOptimiserRefusesAStartOrProjectionOfAnotherDimension() {
        AcceleratedProjectedGradientTest.DenseForm form =
                AcceleratedProjectedGradientTest.DenseForm.random(5, 3, 0.1, new Random(3));
        try (MmdObjective objective = new MmdObjective(form, new double[5], 0, "test")) {
            AcceleratedProjectedGradient optimiser = new AcceleratedProjectedGradient(10, 1e-6,
                    4, 1);
            double[] uniform = new double[5];
            Arrays.fill(uniform, 0.2);
            assertThrows(IllegalArgumentException.class, () -> optimiser.minimise(objective,
                    new CappedSimplexProjection(5, 1), new double[4],
                    WeightSolver.IterationListener.NONE));
            assertThrows(IllegalArgumentException.class, () -> optimiser.minimise(objective,
                    new CappedSimplexProjection(6, 1), uniform,
                    WeightSolver.IterationListener.NONE));
        }
    }

    @Test
    void anObjectiveRefusesALinearTermOfAnotherLength() {
        AcceleratedProjectedGradientTest.DenseForm form =
                AcceleratedProjectedGradientTest.DenseForm.random(4, 2, 0.1, new Random(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MmdObjective(form, new double[3], 0, "test"));
        assertTrue(e.getMessage().contains("3") && e.getMessage().contains("4"), e.getMessage());
    }

    @Test
    void aSolveWithoutAListenerRuns() {
        AcceleratedProjectedGradientTest.DenseForm form =
                AcceleratedProjectedGradientTest.DenseForm.random(6, 4, 0.05, new Random(2));
        double[] linear = {0.3, -0.1, 0.2, 0.0, 0.5, 0.1};
        WeightSolver.Solution solution = WeightSolver.solve(form, linear, 0, "test",
                AlignmentConfig.defaults(), null);
        double sum = 0;
        for (double w : solution.weights()) {
            assertTrue(w >= 0);
            sum += w;
        }
        assertEquals(1.0, sum, 1e-12);
    }

    @Test
    void theProjectionReturnsTheThresholdOfItsOutput() {
        Random random = new Random(7);
        for (int n : new int[] {3, 17, 200}) {
            double cap = Math.min(1.0, 4.0 / n);
            double[] v = random.doubles(n, -2, 3).toArray();
            double[] out = new double[n];
            double tau = new CappedSimplexProjection(n, cap).project(v, out);
            double c = cap >= 1 ? Double.POSITIVE_INFINITY : cap;
            for (int i = 0; i < n; i++) {
                assertEquals(Math.min(Math.max(v[i] - tau, 0), c), out[i], 1e-15,
                        "coordinate " + i + " of " + n);
            }
        }
    }
}
