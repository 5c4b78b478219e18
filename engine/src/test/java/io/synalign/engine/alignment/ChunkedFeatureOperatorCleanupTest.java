package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ChunkedFeatureOperator} when a chunk's build fails: every device vector and feature
 * operator it took from the backend is closed, counted by {@link ClosingBackend} (the operator
 * counts of {@code ChunkedFeatureOperatorPassesTest} do not see the constructor's three row and
 * feature vectors). 14 rows of 3 columns in chunks of 5: three chunks, the last ragged, so the
 * constructor allocates all three vectors (chunk rows, last chunk's rows, D features).
 */
class ChunkedFeatureOperatorCleanupTest {

    private static final String CHUNK_ROWS = "synalign.rff.chunkRows";
    private static final int N = 14;
    private static final int D = 3;
    private static final int FEATURES = 6;

    @AfterEach
    void clear() {
        System.clearProperty(CHUNK_ROWS);
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
    }

    static List<String> backendNames() {
        return TestBackends.available();
    }

    private static FloatMatrix rows() {
        return TestBackends.gaussian(N, D, new Random(44), 1.0, 0.0);
    }

    private static FourierFeatures fourier() {
        return FourierFeatures.sample(D, FEATURES, 1.0, 7);
    }

    /**
     * The account sees what a built operator holds: with every chunk kept, three device vectors
     * and three feature operators open, none after close. (Without this the tests below would
     * also pass on an account that saw nothing.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void theAccountSeesTheVectorsAndChunks(String backendName) {
        System.setProperty(CHUNK_ROWS, "5");
        ClosingBackend account = ClosingBackend.counting("zeros");
        try (KernelBackend real = TestBackends.create(backendName)) {
            KernelBackend backend = account.wrap(real);
            ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, RowSource.of(rows()),
                    RowFeatureMap.fourier(backend, fourier()), Long.MAX_VALUE,
                    ProgressListener.NONE);
            assertEquals(3, op.keptChunks());
            List<String> open = new ArrayList<>(account.stillOpen());
            Collections.sort(open);
            assertEquals(List.of("DeviceVector", "DeviceVector", "DeviceVector",
                    "FeatureOperator", "FeatureOperator", "FeatureOperator"), open);
            op.close();
            assertEquals(List.of(), account.stillOpen(), "left open by close");
        }
    }

    /**
     * A kept chunk's build that throws (the backend's second feature operator) closes the chunk
     * built before it and the three vectors, and the exception comes out unchanged.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void aFailedKeptChunkClosesTheVectors(String backendName) {
        System.setProperty(CHUNK_ROWS, "5");
        ClosingBackend account = ClosingBackend.failing("fourierFeatureOperator", 1);
        try (KernelBackend real = TestBackends.create(backendName)) {
            KernelBackend backend = account.wrap(real);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new ChunkedFeatureOperator(backend, RowSource.of(rows()),
                            RowFeatureMap.fourier(backend, fourier()), Long.MAX_VALUE,
                            ProgressListener.NONE));
            assertEquals("injected failure of fourierFeatureOperator call 1", e.getMessage());
            assertEquals(List.of(), account.stillOpen(), "left open by the failed build");
        }
    }

    /**
     * An interrupt as kept chunk 2 of 3 begins stops the build before chunk 3 (the
     * CancellationException of the contract) with chunks 1 and 2 and the vectors closed.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void anInterruptedKeptBuildClosesTheVectors(String backendName) {
        System.setProperty(CHUNK_ROWS, "5");
        ClosingBackend account = ClosingBackend.counting("fourierFeatureOperator");
        ProgressListener interrupting = (stage, done, total, detail) -> {
            if (detail.equals("kept chunk 2/3")) {
                Thread.currentThread().interrupt();
            }
        };
        try (KernelBackend real = TestBackends.create(backendName)) {
            KernelBackend backend = account.wrap(real);
            assertThrows(CancellationException.class,
                    () -> new ChunkedFeatureOperator(backend, RowSource.of(rows()),
                            RowFeatureMap.fourier(backend, fourier()), Long.MAX_VALUE,
                            interrupting));
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
            assertEquals(2, account.calls(), "chunks built before the interrupt was seen");
            assertEquals(List.of(), account.stillOpen(), "left open by the interrupted build");
        }
    }

    /**
     * An Error from a kept chunk's build (an OutOfMemoryError: the chunk's rows are a fresh
     * heap array, its features fresh off-heap or device memory) closes the same: the vectors
     * are device memory on cuda, which nothing else would free. This leaked before gaps30: the
     * constructor caught RuntimeException only.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void anErrorInAKeptChunkClosesTheVectors(String backendName) {
        System.setProperty(CHUNK_ROWS, "5");
        ClosingBackend account = ClosingBackend.counting("fourierFeatureOperator");
        try (KernelBackend real = TestBackends.create(backendName)) {
            KernelBackend backend = account.wrap(real);
            RowFeatureMap inner = RowFeatureMap.fourier(backend, fourier());
            RowFeatureMap failing = new RowFeatureMap() {
                int built;

                @Override
                public int dim() {
                    return inner.dim();
                }

                @Override
                public int features() {
                    return inner.features();
                }

                @Override
                public FeatureOperator build(FloatMatrix x) {
                    if (++built == 2) {
                        throw new OutOfMemoryError("injected: chunk 2");
                    }
                    return inner.build(x);
                }

                @Override
                public String symbol() {
                    return inner.symbol();
                }

                @Override
                public String kind() {
                    return inner.kind();
                }
            };
            OutOfMemoryError e = assertThrows(OutOfMemoryError.class,
                    () -> new ChunkedFeatureOperator(backend, RowSource.of(rows()), failing,
                            Long.MAX_VALUE, ProgressListener.NONE));
            assertEquals("injected: chunk 2", e.getMessage());
            assertEquals(1, account.calls(), "chunks built before the failure");
            assertEquals(List.of(), account.stillOpen(), "left open by the failed build");
        }
    }

    /**
     * The constructor's own allocations failing in turn (the chunk rows' vector, the last
     * chunk's, the features'): those made before are closed.
     */
    @ParameterizedTest(name = "zeros call {0}")
    @ValueSource(ints = {0, 1, 2})
    void aFailedVectorAllocationClosesTheOthers(int at) {
        System.setProperty(CHUNK_ROWS, "5");
        ClosingBackend account = ClosingBackend.failing("zeros", at);
        try (KernelBackend real = TestBackends.create("reference")) {
            KernelBackend backend = account.wrap(real);
            assertThrows(IllegalStateException.class,
                    () -> new ChunkedFeatureOperator(backend, RowSource.of(rows()),
                            RowFeatureMap.fourier(backend, fourier()), Long.MAX_VALUE,
                            ProgressListener.NONE));
            assertEquals(List.of(), account.stillOpen(), "left open by the failed allocation");
        }
    }

    /**
     * In a pass with nothing kept, the ragged chunk's operator (built anew, not the scratch one)
     * failing its product, and an interrupt as chunk 2 of 3 begins: the product stops, and after
     * close nothing is open: the operator built for the failed chunk was released by the pass,
     * the rest by close.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void aFailedOrInterruptedPassLeavesNothingOpenAfterClose(String backendName) {
        System.setProperty(CHUNK_ROWS, "5");
        double[] w = new double[N];
        java.util.Arrays.fill(w, 1.0 / N);
        // The third transposeTimes of a pass is chunk 3's: the ragged one, built anew.
        ClosingBackend failing = ClosingBackend.failing("transposeTimes", 2);
        try (KernelBackend real = TestBackends.create(backendName)) {
            KernelBackend backend = failing.wrap(real);
            ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, RowSource.of(rows()),
                    RowFeatureMap.fourier(backend, fourier()), 0, ProgressListener.NONE);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> op.transposeTimes(w, new double[FEATURES]));
            assertEquals("injected failure of transposeTimes call 2", e.getMessage());
            assertTrue(failing.stillOpen().contains("DeviceVector"), "open before close");
            op.close();
            assertEquals(List.of(), failing.stillOpen(), "left open after the failed pass");
        }
        ClosingBackend counting = ClosingBackend.counting("zeros");
        ProgressListener interrupting = (stage, done, total, detail) -> {
            if (stage.equals("features") && done == 1) {
                Thread.currentThread().interrupt();
            }
        };
        try (KernelBackend real = TestBackends.create(backendName)) {
            KernelBackend backend = counting.wrap(real);
            ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, RowSource.of(rows()),
                    RowFeatureMap.fourier(backend, fourier()), 0, interrupting);
            assertThrows(CancellationException.class,
                    () -> op.transposeTimes(w, new double[FEATURES]));
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
            op.close();
            assertEquals(List.of(), counting.stillOpen(), "left open after the interrupted pass");
        }
    }
}
