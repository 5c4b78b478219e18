package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.VectorOps;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link NystromQuadraticForm} over {@link LandmarkKernelMap} blocks on their own: the product
 * {@code H w = K_SL G G^T K_LS w} against the same written out in double (the kernel from its
 * definition, any G: the form's algebra does not need G to be K_LL's inverse root), and the
 * shape checks of both classes, which no fit reaches (mutation testing, helper pitalign28).
 */
class NystromFormEdgesTest {

    static List<String> backendNames() {
        return TestBackends.available();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void theFormIsTheLandmarkKernelAroundGGTransposed(String backendName) {
        Random random = new Random(31);
        for (int[] shape : new int[][] {{1, 1, 1, 1}, {23, 7, 5, 4}, {40, 9, 3, 9}, {17, 13, 6, 2}}) {
            int n = shape[0];
            int r = shape[1];
            int d = shape[2];
            int k = shape[3];
            FloatMatrix rows = TestBackends.gaussian(n, d, random, 1.0, 0.3);
            FloatMatrix landmarks = TestBackends.gaussian(r, d, random, 1.0, 0.0);
            double sigma = 0.7 + random.nextDouble();
            double[][] gT = new double[k][r];
            for (double[] row : gT) {
                for (int j = 0; j < r; j++) {
                    row[j] = random.nextGaussian();
                }
            }
            double[] w = TestBackends.randomSimplexPoint(n, random);
            // In double: v = K_LS w, z = G^T v, y = G z, H w = K_SL y.
            double[][] ksl = new double[n][r];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < r; j++) {
                    ksl[i][j] = TestBackends.rbf(rows, i, landmarks, j, sigma);
                }
            }
            double[] v = new double[r];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < r; j++) {
                    v[j] += ksl[i][j] * w[i];
                }
            }
            double[] z = new double[k];
            for (int f = 0; f < k; f++) {
                for (int j = 0; j < r; j++) {
                    z[f] += gT[f][j] * v[j];
                }
            }
            double[] y = new double[r];
            for (int f = 0; f < k; f++) {
                for (int j = 0; j < r; j++) {
                    y[j] += gT[f][j] * z[f];
                }
            }
            double scale = 0;
            double[] want = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < r; j++) {
                    want[i] += ksl[i][j] * y[j];
                    scale += Math.abs(ksl[i][j] * y[j]);
                }
            }
            try (KernelBackend backend = TestBackends.create(backendName)) {
                VectorOps vectors = backend.vectors();
                LandmarkKernelMap map = new LandmarkKernelMap(backend, landmarks, sigma);
                for (boolean kept : new boolean[] {false, true}) {
                    FeatureOperator sl = kept ? map.buildKept(rows) : map.build(rows);
                    try (NystromQuadraticForm form = new NystromQuadraticForm(sl, gT, vectors);
                            DeviceVector wv = vectors.of(w);
                            DeviceVector out = vectors.zeros(n)) {
                        assertEquals(n, form.dimension());
                        // twice: the form's r-vectors are reused between products
                        for (int pass = 0; pass < 2; pass++) {
                            form.apply(wv, out);
                            double[] got = vectors.toArray(out);
                            for (int i = 0; i < n; i++) {
                                // float32 kernel entries: about 1e-7 of the sum of |terms|
                                assertEquals(want[i], got[i], 1e-6 * scale / n + 1e-12,
                                        n + "x" + r + "x" + d + " k=" + k + " kept " + kept
                                                + " row " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void shapesThatDoNotFitAreRefusedNamingThem(String backendName) {
        Random random = new Random(32);
        FloatMatrix landmarks = TestBackends.gaussian(5, 3, random, 1.0, 0.0);
        try (KernelBackend backend = TestBackends.create(backendName)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LandmarkKernelMap(backend, new FloatMatrix(0, 3, new float[0]), 1.0));
            assertEquals("need at least one landmark", e.getMessage());
            LandmarkKernelMap map = new LandmarkKernelMap(backend, landmarks, 1.0);
            assertEquals(3, map.dim());
            assertEquals(5, map.features());
            FloatMatrix wide = TestBackends.gaussian(4, 2, random, 1.0, 0.0);
            e = assertThrows(IllegalArgumentException.class, () -> map.build(wide));
            assertEquals("dimension mismatch: rows have 2 columns, the landmarks 3", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> map.buildKept(wide));
            assertEquals("dimension mismatch: rows have 2 columns, the landmarks 3", e.getMessage());
            try (FeatureOperator sl = map.build(TestBackends.gaussian(4, 3, random, 1.0, 0.0))) {
                double[][] gT = {new double[5], new double[4]};
                e = assertThrows(IllegalArgumentException.class,
                        () -> new NystromQuadraticForm(sl, gT, backend.vectors()));
                assertEquals("K_SL has 5 landmark columns but G^T has rows of 4", e.getMessage());
            }
        }
    }

    /**
     * A block's products on plain arrays ({@code K_LS w}, {@code K_SL z}), built on first use
     * or kept, against the kernel written out in double; once closed, a block refuses products
     * on vectors too, and vectors of the wrong length are refused naming both lengths.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void aBlocksProductsAreTheLandmarkKernelsAndAClosedBlockRefusesThem(String backendName) {
        Random random = new Random(33);
        int n = 19;
        int r = 6;
        int d = 4;
        FloatMatrix rows = TestBackends.gaussian(n, d, random, 1.0, 0.2);
        FloatMatrix landmarks = TestBackends.gaussian(r, d, random, 1.0, 0.0);
        double sigma = 1.1;
        double[] w = TestBackends.randomSimplexPoint(n, random);
        double[] z = new double[r];
        for (int j = 0; j < r; j++) {
            z[j] = random.nextGaussian();
        }
        double[] wantT = new double[r];
        double[] want = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < r; j++) {
                double k = TestBackends.rbf(rows, i, landmarks, j, sigma);
                wantT[j] += k * w[i];
                want[i] += k * z[j];
            }
        }
        try (KernelBackend backend = TestBackends.create(backendName)) {
            VectorOps vectors = backend.vectors();
            LandmarkKernelMap map = new LandmarkKernelMap(backend, landmarks, sigma);
            for (boolean kept : new boolean[] {false, true}) {
                FeatureOperator block = kept ? map.buildKept(rows) : map.build(rows);
                double[] gotT = new double[r];
                double[] got = new double[n];
                block.transposeTimes(w, gotT);
                block.times(z, got);
                for (int j = 0; j < r; j++) {
                    assertEquals(wantT[j], gotT[j], 1e-6, "K_LS w, kept " + kept + ", " + j);
                }
                for (int i = 0; i < n; i++) {
                    assertEquals(want[i], got[i], 1e-6 * r, "K_SL z, kept " + kept + ", " + i);
                }
                try (DeviceVector wv = vectors.of(w);
                        DeviceVector zv = vectors.of(z);
                        DeviceVector shortV = vectors.zeros(r - 1);
                        DeviceVector outN = vectors.zeros(n);
                        DeviceVector outR = vectors.zeros(r)) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> block.transposeTimes(wv, shortV));
                    assertEquals("transposeTimes: w has " + n + " values (expected " + n
                            + "), out has " + (r - 1) + " (expected " + r + ")", e.getMessage());
                    e = assertThrows(IllegalArgumentException.class,
                            () -> block.times(shortV, outN));
                    assertEquals("times: z has " + (r - 1) + " values (expected " + r
                            + "), out has " + n + " (expected " + n + ")", e.getMessage());
                    block.close();
                    IllegalStateException closed = assertThrows(IllegalStateException.class,
                            () -> block.transposeTimes(wv, outR));
                    assertEquals("feature operator is closed", closed.getMessage());
                    closed = assertThrows(IllegalStateException.class, () -> block.times(zv, outN));
                    assertEquals("feature operator is closed", closed.getMessage());
                }
            }
        }
    }

    /**
     * What a nystrom fit reports of its K_SL (the result's kernel storage): the map's kind and
     * symbol, its shape, and the bytes kept counting both of a block's kernel matrices.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void theDescriptionNamesTheLandmarkKernelAndCountsBothItsCopies(String backendName) {
        Random random = new Random(34);
        int n = 23;
        int r = 7;
        int d = 3;
        FloatMatrix rows = TestBackends.gaussian(n, d, random, 1.0, 0.2);
        FloatMatrix landmarks = TestBackends.gaussian(r, d, random, 1.0, 0.0);
        try (KernelBackend backend = TestBackends.create(backendName)) {
            LandmarkKernelMap map = new LandmarkKernelMap(backend, landmarks, 1.2);
            assertEquals(2, map.copies());
            ChunkedFeatureOperator sl = new ChunkedFeatureOperator(backend, RowSource.of(rows),
                    map, Long.MAX_VALUE, ProgressListener.NONE);
            try (NystromQuadraticForm form = new NystromQuadraticForm(sl, new double[][] {
                new double[r]}, backend.vectors())) {
                String description = form.description();
                // All kept: the n rows' two copies of r fp32 features, not the grid's chunk.
                assertEquals(sl.chunks(), sl.keptChunks());
                String kept = MethodSelector.human(4L * n * r * 2);
                assertTrue(description.startsWith("nystrom, 7 landmarks, landmark kernel K_SL 23"
                        + " x 7 fp32 in "), description);
                assertTrue(description.endsWith(" kept (" + kept + ")"), description + " vs "
                        + kept);
            }
            try (FeatureOperator block = map.build(rows);
                    NystromQuadraticForm form = new NystromQuadraticForm(block,
                            new double[][] {new double[r]}, backend.vectors())) {
                assertEquals("nystrom, 7 landmarks, K_SL kept", form.description());
            }
        }
    }
}
