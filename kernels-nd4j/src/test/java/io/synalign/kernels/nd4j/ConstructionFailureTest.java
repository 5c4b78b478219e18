package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.RowPieces;
import io.synalign.kernels.TilePlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The constructors of kernels-nd4j that make several native allocations in a row are
 * exception-safe: where the k-th fails (an {@link OutOfMemoryError} injected through
 * {@link Buffers.AllocationWatch}, standing for JavaCPP's refusal or ND4J's allocation
 * exceptions), every allocation made before it is closed and the original error reaches the
 * caller; where none fails, the object owns them all and its {@code close} frees them. Each
 * constructor is run once to count its allocations N, then N more times with allocation
 * 1, 2, ..., N failing. Awkward sizes (rows not a multiple of the blocks, odd widths).
 */
class ConstructionFailureTest {

    /** Records the calling thread's allocations; fails the {@code failAt}-th (1-based, 0: none). */
    private static final class Watch implements Buffers.AllocationWatch {
        private final int failAt;
        private final OutOfMemoryError failure;
        private int asked;
        private final List<Object> made = new ArrayList<>();

        Watch(int failAt) {
            this.failAt = failAt;
            this.failure = new OutOfMemoryError("injected: allocation " + failAt + " refused");
        }

        @Override
        public void before() {
            if (++asked == failAt) {
                throw failure;
            }
        }

        @Override
        public void made(Object allocation) {
            made.add(allocation);
        }

        /** The allocations not closed, described by their position in the order of allocation. */
        List<String> live() {
            List<String> live = new ArrayList<>();
            for (int i = 0; i < made.size(); i++) {
                if (!closed(made.get(i))) {
                    live.add("allocation " + (i + 1) + " (" + made.get(i).getClass().getSimpleName()
                            + ")");
                }
            }
            return live;
        }
    }

    private static boolean closed(Object allocation) {
        if (allocation instanceof INDArray) {
            return ((INDArray) allocation).wasClosed();
        }
        if (allocation instanceof Pointer) {
            return ((Pointer) allocation).isNull();
        }
        throw new AssertionError("unknown allocation " + allocation);
    }

    private static Watch run(Watch watch, Supplier<AutoCloseable> construct) throws Exception {
        Buffers.WATCH.set(watch);
        AutoCloseable made;
        try {
            made = construct.get();
        } finally {
            Buffers.WATCH.remove();
        }
        made.close();
        return watch;
    }

    /**
     * Builds with no failure (everything freed by close), then with each allocation in turn
     * refused: nothing allocated before it is left open, and the refusal itself is thrown.
     */
    private static void assertExceptionSafe(String what, Supplier<AutoCloseable> construct)
            throws Exception {
        Watch whole = run(new Watch(0), construct);
        int n = whole.made.size();
        assertTrue(n >= 2, what + ": " + n + " allocations, expected several");
        assertEquals(List.of(), whole.live(), what + ": closed after a whole construction");
        for (int k = 1; k <= n; k++) {
            Watch watch = new Watch(k);
            try {
                run(watch, construct);
                fail(what + ": allocation " + k + " of " + n + " refused, yet construction returned");
            } catch (OutOfMemoryError e) {
                assertSame(watch.failure, e, what + ": the refusal itself is thrown");
            }
            assertEquals(k - 1, watch.made.size(), what + ": allocations before the refused one");
            assertEquals(List.of(), watch.live(),
                    what + ": allocation " + k + " of " + n + " refused; left open");
        }
    }

    private static FloatMatrix rows(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (r.nextGaussian() + 0.5);
        }
        return new FloatMatrix(n, d, data);
    }

    @Test
    void fourierGemmFreesItsInputsWhereTheMapsAllocationFails() throws Exception {
        FloatMatrix x = rows(37, 5, 1);
        FourierFeatures map = FourierFeatures.sample(5, 19, 2.0, 2);
        assertExceptionSafe("FourierGemm(x, map)", () -> new FourierGemm(x, map));
        assertExceptionSafe("FourierGemm(rows, map)", () -> new FourierGemm(300, map));
    }

    @Test
    void featureOperatorsFreePhiAndTheGemmWhereALaterAllocationFails() throws Exception {
        FloatMatrix x = rows(301, 6, 3);
        FourierFeatures map = FourierFeatures.sample(6, 23, 2.5, 4);
        assertExceptionSafe("Nd4jFeatureOperator(x)", () -> new Nd4jFeatureOperator(x, map, null));
        assertExceptionSafe("Nd4jFeatureOperator(pieces)",
                () -> new Nd4jFeatureOperator(RowPieces.of(x, 70), map, null));
        assertExceptionSafe("PortableFeatureOperator",
                () -> new PortableFeatureOperator(x, map, null));
    }

    @Test
    void kernelOperatorsFreeWhatTheyTookWhereALaterAllocationFails() throws Exception {
        FloatMatrix x = rows(133, 7, 5);
        FloatMatrix y = rows(71, 7, 6);
        assertExceptionSafe("Nd4jSymmetricKernelOperator",
                () -> new Nd4jSymmetricKernelOperator(x, 2.1, null));
        assertExceptionSafe("Nd4jKernelOperator kept",
                () -> new Nd4jKernelOperator(x, y, 2.1, new TilePlan(true, 16), null));
        assertExceptionSafe("Nd4jKernelOperator tiled",
                () -> new Nd4jKernelOperator(x, y, 2.1, TilePlan.tiled(16), null));
        assertExceptionSafe("Nd4jKernelOperator tiled K_XX",
                () -> new Nd4jKernelOperator(x, x, 2.1, TilePlan.tiled(16), null));
        assertExceptionSafe("PortableKernelOperator kept",
                () -> new PortableKernelOperator(x, y, 2.1, new TilePlan(true, 16), null));
        assertExceptionSafe("PortableKernelOperator tiled",
                () -> new PortableKernelOperator(x, y, 2.1, TilePlan.tiled(16), null));
        assertExceptionSafe("PortableTiles", () -> new PortableTiles(133, 16, 71));
    }

    @Test
    void varianceTrackerFreesItsRowsWhereALaterAllocationFails() throws Exception {
        FloatMatrix x = rows(57, 4, 7);
        assertExceptionSafe("Nd4jGpVarianceTracker",
                () -> new Nd4jGpVarianceTracker(x, 1.7, 1e-3, 9, null));
    }
}
