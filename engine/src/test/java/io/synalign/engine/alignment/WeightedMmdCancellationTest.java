package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.InterruptingBackend;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Cancelling the weighted MMD^2 (session 22's Open: its products were not checked, so an
 * interrupted caller got every value, one {@code K_XX w} pass per weight vector after the
 * interrupt). The interrupt is placed by the progress listener before a product, or by the
 * backend when K_XX's operator is made; no product may follow it.
 */
class WeightedMmdCancellationTest {

    private static final FloatMatrix X = TestBackends.gaussian(41, 5, new Random(1), 1.0, 0.0);
    private static final FloatMatrix Y = TestBackends.gaussian(37, 5, new Random(2), 1.2, 0.3);
    private static final double[][] WEIGHTS = {
        WeightedMmd.normalised(null, 41),
        TestBackends.randomSimplexPoint(41, new Random(3)),
        TestBackends.randomSimplexPoint(41, new Random(4)),
    };

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted();
    }

    @Test
    void anInterruptBeforeAProductStopsTheHeldOutValuesThere() {
        try (KernelBackend backend = new ReferenceBackend()) {
            double[] whole = WeightedMmd.valuesAgainstPopulation(backend, X, Y, 1.4, WEIGHTS);
            List<Long> evaluated = new ArrayList<>();
            assertThrows(CancellationException.class, () -> WeightedMmd.valuesAgainstPopulation(
                    backend, X, Y, 1.4, (stage, done, total, detail) -> {
                        if (stage.equals("evaluate")) {
                            evaluated.add(done);
                            if (done == 0) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }, WEIGHTS), "values returned after the interrupt");
            // One pass for all the vectors (multiplyEach): told before it, never after.
            assertEquals(List.of(0L), evaluated, "products begun after the interrupt");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");

            assertTrue(Thread.interrupted());
            assertArrayEquals(whole, WeightedMmd.valuesAgainstPopulation(backend, X, Y, 1.4,
                    WEIGHTS), "the same thread, again: bit for bit");
        }
    }

    @Test
    void anInterruptWhileKxxIsMadeStopsTheValuesBeforeTheirFirstProduct() {
        try (KernelBackend backend = new ReferenceBackend()) {
            double[] whole = WeightedMmd.values(backend, X, Y, 1.4, WEIGHTS);
            // rbfOperator: K_XY's row sums, K_YY's, then K_XX.
            InterruptingBackend interrupting = InterruptingBackend.at("rbfOperator", 3);
            assertThrows(CancellationException.class, () -> WeightedMmd.values(
                    interrupting.wrap(backend), X, Y, 1.4, WEIGHTS), "values after the interrupt");
            assertTrue(interrupting.interrupted());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");

            assertTrue(Thread.interrupted());
            assertArrayEquals(whole, WeightedMmd.values(backend, X, Y, 1.4, WEIGHTS));
        }
    }

    @Test
    void anAlreadyInterruptedCallerMakesNoProduct() {
        try (KernelBackend backend = new ReferenceBackend()) {
            InterruptingBackend counting = InterruptingBackend.at("rbfOperator", 0);
            Thread.currentThread().interrupt();
            assertThrows(CancellationException.class,
                    () -> WeightedMmd.mmd2(counting.wrap(backend), X, WEIGHTS[1], Y, 1.4));
            assertEquals(0, counting.calls(), "kernel operators made");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
        }
    }
}
