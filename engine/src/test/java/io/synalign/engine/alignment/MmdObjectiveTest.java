package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.VectorOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MmdObjectiveTest {

    /** (backend, n, m, d) on awkward sizes, for every available backend. */
    static Stream<Arguments> shapes() {
        List<Arguments> list = new ArrayList<>();
        for (String backend : TestBackends.available()) {
            list.add(Arguments.of(backend, 7, 13, 5));
            list.add(Arguments.of(backend, 61, 29, 17));
            list.add(Arguments.of(backend, 1, 3, 2));
            list.add(Arguments.of(backend, 2, 1, 1));
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} n={1} m={2} d={3}")
    @MethodSource("shapes")
    void kernelObjectiveIsTheVStatistic(String backendName, int n, int m, int d) {
        Random random = new Random(1000L * n + 10L * m + d);
        FloatMatrix real = TestBackends.gaussian(m, d, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(n, d, random, 1.3, 0.4);
        double sigma = 0.9 * Math.sqrt(d);
        double tolerance = TestBackends.isDouble(backendName) ? 1e-11 : 2e-5;
        try (KernelBackend backend = TestBackends.create(backendName)) {
            for (boolean keep : new boolean[] {true, false}) {
                TilePlan plan = new TilePlan(keep, keep ? n : Math.max(1, n / 3));
                try (MmdObjective objective = MmdObjectives.kernel(backend, synthetic, real, sigma,
                        plan, ProgressListener.NONE)) {
                    assertEquals("exact", objective.estimator());
                    for (int trial = 0; trial < 3; trial++) {
                        double[] w = TestBackends.randomSimplexPoint(n, random);
                        double expected = TestBackends.directMmd2(synthetic, real, w, sigma);
                        assertEquals(expected, objective.valueAt(w), tolerance,
                                "plan " + plan + " trial " + trial);
                    }
                    // The value is a quadratic on all of R^n, not only on the simplex.
                    double[] w = new double[n];
                    for (int i = 0; i < n; i++) {
                        w[i] = random.nextGaussian();
                    }
                    assertEquals(TestBackends.directMmd2(synthetic, real, w, sigma),
                            objective.valueAt(w), tolerance * (1 + n));
                }
            }
            double[] uniform = new double[n];
            java.util.Arrays.fill(uniform, 1.0 / n);
            double[] exact = WeightedMmd.values(backend, synthetic, real, sigma, uniform);
            assertEquals(TestBackends.directMmd2(synthetic, real, uniform, sigma), exact[0],
                    tolerance);
        }
    }

    @Test
    void kernelGradientMatchesCentralDifferences() {
        Random random = new Random(7);
        FloatMatrix real = TestBackends.gaussian(11, 4, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(9, 4, random, 1.0, 0.5);
        try (KernelBackend backend = TestBackends.create("reference");
                MmdObjective objective = MmdObjectives.kernel(backend, synthetic, real, 1.7,
                        MmdObjectives.tiledPlan(9, 9), ProgressListener.NONE)) {
            assertGradientMatchesDifferences(objective, random);
        }
    }

    @Test
    void fourierGradientMatchesCentralDifferences() {
        Random random = new Random(8);
        FloatMatrix real = TestBackends.gaussian(10, 3, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(8, 3, random, 1.0, 0.5);
        FourierFeatures map = FourierFeatures.sample(3, 37, 1.1, 99);
        try (KernelBackend backend = TestBackends.create("reference");
                MmdObjective objective = MmdObjectives.fourier(backend, synthetic, real, map,
                        ProgressListener.NONE)) {
            assertGradientMatchesDifferences(objective, random);
        }
    }

    @ParameterizedTest(name = "{0} n={1} m={2} d={3}")
    @MethodSource("shapes")
    void fourierObjectiveIsTheFeatureSpaceDistance(String backendName, int n, int m, int d) {
        Random random = new Random(77L * n + m + d);
        FloatMatrix real = TestBackends.gaussian(m, d, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(n, d, random, 1.0, 0.3);
        int features = 53;
        FourierFeatures map = FourierFeatures.sample(d, features, 1.2 * Math.sqrt(d), 5);
        double[][] phiS = features(synthetic, map);
        double[][] phiR = features(real, map);
        double[] mu = new double[features];
        for (double[] row : phiR) {
            for (int f = 0; f < features; f++) {
                mu[f] += row[f] / m;
            }
        }
        // mu_R passes through randomFourierFeatures' float32 output even on the reference.
        double tolerance = TestBackends.isDouble(backendName) ? 1e-8 : 1e-5;
        try (KernelBackend backend = TestBackends.create(backendName);
                MmdObjective objective = MmdObjectives.fourier(backend, synthetic, real, map,
                        ProgressListener.NONE)) {
            assertEquals("rff(D=53)", objective.estimator());
            for (int trial = 0; trial < 3; trial++) {
                double[] w = TestBackends.randomSimplexPoint(n, random);
                double expected = 0;
                for (int f = 0; f < features; f++) {
                    double z = -mu[f];
                    for (int i = 0; i < n; i++) {
                        z += w[i] * phiS[i][f];
                    }
                    expected += z * z;
                }
                assertEquals(expected, objective.valueAt(w), tolerance);
            }
        }
    }

    @ParameterizedTest(name = "{0} n={1} m={2} d={3}")
    @MethodSource("shapes")
    void nystromWithEveryRowAsLandmarkIsTheVStatistic(String backendName, int n, int m, int d) {
        // With L = R union S, K_SL K_LL^+ K_LS = K_SS and mu^T mu = (1/m^2) 1^T K_RR 1 up to the
        // dropped eigenvalues (below 1e-6 of the largest), so the objective is the exact one.
        Random random = new Random(313L * n + m + d);
        FloatMatrix real = TestBackends.gaussian(m, d, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(n, d, random, 1.0, 0.3);
        double sigma = 0.8 * Math.sqrt(d);
        double tolerance = TestBackends.isDouble(backendName) ? 2e-5 : 1e-4;
        try (KernelBackend backend = TestBackends.create(backendName);
                MmdObjective objective = MmdObjectives.nystrom(backend, synthetic, real, sigma,
                        10_000, 3, 1L << 30, ProgressListener.NONE)) {
            assertEquals("nystrom(r=" + (n + m) + ")", objective.estimator());
            for (int trial = 0; trial < 3; trial++) {
                double[] w = TestBackends.randomSimplexPoint(n, random);
                assertEquals(TestBackends.directMmd2(synthetic, real, w, sigma),
                        objective.valueAt(w), tolerance);
            }
        }
    }

    @Test
    void nystromWithFewLandmarksIsAnApproximationThatImprovesWithMore() {
        Random random = new Random(12);
        FloatMatrix real = TestBackends.gaussian(40, 3, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(50, 3, random, 1.0, 0.5);
        double sigma = 1.5;
        double[][] weights = new double[5][];
        for (int t = 0; t < weights.length; t++) {
            weights[t] = TestBackends.randomSimplexPoint(50, random);
        }
        double[] error = new double[2];
        int[] landmarks = {6, 45};
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (int k = 0; k < 2; k++) {
                for (long seed = 1; seed <= 3; seed++) {
                    try (MmdObjective objective = MmdObjectives.nystrom(backend, synthetic, real,
                            sigma, landmarks[k], seed, 1L << 30, ProgressListener.NONE)) {
                        for (double[] w : weights) {
                            error[k] += Math.abs(objective.valueAt(w)
                                    - TestBackends.directMmd2(synthetic, real, w, sigma));
                        }
                    }
                }
            }
        }
        assertTrue(error[0] > 1e-4, "6 landmarks should not be exact: " + error[0]);
        assertTrue(error[1] < 0.5 * error[0], "error with 6 landmarks " + error[0]
                + ", with 45: " + error[1]);
    }

    @Test
    void nystromGradientMatchesCentralDifferences() {
        Random random = new Random(9);
        FloatMatrix real = TestBackends.gaussian(10, 3, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(8, 3, random, 1.0, 0.5);
        try (KernelBackend backend = TestBackends.create("reference");
                MmdObjective objective = MmdObjectives.nystrom(backend, synthetic, real, 1.4, 7,
                        5, 0, ProgressListener.NONE)) {
            assertGradientMatchesDifferences(objective, random);
        }
    }

    /**
     * The Nystrom features {@code Phi = k(x, L) K_LL^{-1/2}} behind the streamed objective, on an
     * awkward size (37 synthetic rows in chunks of 8, a ragged last one; 11 landmarks of 5
     * columns), kept, partly kept and recomputed, against an independent double-precision
     * computation: the kernel from its definition and {@code K_LL^{-1/2}} by the Denman-Beavers
     * iteration (no eigen-decomposition). The objective's G differs from the symmetric root by a
     * rotation, so what is compared is what the objective uses: {@code H w = Phi Phi^T w},
     * {@code h = Phi mu}, {@code c = ||mu||^2} and {@code f(w) = ||Phi^T w - mu||^2}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void nystromFeaturesAreTheLandmarkKernelTimesTheInverseRoot(String backendName) {
        Random random = new Random(21);
        int n = 37;
        int m = 23;
        int d = 5;
        int r = 11;
        FloatMatrix real = TestBackends.gaussian(m, d, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(n, d, random, 1.0, 0.4);
        double sigma = 1.5;
        FloatMatrix points = MmdObjectives.landmarkRows(real, synthetic, r, 4);
        double[][] kll = new double[r][r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                kll[i][j] = TestBackends.rbf(points, i, points, j, sigma);
            }
        }
        double[][] root = inverseSquareRoot(kll);
        double[][] phiS = nystromFeatures(synthetic, points, sigma, root);
        double[][] phiR = nystromFeatures(real, points, sigma, root);
        double[] mu = new double[r];
        for (double[] row : phiR) {
            for (int f = 0; f < r; f++) {
                mu[f] += row[f] / m;
            }
        }
        double constant = 0;
        for (double v : mu) {
            constant += v * v;
        }
        // K in float32 (rbfBlock's output even on the reference), amplified by K_LL's condition:
        // errors of about 1e-8 (reference) and 4e-8 (nd4j) on values of about 0.3.
        double tolerance = TestBackends.isDouble(backendName) ? 1e-7 : 4e-7;
        System.setProperty("synalign.rff.chunkRows", "8");
        try (KernelBackend backend = TestBackends.create(backendName)) {
            for (long keep : new long[] {0, 2L * 8 * r * 4, Long.MAX_VALUE}) {
                try (MmdObjective objective = MmdObjectives.nystrom(backend,
                        io.synalign.kernels.RowSource.of(synthetic), real, sigma, r, 4, keep,
                        ProgressListener.NONE)) {
                    assertEquals("nystrom(r=" + r + ")", objective.estimator());
                    assertEquals(constant, objective.constant(), tolerance * constant, "c");
                    double[] h = objective.vectors().toArray(objective.linear());
                    for (int i = 0; i < n; i++) {
                        assertEquals(dot(phiS[i], mu), h[i], tolerance, "h row " + i);
                    }
                    for (int trial = 0; trial < 3; trial++) {
                        double[] w = TestBackends.randomSimplexPoint(n, random);
                        double[] z = new double[r];
                        for (int i = 0; i < n; i++) {
                            for (int f = 0; f < r; f++) {
                                z[f] += w[i] * phiS[i][f];
                            }
                        }
                        double[] hw = new double[n];
                        objective.apply(w, hw);
                        for (int i = 0; i < n; i++) {
                            assertEquals(dot(phiS[i], z), hw[i], tolerance,
                                    "keep " + keep + ", H w row " + i);
                        }
                        double expected = 0;
                        for (int f = 0; f < r; f++) {
                            expected += (z[f] - mu[f]) * (z[f] - mu[f]);
                        }
                        assertEquals(expected, objective.valueAt(w), tolerance, "f(w)");
                    }
                }
            }
        } finally {
            System.clearProperty("synalign.rff.chunkRows");
        }
    }

    static List<String> backendNames() {
        return TestBackends.available();
    }

    /** {@code k(x_i, L) A} for every row of x, in double. */
    private static double[][] nystromFeatures(FloatMatrix x, FloatMatrix points, double sigma,
            double[][] a) {
        int r = points.rows();
        double[][] out = new double[x.rows()][r];
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < r; j++) {
                double k = TestBackends.rbf(x, i, points, j, sigma);
                for (int f = 0; f < r; f++) {
                    out[i][f] += k * a[j][f];
                }
            }
        }
        return out;
    }

    /**
     * {@code A^{-1/2}} of a symmetric positive definite A by the Denman-Beavers iteration
     * ({@code Y <- (Y + Z^{-1}) / 2}, {@code Z <- (Z + Y^{-1}) / 2} from {@code Y = A, Z = I};
     * Z converges to {@code A^{-1/2}}), inverses by Gauss-Jordan with partial pivoting.
     */
    private static double[][] inverseSquareRoot(double[][] a) {
        int r = a.length;
        double[][] y = new double[r][];
        double[][] z = new double[r][r];
        for (int i = 0; i < r; i++) {
            y[i] = a[i].clone();
            z[i][i] = 1;
        }
        for (int it = 0; it < 100; it++) {
            double[][] yi = inverse(y);
            double[][] zi = inverse(z);
            double change = 0;
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < r; j++) {
                    double ny = 0.5 * (y[i][j] + zi[i][j]);
                    double nz = 0.5 * (z[i][j] + yi[i][j]);
                    change = Math.max(change, Math.abs(nz - z[i][j]));
                    y[i][j] = ny;
                    z[i][j] = nz;
                }
            }
            if (change < 1e-15) {
                break;
            }
        }
        return z;
    }

    private static double[][] inverse(double[][] a) {
        int r = a.length;
        double[][] m = new double[r][2 * r];
        for (int i = 0; i < r; i++) {
            System.arraycopy(a[i], 0, m[i], 0, r);
            m[i][r + i] = 1;
        }
        for (int c = 0; c < r; c++) {
            int p = c;
            for (int i = c + 1; i < r; i++) {
                if (Math.abs(m[i][c]) > Math.abs(m[p][c])) {
                    p = i;
                }
            }
            double[] t = m[c];
            m[c] = m[p];
            m[p] = t;
            double pivot = m[c][c];
            for (int j = 0; j < 2 * r; j++) {
                m[c][j] /= pivot;
            }
            for (int i = 0; i < r; i++) {
                if (i != c && m[i][c] != 0) {
                    double f = m[i][c];
                    for (int j = 0; j < 2 * r; j++) {
                        m[i][j] -= f * m[c][j];
                    }
                }
            }
        }
        double[][] out = new double[r][r];
        for (int i = 0; i < r; i++) {
            System.arraycopy(m[i], r, out[i], 0, r);
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void landmarksAreDistinctSeededRowsOfTheUnion() {
        Random random = new Random(10);
        FloatMatrix real = TestBackends.gaussian(30, 2, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(25, 2, random, 1.0, 10.0);
        FloatMatrix a = MmdObjectives.landmarkRows(real, synthetic, 20, 7);
        assertEquals(20, a.rows());
        assertEquals(a, MmdObjectives.landmarkRows(real, synthetic, 20, 7));
        assertTrue(!a.equals(MmdObjectives.landmarkRows(real, synthetic, 20, 8)));
        java.util.Set<String> seen = new java.util.HashSet<>();
        int fromSynthetic = 0;
        for (int i = 0; i < a.rows(); i++) {
            float[] row = {a.get(i, 0), a.get(i, 1)};
            assertTrue(seen.add(java.util.Arrays.toString(row)), "duplicate landmark " + i);
            boolean found = false;
            for (FloatMatrix source : new FloatMatrix[] {real, synthetic}) {
                for (int j = 0; j < source.rows(); j++) {
                    found |= source.get(j, 0) == row[0] && source.get(j, 1) == row[1];
                }
            }
            assertTrue(found, "landmark " + i + " is not an input row");
            fromSynthetic += row[0] > 5 ? 1 : 0;
        }
        assertTrue(fromSynthetic > 0 && fromSynthetic < 20, "draws from both sets");
        assertEquals(55, MmdObjectives.landmarkRows(real, synthetic, 100, 7).rows());
    }

    /** phi(x) = sqrt(2/D) cos(Omega^T x + b), written out here independently of the backends. */
    private static double[][] features(FloatMatrix x, FourierFeatures map) {
        int features = map.features();
        double[][] phi = new double[x.rows()][features];
        for (int i = 0; i < x.rows(); i++) {
            for (int f = 0; f < features; f++) {
                double arg = map.phase()[f];
                for (int k = 0; k < x.cols(); k++) {
                    arg += x.get(i, k) * (double) map.omega()[k * features + f];
                }
                phi[i][f] = Math.sqrt(2.0 / features) * Math.cos(arg);
            }
        }
        return phi;
    }

    private static void assertGradientMatchesDifferences(MmdObjective objective, Random random) {
        int n = objective.dimension();
        double[] w = TestBackends.randomSimplexPoint(n, random);
        double[] hw = new double[n];
        objective.apply(w, hw);
        double[] gradient = new double[n];
        objective.gradient(hw, gradient);
        double h = 1e-4;
        double largest = 0;
        for (int i = 0; i < n; i++) {
            double[] plus = w.clone();
            double[] minus = w.clone();
            plus[i] += h;
            minus[i] -= h;
            double difference = (objective.valueAt(plus) - objective.valueAt(minus)) / (2 * h);
            assertEquals(difference, gradient[i], 1e-8, "partial derivative " + i);
            largest = Math.max(largest, Math.abs(gradient[i]));
        }
        assertTrue(largest > 1e-3, "degenerate test: gradient is ~0");
    }

    static Stream<String> backends() {
        return TestBackends.available().stream();
    }

    /**
     * With S = R and uniform weights the rff objective is exactly 0 (up to rounding of the
     * feature means). Computed as the feature-space residual it is non-negative and tiny on every
     * backend; the expanded form w^T H w - 2 h^T w + c cancels three terms of order 1 and on a
     * float32 backend lands around +-1e-7, negative as often as not.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void rffValueIsTheFeatureResidualAndNeverNegative(String backendName) {
        Random random = new Random(77);
        int n = TestBackends.isDouble(backendName) ? 150 : 3001;
        FloatMatrix rows = TestBackends.gaussian(n, 24, random, 1.0, 0.3);
        FourierFeatures map = FourierFeatures.sample(24, 512, 3.0, 5);
        try (KernelBackend backend = TestBackends.create(backendName);
                MmdObjective objective = MmdObjectives.fourier(backend, rows, rows, map,
                        ProgressListener.NONE)) {
            double[] uniform = new double[n];
            java.util.Arrays.fill(uniform, 1.0 / n);
            double value = objective.valueAt(uniform);
            assertTrue(value >= 0, "rff MMD^2 estimate is negative: " + value);
            assertTrue(value <= 1e-10, "rff MMD^2 of a set against itself: " + value);
            // Away from the optimum it is still the residual ||Phi^T w - mu||^2, which the
            // expanded form equals in exact arithmetic.
            double[] w = TestBackends.randomSimplexPoint(n, random);
            double[] hw;
            double residual;
            VectorOps vectors = objective.vectors();
            try (DeviceVector wv = vectors.of(w); DeviceVector hv = vectors.zeros(n)) {
                objective.apply(wv, hv);
                residual = objective.value(wv, hv);
                hw = vectors.toArray(hv);
            }
            double expanded = 0;
            for (int i = 0; i < n; i++) {
                expanded += w[i] * hw[i];
            }
            assertTrue(residual > 0);
            assertEquals(residual, objective.valueAt(w), 0.0, "value and valueAt agree");
            assertTrue(Math.abs(expanded - 2 * dotLinear(objective, w) + objective.constant()
                    - residual) <= 1e-5, "the expanded form differs from the residual by more"
                    + " than float32 rounding");
        }
    }

    private static double dotLinear(MmdObjective objective, double[] w) {
        // h^T w = (w^T grad f(0) / -2) with H 0 = 0: gradient(0) = -2 h.
        double[] zero = new double[w.length];
        double[] g = new double[w.length];
        objective.gradient(zero, g);
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            s += -0.5 * g[i] * w[i];
        }
        return s;
    }
}
