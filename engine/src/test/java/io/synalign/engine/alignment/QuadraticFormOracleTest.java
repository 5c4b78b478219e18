package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.VectorOps;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The quadratic forms on their own, against their definitions written out here in double
 * ({@code H = K_SS}, {@code H = Phi Phi^T} with {@code phi(x) = sqrt(2/D) cos(Omega^T x + b)}),
 * on random rows of awkward shapes: until now they were checked only through the fit's
 * objective, where a product left as zeros, a residual of the wrong w or a submatrix of the
 * whole form could hide behind the optimiser. Tolerance: the backends' contract bound,
 * {@code ||Hw - (Hw)_64|| <= 1e-5 || |H| |w| ||} (twice for the two products of a feature form).
 */
class QuadraticFormOracleTest {

    private static final int[][] SHAPES = {{1, 1}, {2, 3}, {7, 5}, {33, 4}, {130, 9}};

    static java.util.List<String> backends() {
        return TestBackends.available();
    }

    private static double[][] kernel(FloatMatrix x, double sigma) {
        int n = x.rows();
        double[][] k = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                k[i][j] = TestBackends.rbf(x, i, x, j, sigma);
            }
        }
        return k;
    }

    private static double[] randomWeights(int n, Random random) {
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            // Signed, not on the simplex: the form is linear in any w.
            w[i] = random.nextDouble() * 2 - 1;
        }
        return w;
    }

    /** ||a - b|| <= tol ||scale||, with a message naming the first bad index. */
    private static void assertClose(double[] expected, double[] actual, double[] scale,
            double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        double err = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            err += (expected[i] - actual[i]) * (expected[i] - actual[i]);
            norm += scale[i] * scale[i];
        }
        assertTrue(Math.sqrt(err) <= tol * Math.sqrt(norm) + 1e-300,
                what + ": error " + Math.sqrt(err) + " against a scale of " + Math.sqrt(norm));
    }

    /** (H w, |H| |w|) for a dense double H. */
    private static double[][] product(double[][] h, double[] w) {
        double[] out = new double[w.length];
        double[] scale = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            for (int j = 0; j < w.length; j++) {
                out[i] += h[i][j] * w[j];
                scale[i] += Math.abs(h[i][j] * w[j]);
            }
        }
        return new double[][] {out, scale};
    }

    private static double[] apply(QuadraticForm form, VectorOps vectors, double[] w) {
        try (DeviceVector wv = vectors.of(w); DeviceVector out = vectors.zeros(w.length)) {
            vectors.fill(out, 12345.0); // overwritten, not added to
            form.apply(wv, out);
            return vectors.toArray(out);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aKernelFormIsKssKeptOrTiledWithItsPrincipalSubmatrices(String name) {
        Random random = new Random(29);
        try (KernelBackend backend = TestBackends.create(name)) {
            VectorOps vectors = backend.vectors();
            for (int[] shape : SHAPES) {
                int n = shape[0];
                FloatMatrix x = TestBackends.gaussian(n, shape[1], random, 1.0, 0.3);
                double sigma = 0.7 + random.nextDouble() * 2;
                double[][] k = kernel(x, sigma);
                for (boolean keep : new boolean[] {true, false}) {
                    TilePlan plan = keep ? new TilePlan(true, Math.max(1, n / 3))
                            : TilePlan.tiled(Math.max(1, n / 4));
                    String what = name + " " + n + " x " + shape[1] + (keep ? " kept" : " tiled");
                    KernelOperator op = backend.rbfOperator(x, x, sigma, plan);
                    try (KernelQuadraticForm form = new KernelQuadraticForm(op)) {
                        assertEquals(n, form.dimension(), what);
                        // Working sets where the operator offers submatrices: a K_SS kept or,
                        // since helper tws30, tiled, on the reference and nd4j's CPU path (not
                        // nd4j's portable path, nor cuda).
                        assertEquals(op.offersPrincipalSubmatrix(), form.restricts(), what);
                        assertEquals(!name.endsWith("portable") && !name.equals("cuda"),
                                form.restricts(), what);
                        assertEquals(op.storageDescription(), form.description(), what);
                        double[] w = randomWeights(n, random);
                        double[][] hw = product(k, w);
                        assertClose(hw[0], apply(form, vectors, w), hw[1], 1e-5, what);

                        // applyEach: each product is that vector's, in its own output.
                        double[][] ws = {randomWeights(n, random), randomWeights(n, random),
                            randomWeights(n, random)};
                        DeviceVector[] in = new DeviceVector[3];
                        DeviceVector[] outs = new DeviceVector[3];
                        try {
                            for (int j = 0; j < 3; j++) {
                                in[j] = vectors.of(ws[j]);
                                outs[j] = vectors.zeros(n);
                                vectors.fill(outs[j], -7.0);
                            }
                            form.applyEach(in, outs);
                            for (int j = 0; j < 3; j++) {
                                double[][] e = product(k, ws[j]);
                                assertClose(e[0], vectors.toArray(outs[j]), e[1], 1e-5,
                                        what + " applyEach " + j);
                            }
                        } finally {
                            for (int j = 0; j < 3; j++) {
                                if (in[j] != null) {
                                    in[j].close();
                                }
                                if (outs[j] != null) {
                                    outs[j].close();
                                }
                            }
                        }

                        // H[I][I] on every other row and the last, with room in the budget.
                        int[] rows = java.util.stream.IntStream.range(0, n)
                                .filter(i -> i % 2 == 0 || i == n - 1).toArray();
                        QuadraticForm sub = form.principalSubform(rows, 1L << 30);
                        // A form that restricts gives H[I][I] within the budget; one that
                        // does not, none (a check's product would be wasted otherwise).
                        assertEquals(form.restricts(), sub != null, what);
                        if (sub != null) {
                            try (sub) {
                                double[][] kk = new double[rows.length][rows.length];
                                for (int a = 0; a < rows.length; a++) {
                                    for (int b = 0; b < rows.length; b++) {
                                        kk[a][b] = k[rows[a]][rows[b]];
                                    }
                                }
                                assertEquals(rows.length, sub.dimension(), what);
                                double[] v = randomWeights(rows.length, random);
                                double[][] e = product(kk, v);
                                assertClose(e[0], apply(sub, vectors, v), e[1], 1e-5,
                                        what + " H[I][I]");
                            }
                        }
                        if (keep) {
                            // No room beside the kept K: none.
                            assertEquals(null, form.principalSubform(rows, 0), what);
                        } else if (form.restricts()) {
                            // A tiled K keeps nothing: with no room, a tiled H[I][I].
                            try (QuadraticForm tiled = form.principalSubform(rows, 0)) {
                                assertEquals(rows.length, tiled.dimension(), what);
                                assertEquals("tiled", tiled.description(), what);
                            }
                        }
                    }
                    // The form owns the operator: closing it closes K.
                    assertThrows(IllegalStateException.class,
                            () -> op.multiply(new double[n], new double[n]), what);
                }
            }
            // K_SS is square: a rectangular operator is refused, naming its shape.
            FloatMatrix a = TestBackends.gaussian(5, 2, random, 1, 0);
            FloatMatrix b = TestBackends.gaussian(3, 2, random, 1, 0);
            try (KernelOperator rect = backend.rbfOperator(a, b, 1.0, TilePlan.tiled(2))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> new KernelQuadraticForm(rect));
                assertEquals("K_SS must be square, got 5 x 3", e.getMessage());
            }
        }
    }

    /** Phi (n x D) of the definition, in double from the map's float parameters. */
    private static double[][] features(FloatMatrix x, FourierFeatures map) {
        int n = x.rows();
        int d = map.dim();
        int big = map.features();
        double scale = Math.sqrt(2.0 / big);
        double[][] phi = new double[n][big];
        for (int i = 0; i < n; i++) {
            for (int f = 0; f < big; f++) {
                double t = map.phase()[f];
                for (int c = 0; c < d; c++) {
                    t += (double) x.get(i, c) * map.omega()[c * big + f];
                }
                phi[i][f] = scale * Math.cos(t);
            }
        }
        return phi;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aFeatureFormIsPhiPhiTransposeAndItsResidualIsThatOfTheLastW(String name) {
        Random random = new Random(2929);
        int[] featureCounts = {1, 3, 17, 64, 101};
        try (KernelBackend backend = TestBackends.create(name)) {
            VectorOps vectors = backend.vectors();
            for (int s = 0; s < SHAPES.length; s++) {
                int n = SHAPES[s][0];
                int d = SHAPES[s][1];
                int big = featureCounts[s];
                FloatMatrix x = TestBackends.gaussian(n, d, random, 1.0, -0.2);
                FourierFeatures map = FourierFeatures.sample(d, big, 1.3, 1000 + s);
                double[][] phi = features(x, map);
                double[] mu = new double[big];
                for (int f = 0; f < big; f++) {
                    mu[f] = random.nextGaussian() * 0.3;
                }
                String what = name + " " + n + " x " + d + ", D = " + big;
                for (boolean chunked : new boolean[] {false, true}) {
                    FeatureOperator op;
                    // Chunks of 3 rows, none kept: a ragged last chunk wherever 3 does not
                    // divide n.
                    System.setProperty("synalign.rff.chunkRows", "3");
                    try {
                        op = chunked
                                ? new ChunkedFeatureOperator(backend, RowSource.of(x), map, 0, null)
                                : backend.fourierFeatureOperator(x, map);
                    } finally {
                        System.clearProperty("synalign.rff.chunkRows");
                    }
                    String description = chunked ? ((ChunkedFeatureOperator) op).describe()
                            : "random features, " + big + " per row, kept";
                    try (FeatureQuadraticForm form = new FeatureQuadraticForm(op, vectors, mu)) {
                        assertEquals(n, form.dimension(), what);
                        assertEquals(description, form.description(), what);
                        assertTrue(Double.isNaN(form.lastResidual()),
                                what + ": no residual before the first product");
                        for (int rep = 0; rep < 2; rep++) {
                            double[] w = randomWeights(n, random);
                            // z = Phi^T w, H w = Phi z; scales |Phi| |Phi^T| |w|.
                            double[] z = new double[big];
                            double[] zAbs = new double[big];
                            for (int i = 0; i < n; i++) {
                                for (int f = 0; f < big; f++) {
                                    z[f] += phi[i][f] * w[i];
                                    zAbs[f] += Math.abs(phi[i][f] * w[i]);
                                }
                            }
                            double[] hw = new double[n];
                            double[] scale = new double[n];
                            for (int i = 0; i < n; i++) {
                                for (int f = 0; f < big; f++) {
                                    hw[i] += phi[i][f] * z[f];
                                    scale[i] += Math.abs(phi[i][f]) * zAbs[f];
                                }
                            }
                            assertClose(hw, apply(form, vectors, w), scale, 2e-5,
                                    what + " pass " + rep);
                            double residual = 0;
                            double residualScale = 0;
                            for (int f = 0; f < big; f++) {
                                residual += (z[f] - mu[f]) * (z[f] - mu[f]);
                                residualScale += (zAbs[f] + Math.abs(mu[f]))
                                        * (zAbs[f] + Math.abs(mu[f]));
                            }
                            assertEquals(residual, form.lastResidual(),
                                    3e-5 * residualScale + 1e-300, what + " residual " + rep);
                        }
                    }
                    // The form owns the features: closing it closes them.
                    IllegalStateException closed = assertThrows(IllegalStateException.class,
                            () -> op.transposeTimes(new double[n], new double[big]), what);
                    assertEquals("feature operator is closed", closed.getMessage(), what);
                }
            }
            // mu must have one value a feature.
            FloatMatrix x = TestBackends.gaussian(4, 2, random, 1, 0);
            FourierFeatures map = FourierFeatures.sample(2, 5, 1.0, 7);
            try (FeatureOperator op = backend.fourierFeatureOperator(x, map)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> new FeatureQuadraticForm(op, vectors, new double[4]));
                assertEquals("mu has 4 values, expected 5", e.getMessage());
            }
        }
    }

    /** A dense H on arrays, whose "residual" is sum of w: enough to see which w it is given. */
    private static final class DenseForm extends HostQuadraticForm {
        final double[][] h;
        final boolean residual;

        DenseForm(double[][] h, boolean residual) {
            this.h = h;
            this.residual = residual;
        }

        @Override
        public int dimension() {
            return h.length;
        }

        @Override
        public void apply(double[] w, double[] out) {
            double[][] p = product(h, w);
            System.arraycopy(p[0], 0, out, 0, out.length);
        }

        @Override
        public double residualValue(double[] w) {
            if (!residual) {
                return super.residualValue(w);
            }
            double s = 0;
            for (double v : w) {
                s += v;
            }
            return s;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aHostFormUnwrapsHostVectorsAndReportsTheResidualOfTheLastW(String name) {
        try (KernelBackend backend = TestBackends.create(name)) {
            VectorOps vectors = backend.vectors();
            DeviceVector probe = vectors.zeros(1);
            boolean host = probe instanceof io.synalign.kernels.host.HostVector;
            probe.close();
            if (!host) {
                return; // a host form refuses other vectors; nothing more to check here
            }
            Random random = new Random(292929);
            int n = 11;
            double[][] h = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    h[i][j] = h[j][i] = random.nextGaussian();
                }
            }
            DenseForm form = new DenseForm(h, true);
            assertTrue(Double.isNaN(form.lastResidual()), "no residual before a product");
            double[] w1 = randomWeights(n, random);
            double[] w2 = randomWeights(n, random);
            double[][] e = product(h, w1);
            assertClose(e[0], apply(form, vectors, w1), e[1], 1e-15, name);
            double sum1 = 0;
            for (double v : w1) {
                sum1 += v;
            }
            assertEquals(sum1, form.lastResidual(), 1e-15);
            apply(form, vectors, w2);
            double sum2 = 0;
            for (double v : w2) {
                sum2 += v;
            }
            assertEquals(sum2, form.lastResidual(), 1e-15, "the residual is the last w's");
            // A form with no feature space: NaN, before and after a product.
            DenseForm plain = new DenseForm(h, false);
            apply(plain, vectors, w1);
            assertTrue(Double.isNaN(plain.lastResidual()));
        }
    }
}
