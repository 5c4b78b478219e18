package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * rff's weights do not depend on the heap (helper chunkgrid34): the same inputs and seed under
 * two heap caps ({@code synalign.rff.heapBytes}, standing in for {@code -Xmx}) give the same
 * weights bit for bit, where the caps make the engine read the chunks' rows in pieces of 64 and
 * of 170 rows (and of 1,100, the heap of this JVM). Since heap33 a chunk's rows were capped at
 * 1/16 of the heap, so the caps changed the chunk grid, and with it the order the chunks' sums
 * are added in. Now the grid is the backend's, D's and d's (one chunk here: up to 65,536 rows
 * on the reference, 262,144 on nd4j) and only the reads follow the heap. A file of awkward size read in blocks of 97 rows; every chunk
 * recomputed in every pass (budget 0) and every chunk kept (built once from its pieces); and a
 * forced grid of 450-row chunks (ragged pieces at each chunk's end). Since helper grid35 also
 * on nd4j's portable path ({@code nd4j-portable}), whose grid followed the heap before.
 */
class ChunkGridHeapTest {

    private static final int N = 1_100;
    private static final int D_IN = 40;

    @AfterEach
    void clear() {
        System.clearProperty(ChunkedFeatureOperator.HEAP_BYTES_PROPERTY);
        System.clearProperty("synalign.rff.chunkRows");
    }

    private static FloatMatrix rows(int n, long seed, double offset) {
        Random r = new Random(seed);
        float[] data = new float[n * D_IN];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (r.nextGaussian() + (i % D_IN == 0 ? offset : 0));
        }
        return new FloatMatrix(n, D_IN, data);
    }

    private static RowSource blocks(FloatMatrix m, int size) {
        List<FloatMatrix> out = new ArrayList<>();
        for (int start = 0; start < m.rows(); start += size) {
            int count = Math.min(size, m.rows() - start);
            float[] data = new float[count * m.cols()];
            System.arraycopy(m.data(), start * m.cols(), data, 0, data.length);
            out.add(new FloatMatrix(count, m.cols(), data));
        }
        return RowSource.ofBlocks(out);
    }

    /** A heap whose 1/16 holds {@code rows} rows of d floats. */
    private static long heapFor(int rows) {
        return 16L * 4 * D_IN * rows;
    }

    private static AlignmentResult fit(KernelBackend backend, long keep, Long heap) {
        return fit(backend, AlignmentMethod.RFF, keep, heap);
    }

    private static AlignmentResult fit(KernelBackend backend, AlignmentMethod method, long keep,
            Long heap) {
        if (heap == null) {
            System.clearProperty(ChunkedFeatureOperator.HEAP_BYTES_PROPERTY);
        } else {
            System.setProperty(ChunkedFeatureOperator.HEAP_BYTES_PROPERTY, Long.toString(heap));
        }
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(method)
                .withFeatures(32).withSeed(11).withIterations(25, 1e-14);
        return new MmdWeightLearner(backend, config).withFeatureBudget(keep).fit(
                rows(60, 1, 0.7), blocks(rows(N, 2, 0.0), 97), ProgressListener.NONE);
    }

    private static void assertSameWeights(AlignmentResult a, AlignmentResult b, String what) {
        assertEquals(a.iterations(), b.iterations(), what + ": iterations");
        for (int i = 0; i < a.weights().length; i++) {
            if (Double.doubleToRawLongBits(a.weights()[i])
                    != Double.doubleToRawLongBits(b.weights()[i])) {
                fail(what + ": weight " + i + " is " + b.weights()[i] + " under one heap, "
                        + a.weights()[i] + " under the other");
            }
        }
    }

    /**
     * The grid the Spark job asks an executor for ({@link FeatureGrid#syntheticChunkRows}) is
     * the same under any heap where the backend builds from pieces, so executors of other heaps
     * cut the same blocks (before: 1/16 of the asked executor's heap at wide rows).
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference", "nd4j", "nd4j-portable"})
    void theDistributedGridDoesNotFollowTheHeap(String name) {
        try (KernelBackend backend = TestBackends.create(name)) {
            for (int[] s : new int[][] {{1024, 384}, {1024, 10_000}, {16, 100_003}}) {
                System.setProperty(ChunkedFeatureOperator.HEAP_BYTES_PROPERTY, "1000000");
                int small = FeatureGrid.syntheticChunkRows(backend, s[0], s[1]);
                System.setProperty(ChunkedFeatureOperator.HEAP_BYTES_PROPERTY, "64000000000");
                int large = FeatureGrid.syntheticChunkRows(backend, s[0], s[1]);
                assertEquals(small, large, name + ", D = " + s[0] + ", d = " + s[1]);
                assertEquals(Math.min(backend.featureChunkRows(s[0]),
                        ChunkedFeatureOperator.MAX_ARRAY / s[1]), small);
            }
        }
    }

    /**
     * The pieces a distributed caller hands a block over in ({@link FeatureGrid#pieceRows},
     * helper sparkblock35) are the engine's read block, {@link ChunkedFeatureOperator#readRows}:
     * 1/16 of the heap in rows, at most the chunk, at least 1, under a 1 MB and a 64 GB heap;
     * and the whole chunk on a backend that builds no features from pieces (a forwarding
     * backend answering {@code featureRowsInPieces} false, as cuda does).
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference", "nd4j", "nd4j-portable"})
    void theDistributedPiecesAreTheEnginesReadBlock(String name) {
        try (KernelBackend backend = TestBackends.create(name)) {
            KernelBackend whole = new io.synalign.kernels.ForwardingKernelBackend(backend) {
                @Override
                public boolean featureRowsInPieces() {
                    return false;
                }
            };
            for (long heap : new long[] {1_000_000L, 64_000_000_000L}) {
                System.setProperty(ChunkedFeatureOperator.HEAP_BYTES_PROPERTY, Long.toString(heap));
                for (int[] s : new int[][] {{8192, 10_000}, {2048, 384}, {7, 100_003}}) {
                    long expected = Math.max(1, Math.min(s[0], heap / 16 / (4L * s[1])));
                    assertEquals(expected, FeatureGrid.pieceRows(backend, s[0], s[1]),
                            name + ", heap " + heap + ", chunk " + s[0] + ", d = " + s[1]);
                    assertEquals(expected, FeatureGrid.readRows(s[0], s[1]));
                    assertEquals(s[0], FeatureGrid.pieceRows(whole, s[0], s[1]),
                            "no pieces: the chunk whole");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference", "nd4j", "nd4j-portable"})
    void rffWeightsAreTheSameBitsUnderAnyHeap(String name) {
        try (KernelBackend backend = TestBackends.create(name)) {
            for (String forced : new String[] {null, "450"}) {
                if (forced != null) {
                    System.setProperty("synalign.rff.chunkRows", forced);
                }
                for (long keep : new long[] {0, Long.MAX_VALUE}) {
                    String what = name + ", chunks " + (forced == null ? "of the grid" : forced)
                            + ", keep " + keep;
                    AlignmentResult small = fit(backend, keep, heapFor(64));
                    AlignmentResult larger = fit(backend, keep, heapFor(170));
                    AlignmentResult roomy = fit(backend, keep, null);
                    assertSameWeights(small, larger, what);
                    assertSameWeights(small, roomy, what + " (this JVM's heap)");
                    // The pieces did follow the heaps (else this test would prove nothing).
                    assertTrue(small.kernelStorage().contains("read 64 rows at a time"),
                            what + ": " + small.kernelStorage());
                    assertTrue(larger.kernelStorage().contains("read 170 rows at a time"),
                            what + ": " + larger.kernelStorage());
                    // The backend's grid (the reference's 16 MiB of double features since
                    // chunkgrid34b, 65,536 rows at D = 32; nd4j's 262,144 on both paths): one
                    // chunk.
                    String chunks = forced == null ? String.format(java.util.Locale.ROOT,
                            "in 1 chunks of %,d rows", Math.min(backend.featureChunkRows(32),
                                    ChunkedFeatureOperator.MAX_ARRAY / D_IN))
                            : "in 3 chunks of 450 rows";
                    assertTrue(small.kernelStorage().contains(chunks), what + ": "
                            + small.kernelStorage());
                }
            }
        }
    }

    /**
     * nystrom's grid (helper grid35): the backend's chunk for r landmarks, one Java array and
     * {@link ChunkedFeatureOperator#LANDMARK_ROWS_BYTES} of rows, the same under a 1 MB and a
     * 64 GB heap (heap33 capped it at 1/16 of the heap: 2 rows and 26 million at d = 10,000).
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference", "nd4j", "nd4j-portable"})
    void theLandmarkGridDoesNotFollowTheHeap(String name) {
        try (KernelBackend backend = TestBackends.create(name)) {
            for (int[] s : new int[][] {{1024, 384}, {300, 10_000}, {16, 100_003}, {64, 7}}) {
                System.setProperty(ChunkedFeatureOperator.HEAP_BYTES_PROPERTY, "1000000");
                int small = ChunkedFeatureOperator.landmarkChunkRows(backend, s[0], s[1]);
                System.setProperty(ChunkedFeatureOperator.HEAP_BYTES_PROPERTY, "64000000000");
                int large = ChunkedFeatureOperator.landmarkChunkRows(backend, s[0], s[1]);
                String what = name + ", r = " + s[0] + ", d = " + s[1];
                assertEquals(small, large, what);
                long expected = Math.min(Math.min(backend.featureChunkRows(s[0]),
                        ChunkedFeatureOperator.MAX_ARRAY / s[1]), (6L << 20) / (4L * s[1]));
                assertEquals(Math.max(1, expected), small, what);
            }
        }
    }

    /**
     * nystrom's weights are the same bits under heaps whose 1/16 holds 64 and 170 rows and this
     * JVM's (helper grid35): before, its chunks were those heaps' rows (18 chunks of 64, 7 of
     * 170), so the K_SL products summed in other orders and the weights' last bits differed.
     * Every chunk recomputed (budget 0) and every chunk kept; the default grid (one chunk here)
     * and a forced one of 450-row chunks.
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference", "nd4j", "nd4j-portable"})
    void nystromWeightsAreTheSameBitsUnderAnyHeap(String name) {
        try (KernelBackend backend = TestBackends.create(name)) {
            for (String forced : new String[] {null, "450"}) {
                if (forced != null) {
                    System.setProperty("synalign.rff.chunkRows", forced);
                }
                for (long keep : new long[] {0, Long.MAX_VALUE}) {
                    String what = name + ", nystrom, chunks "
                            + (forced == null ? "of the grid" : forced) + ", keep " + keep;
                    AlignmentResult small = fit(backend, AlignmentMethod.NYSTROM, keep,
                            heapFor(64));
                    AlignmentResult larger = fit(backend, AlignmentMethod.NYSTROM, keep,
                            heapFor(170));
                    AlignmentResult roomy = fit(backend, AlignmentMethod.NYSTROM, keep, null);
                    assertSameWeights(small, larger, what);
                    assertSameWeights(small, roomy, what + " (this JVM's heap)");
                    String chunks = forced == null ? "in 1 chunks of " : "in 3 chunks of 450 rows";
                    assertTrue(small.kernelStorage().contains(chunks), what + ": "
                            + small.kernelStorage());
                }
            }
        }
    }
}
