package io.synalign.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A reference kernel product interrupted at its N-th tile (session 23's Open: one product was
 * the unit, O(n m d) single-threaded, and ran to its end) stops before the next tile with the
 * contract's exception, status kept; the interrupt is placed by the operator's tile hook, on
 * the calling thread, not timed. {@code w} is unchanged, {@code out} partly written (which the
 * {@link KernelOperator} contract leaves unspecified and no caller reads), and an uninterrupted
 * product afterwards is the same bits.
 */
class ReferenceKernelCancellationTest {

    private static final int TILE_ROWS = 4;
    private static final int INTERRUPT_AT = 3;

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
    }

    private static FloatMatrix rows(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return new FloatMatrix(n, d, v);
    }

    /** Tiles started, and those started after the interrupt. */
    private static final class Tiles {
        final List<Integer> started = new ArrayList<>();
        final List<Integer> afterInterrupt = new ArrayList<>();
        boolean interrupted;

        void start(int tile, boolean interrupts) {
            started.add(tile);
            if (interrupted) {
                afterInterrupt.add(tile);
            }
            if (interrupts && tile == INTERRUPT_AT) {
                interrupted = true;
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aProductInterruptedAtATileStopsBeforeTheNext() {
        FloatMatrix x = rows(37, 7, 1);
        FloatMatrix y = rows(53, 7, 2);
        double[] w = new double[53];
        for (int j = 0; j < w.length; j++) {
            w[j] = (j % 5 - 2) / 7.0;
        }
        try (ReferenceBackend backend = new ReferenceBackend()) {
            for (boolean materialise : new boolean[] {false, true}) {
                for (boolean rowSums : new boolean[] {false, true}) {
                    String what = (materialise ? "kept" : "tiled") + (rowSums ? " row sums" : " K w");
                    TilePlan plan = new TilePlan(materialise, TILE_ROWS);
                    try (KernelOperator op = backend.rbfOperator(x, y, 0.9, plan)) {
                        ReferenceKernelOperator tiles = (ReferenceKernelOperator) op;
                        double[] whole = new double[37];
                        Tiles all = new Tiles();
                        tiles.onTileStarted(t -> all.start(t, false));
                        product(op, rowSums, w, whole);
                        assertEquals(10, all.started.size(), what + ": tiles " + all.started);

                        Tiles cut = new Tiles();
                        tiles.onTileStarted(t -> cut.start(t, true));
                        double[] wBefore = w.clone();
                        double[] partial = new double[37];
                        java.util.Arrays.fill(partial, Double.NaN);
                        CancellationException e = assertThrows(CancellationException.class,
                                () -> product(op, rowSums, w, partial),
                                what + ": the product ran to its end after the interrupt");
                        assertArrayEquals(wBefore, w, what + ": w unchanged");
                        // out is unspecified after a cancellation (KernelOperator): here the
                        // rows of the tiles done, the rest as they were. Callers never read it.
                        for (int i = 0; i < 37; i++) {
                            assertEquals(i < (INTERRUPT_AT + 1) * TILE_ROWS, !Double.isNaN(partial[i]),
                                    what + ": row " + i + " of the partly written out");
                        }
                        assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
                        assertTrue(Thread.interrupted(), what + ": the interrupt status is kept");
                        assertEquals(List.of(), cut.afterInterrupt, what + ": tiles after it");

                        double[] again = new double[37];
                        tiles.onTileStarted(t -> { });
                        product(op, rowSums, w, again);
                        assertArrayEquals(whole, again, what + ": uninterrupted, the same bits");
                    }
                }
            }
        }
    }

    private static void product(KernelOperator op, boolean rowSums, double[] w, double[] out) {
        if (rowSums) {
            op.rowSums(out);
        } else {
            op.multiply(w, out);
        }
    }
}
