package io.synalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.TestBackends;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Cancelling the median heuristic (session 22's Open: it checked nothing, so an interrupted
 * caller still read every sampled row, took every distance and got a bandwidth). The interrupt
 * is made by a row source when a chosen read returns, or by the backend after the distances.
 */
class MedianHeuristicCancellationTest {

    private static final long SEED = 4;

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted();
    }

    /** Rows of a matrix, interrupting the reader when its {@code at}-th read (from 1) returns. */
    private static final class InterruptingRows implements RowSource {
        final RowSource rows;
        final int at;
        int reads;
        int readsAfter;

        InterruptingRows(FloatMatrix m, int at) {
            this.rows = RowSource.of(m);
            this.at = at;
        }

        @Override
        public String name() {
            return rows.name();
        }

        @Override
        public long rows() {
            return rows.rows();
        }

        @Override
        public int cols() {
            return rows.cols();
        }

        @Override
        public void read(long start, int count, float[] out) {
            reads++;
            if (reads > at) {
                readsAfter++;
            }
            rows.read(start, count, out);
            if (reads == at) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final FloatMatrix ROWS = TestBackends.gaussian(701, 5, new Random(3), 1.0, 0.0);

    @Test
    void anInterruptWhileSampledRowsAreReadStopsWithinOneBlockOfRows() {
        try (KernelBackend backend = new ReferenceBackend()) {
            double whole = MedianHeuristic.estimate(backend, 600, SEED, RowSource.of(ROWS));
            InterruptingRows rows = new InterruptingRows(ROWS, 300); // in the second block of 256
            InterruptingBackend distances = InterruptingBackend.at("squaredDistances", 0);
            assertThrows(CancellationException.class, () -> MedianHeuristic.estimate(
                    distances.wrap(backend), 600, SEED, rows), "a bandwidth after the interrupt");
            assertEquals(2 * MedianHeuristic.ROWS_PER_CHECK - 300, rows.readsAfter,
                    "reads after the interrupt: the rest of its block only");
            assertEquals(0, distances.calls(), "no distances after the interrupt");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");

            assertTrue(Thread.interrupted());
            assertEquals(Double.doubleToRawLongBits(whole), Double.doubleToRawLongBits(
                    MedianHeuristic.estimate(backend, 600, SEED, RowSource.of(ROWS))));
        }
    }

    @Test
    void anInterruptDuringThePairwiseDistancesStopsBeforeTheMedian() {
        try (KernelBackend backend = new ReferenceBackend()) {
            InterruptingBackend distances = InterruptingBackend.at("squaredDistances", 1);
            assertThrows(CancellationException.class, () -> MedianHeuristic.estimate(
                    distances.wrap(backend), 600, SEED, ROWS), "a bandwidth after the interrupt");
            assertTrue(distances.interrupted());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
        }
    }

    @Test
    void anInterruptStopsTheEqualRowsComparisonBeforeItsNextBlock() {
        int d = 4096; // blocks of 256 rows
        float[] data = new float[700 * d];
        java.util.Arrays.fill(data, 0.25f); // all equal: every block would be read
        FloatMatrix equal = new FloatMatrix(700, d, data);
        assertTrue(MedianHeuristic.allRowsEqual(equal));
        InterruptingRows rows = new InterruptingRows(equal, 1);
        assertThrows(CancellationException.class, () -> MedianHeuristic.allRowsEqual(rows));
        assertEquals(0, rows.readsAfter, "blocks read after the interrupt");
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
        assertTrue(Thread.interrupted());
        assertFalse(Thread.currentThread().isInterrupted());
    }
}
