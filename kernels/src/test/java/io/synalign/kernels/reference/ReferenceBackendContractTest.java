package io.synalign.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.BackendContractTest;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import org.junit.jupiter.api.Test;

/**
 * The whole {@link BackendContractTest} on the {@link ReferenceBackend} itself: the oracle must
 * keep the contract it holds the other backends to (a kept plan kept, an unkeepable storage
 * refused, outputs overwritten, the shared messages). It runs from outside the contract's
 * package, as a third party's backend test would, so that the contract stays usable there.
 */
class ReferenceBackendContractTest extends BackendContractTest {

    private final KernelBackend reference = new ReferenceBackend();

    @Override
    protected KernelBackend backend() {
        return reference;
    }

    /** The reference's self-kernels, kept or tiled, give principal submatrices. */
    @Override
    protected boolean keptSelfKernelOffersSubmatrices() {
        return true;
    }

    /**
     * The oracle's tracker refuses what the others refuse: a row out of range, and a row whose
     * posterior variance plus noise is not positive (a repeat of a conditioned row with no
     * noise), which used to turn every variance into NaN.
     */
    @Test
    void theTrackerRefusesARowOutOfRangeAndAZeroPivot() {
        FloatMatrix x = new FloatMatrix(3, 1, new float[] {0, 0, 1});
        try (GpVarianceTracker t = reference.gpVarianceTracker(x, 1.0, 0.0, 3)) {
            IllegalArgumentException row = assertThrows(IllegalArgumentException.class,
                    () -> t.condition(3));
            assertEquals("row 3 is out of range [0, 3)", row.getMessage());
            t.condition(0);
            IllegalArgumentException pivot = assertThrows(IllegalArgumentException.class,
                    () -> t.condition(1));
            assertTrue(pivot.getMessage().startsWith(
                    "cannot condition on row 1: posterior variance "), pivot.getMessage());
            assertEquals(1, t.rank());
            double[] v = new double[3];
            t.variances(v);
            for (double value : v) {
                assertFalse(Double.isNaN(value), "no NaN");
            }
        }
    }

    /**
     * A kept K is the float64 kernel itself: a product with a unit vector reads one column of it,
     * equal to the definition's value, and any product is bit-identical to the tiled operator's
     * (the oracle stays an oracle when asked to keep K); its bytes are counted at 8 an entry.
     */
    @Test
    void aKeptKernelIsTheFloat64KernelAndMultipliesAsTheTiledOne() {
        FloatMatrix x = new FloatMatrix(3, 2, new float[] {0, 0, 0.3f, -1.1f, 2, 0.7f});
        FloatMatrix y = new FloatMatrix(2, 2, new float[] {0.1f, 0.2f, -0.4f, 1.9f});
        double sigma = 0.9;
        try (KernelOperator kept = reference.rbfOperator(x, y, sigma, new TilePlan(true, 2));
                KernelOperator tiled = reference.rbfOperator(x, y, sigma, TilePlan.tiled(2))) {
            assertTrue(kept.materialised());
            assertFalse(tiled.materialised());
            assertEquals("kept, fp64", kept.storageDescription());
            assertEquals("tiled", tiled.storageDescription());
            for (int j = 0; j < 2; j++) {
                double[] unit = new double[2];
                unit[j] = 1;
                double[] column = new double[3];
                kept.multiply(unit, column);
                for (int i = 0; i < 3; i++) {
                    double d2 = 0;
                    for (int k = 0; k < 2; k++) {
                        double diff = (double) x.get(i, k) - y.get(j, k);
                        d2 += diff * diff;
                    }
                    assertEquals(Math.exp(-d2 / (2 * sigma * sigma)), column[i], 0.0,
                            "K[" + i + "][" + j + "]");
                }
            }
            double[] w = {0.37, -1.25};
            double[] fromKept = new double[3];
            double[] fromTiled = new double[3];
            kept.multiply(w, fromKept);
            tiled.multiply(w, fromTiled);
            org.junit.jupiter.api.Assertions.assertArrayEquals(fromTiled, fromKept, 0.0);
        }
        assertEquals(8L * 3 * 2, reference.keptKernelBytes(3, 2, false,
                io.synalign.kernels.KernelStorage.FLOAT32));
        assertEquals(8L * 5 * 5, reference.keptKernelBytes(5, 5, true,
                io.synalign.kernels.KernelStorage.FLOAT32));
    }

    /**
     * The close-order rule of {@link KernelBackend#close()} on the oracle too: once the backend
     * is closed, it and every operator, submatrix and tracker it made refuse to compute; closing
     * them afterwards throws nothing. (It computed on regardless before.)
     */
    @Test
    void everythingTheBackendMadeRefusesToRunOnceItIsClosed() {
        java.util.Random random = new java.util.Random(5);
        float[] xs = new float[9 * 3];
        float[] ys = new float[5 * 3];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < ys.length; i++) {
            ys[i] = (float) random.nextGaussian();
        }
        FloatMatrix x = new FloatMatrix(9, 3, xs);
        FloatMatrix y = new FloatMatrix(5, 3, ys);
        io.synalign.kernels.FourierFeatures map = io.synalign.kernels.FourierFeatures.sample(3, 7,
                1.0, 3);
        ReferenceBackend backend = new ReferenceBackend();
        java.util.List<KernelOperator> operators = new java.util.ArrayList<>();
        operators.add(backend.rbfOperator(x, y, 1.0, TilePlan.tiled(4)));
        operators.add(backend.rbfOperator(x, y, 1.0, new TilePlan(true, 4)));
        KernelOperator self = backend.rbfOperator(x, x, 1.0, new TilePlan(true, 9));
        operators.add(self);
        operators.add(self.principalSubmatrix(new int[] {1, 4, 6}, Long.MAX_VALUE));
        io.synalign.kernels.FeatureOperator features = backend.fourierFeatureOperator(x, map);
        GpVarianceTracker tracker = backend.gpVarianceTracker(x, 1.0, 1e-3, 2);
        tracker.condition(0);
        operators.get(0).multiply(new double[5], new double[9]); // ran while open

        backend.close();
        backend.close(); // idempotent

        for (KernelOperator op : operators) {
            refused(() -> op.multiply(new double[op.cols()], new double[op.rows()]));
            refused(() -> op.rowSums(new double[op.rows()]));
        }
        refused(() -> self.principalSubmatrix(new int[] {0, 1}, Long.MAX_VALUE));
        refused(() -> features.transposeTimes(new double[9], new double[7]));
        refused(() -> features.times(new double[7], new double[9]));
        refused(() -> tracker.condition(1));
        refused(() -> tracker.variance(0));
        refused(() -> tracker.variances(new double[9]));
        refused(() -> tracker.argmax(new java.util.BitSet()));
        refused(tracker::reset);
        float[] block = new float[9 * 5];
        refused(() -> backend.squaredDistances(x, y, block));
        refused(() -> backend.innerProducts(x, y, block));
        refused(() -> backend.innerProducts(x, y, java.nio.FloatBuffer.wrap(block)));
        refused(() -> backend.rbfBlock(x, y, 1.0, block));
        refused(() -> backend.randomFourierFeatures(x, map, new float[9 * 7]));
        refused(() -> backend.rbfOperator(x, y, 1.0, TilePlan.tiled(4)));
        refused(() -> backend.fourierFeatureOperator(x, map));
        refused(() -> backend.gpVarianceTracker(x, 1.0, 1e-3, 1));
        refused(backend::vectors);
        assertEquals(1, tracker.rank(), "what it holds may still be asked");

        for (KernelOperator op : operators) {
            op.close();
        }
        features.close();
        tracker.close();
    }

    private static void refused(org.junit.jupiter.api.function.Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call);
        assertTrue(e.getMessage().startsWith("the reference backend is closed"), e.getMessage());
    }
}
