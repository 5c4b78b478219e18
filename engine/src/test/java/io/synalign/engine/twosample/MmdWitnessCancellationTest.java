package io.synalign.engine.twosample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.InterruptingBackend;
import io.synalign.engine.alignment.TestBackends;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Cancelling the witness evaluation (session 22's Open: its blocks checked nothing, so an
 * interrupted caller got every value). The interrupt is made by the backend when a chosen
 * kernel block returns; the evaluation must make no block after it.
 */
class MmdWitnessCancellationTest {

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted();
    }

    @Test
    void anInterruptStopsTheWitnessBeforeItsNextBlockOfPoints() {
        Random r = new Random(5);
        FloatMatrix x = TestBackends.gaussian(23, 5, r, 1.0, 0.0);
        FloatMatrix y = TestBackends.gaussian(31, 5, r, 1.2, 0.3);
        FloatMatrix points = TestBackends.gaussian(53, 5, r, 1.1, 0.1);
        int blockFloats = 31 * 7; // 7 points a block: 8 blocks, two kernel blocks each
        try (KernelBackend backend = new ReferenceBackend()) {
            double[] whole = MmdWitness.values(backend, points, x, y, null, 1.7, blockFloats);
            // The 4th kernel block is block 2's synthetic side, its last.
            InterruptingBackend interrupting = InterruptingBackend.at("rbfBlock", 4);
            CancellationException e = assertThrows(CancellationException.class,
                    () -> MmdWitness.values(interrupting.wrap(backend), points, x, y, null, 1.7,
                            blockFloats), "values returned after the interrupt");
            assertTrue(interrupting.interrupted());
            assertEquals(0, interrupting.callsAfter(), "kernel blocks after the interrupt");
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");

            assertTrue(Thread.interrupted());
            assertArrayEquals(whole, MmdWitness.values(backend, points, x, y, null, 1.7,
                    blockFloats), "the same thread, again: bit for bit");
        }
    }
}
