package io.synalign.engine.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.InterruptingBackend;
import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.TestBackends;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Cancelling a top-k search and a near-duplicate scan (session 22's Open: their blocks checked
 * nothing, so an interrupted caller got every hit). The interrupt is made by the backend when a
 * chosen block of scores returns; no block may follow it.
 */
class RetrievalCancellationTest {

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted();
    }

    @Test
    void anInterruptStopsTheSearchBeforeItsNextBlockOfScores() {
        Random r = new Random(8);
        FloatMatrix queries = TestBackends.gaussian(29, 6, r, 1.0, 0.0);
        FloatMatrix corpus = TestBackends.gaussian(71, 6, r, 1.0, 0.0);
        int corpusTile = 16;
        long tileBytes = 4L * corpusTile * 8; // 8 queries a tile: 4 x 5 = 20 blocks
        try (KernelBackend backend = new ReferenceBackend()) {
            InnerProductSearch.Hits whole = InnerProductSearch.search(backend, queries, corpus, 5,
                    null, ProgressListener.NONE, corpusTile, tileBytes);
            InterruptingBackend interrupting = InterruptingBackend.at("innerProducts", 6);
            assertThrows(CancellationException.class, () -> InnerProductSearch.search(
                    interrupting.wrap(backend), queries, corpus, 5, null, ProgressListener.NONE,
                    corpusTile, tileBytes), "hits returned after the interrupt");
            assertTrue(interrupting.interrupted());
            assertEquals(0, interrupting.callsAfter(), "blocks after the interrupt");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");

            assertTrue(Thread.interrupted());
            InnerProductSearch.Hits again = InnerProductSearch.search(backend, queries, corpus, 5,
                    null, ProgressListener.NONE, corpusTile, tileBytes);
            assertArrayEquals(whole.indices(), again.indices());
            assertArrayEquals(whole.scores(), again.scores());
        }
    }

    @Test
    void anInterruptStopsTheScanForSimilarPairsBeforeItsNextBlock() {
        Random r = new Random(9);
        FloatMatrix x = TestBackends.gaussian(53, 4, r, 1.0, 0.0);
        int tile = 8; // 7 row blocks: 28 blocks of the lower triangle
        try (KernelBackend backend = new ReferenceBackend()) {
            List<List<SimilarPairs.Match>> whole = SimilarPairs.earlierAtLeast(backend, x, 0.5, tile);
            InterruptingBackend interrupting = InterruptingBackend.at("innerProducts", 5);
            assertThrows(CancellationException.class, () -> SimilarPairs.earlierAtLeast(
                    interrupting.wrap(backend), x, 0.5, tile), "pairs returned after the interrupt");
            assertTrue(interrupting.interrupted());
            assertEquals(0, interrupting.callsAfter(), "blocks after the interrupt");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");

            assertTrue(Thread.interrupted());
            assertEquals(whole, SimilarPairs.earlierAtLeast(backend, x, 0.5, tile));
        }
    }
}
