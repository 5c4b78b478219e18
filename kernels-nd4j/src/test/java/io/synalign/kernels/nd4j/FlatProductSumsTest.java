package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The kept K_XX's products, and the tiled K_XX's (helper gemv29), where it is flat, against an independent double oracle
 * ({@code g = expm1(-d^2 / (2 sigma^2))} of distances in double), at {@code sigma = 10 sqrt(2 d)},
 * 10 x the typical distance of the Gaussian rows, where every cell is shifted ({@link ShiftedTiles}, g about -0.005) and a fit's MMD^2
 * near its optimum is about {@code 1e-6} of the g terms it cancels (docs/RELIABILITY.md, helper
 * gemv28): what the optimiser compares from one iteration to the next is the product's rounding
 * that changes with w, so these tests hold that, not the product's level. Also (helper flat32)
 * the kept K_XX's flat products against its own stored values summed in double, at 10 to 100 x,
 * and its ordinary-bandwidth product against its SGEMV algorithm, bit for bit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlatProductSumsTest {

    /**
     * What {@link #theRoundingOfAFlatProductChangesLittleAlongALine} allows, in eps w^T |G| w:
     * the tiled K_XX's blocks with a shifted piece (helper gemv29) and the kept triangle's
     * shifted panels (helper flat32) sum in double, far below what float32 sums reach (0.012
     * with the kept triangle's runs of 128 columns and w's low part; the kept bound was 0.03
     * until flat32).
     */
    private static final double WOBBLE_BOUND = 1e-3;

    private Nd4jBackend cpu;

    @BeforeAll
    void open() {
        cpu = new Nd4jBackend(Nd4jPath.CPU_BLAS);
    }

    @AfterAll
    void close() {
        cpu.close();
    }

    /**
     * The tiled plans these tests take for {@code n} rows: tiles of 256 rows (blocks of about
     * {@code sqrt(32 n)} square, e.g. 96 x 97 at n = 293, so the runs of 128 columns are cut
     * inside blocks) and the plan a tiled fit takes (tiles of 32 MiB, blocks of about 530 x 530
     * at n = 1,500).
     */
    private static TilePlan[] tiledPlans(int n) {
        return new TilePlan[] {TilePlan.tiled(256),
            TilePlan.tiled(TilePlan.tileRowsFor(n, n, TilePlan.DEFAULT_TILE_BYTES))};
    }

    /**
     * The part of w that float32 cannot hold, {@code delta = w - fl(w)} (about 6e-8 of w), still
     * moves a flat product by {@code G delta}: {@code K w - K fl(w)} equals
     * {@code (G + 1 1^T) delta} within 1e-2 of {@code ||G delta||} (normwise), on the kept K_XX
     * and on a principal submatrix of it (the working sets' operator); mixed-sign w keeps K w
     * small, so double resolves the difference. With w rounded once to float the product held
     * {@code G fl(w)} for {@code G w}, so {@code K w - K fl(w)} was the weights' sum alone: off
     * by all of {@code G delta} (1.0 in this measure, each size), an error that does not average
     * out in {@code w^T K w} (g has one sign): 5.0e-12 of the 9.4e-12 by which the objective
     * moved from one point to the next near a fit's optimum. Since: 6e-6 to 2.8e-4. The tiled
     * K_XX ({@code tiled}, both plans of {@link #tiledPlans}) rounded w once the same way: 1.0
     * on the old code, each size and plan; its blocks with a shifted piece now sum their products
     * with the double w in double (helper gemv29): 6e-6 to 2.8e-4 (as the kept K_XX: what is
     * left is the oracle's own rounding of the small {@code K w}).
     */
    @ParameterizedTest(name = "{0} x {1} {2}")
    @CsvSource({"1500, 32, kept", "1111, 29, kept", "293, 7, kept", "1500, 32, tiled",
        "1111, 29, tiled", "293, 7, tiled"})
    void whatRoundingTheWeightsDropsStillReachesAFlatProduct(int n, int d, String path) {
        FloatMatrix x = GaussianRows.of(n, d, 31L * n + d);
        double sigma = 10 * Math.sqrt(2.0 * d);
        double[][] g = flatPart(x, sigma);
        Random random = new Random(n);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = (random.nextDouble() - 0.45) / n; // mixed signs: K w stays small, in reach of double
        }
        if (path.equals("tiled")) {
            for (TilePlan plan : tiledPlans(n)) {
                try (KernelOperator k = cpu.rbfOperator(x, x, sigma, plan)) {
                    assertLowPartReaches(k, g, w, n + " x " + d + " tiled, tiles of "
                            + plan.tileRows() + " rows");
                }
            }
            return;
        }
        try (KernelOperator k = cpu.rbfOperator(x, x, sigma, new TilePlan(true, 256))) {
            assertLowPartReaches(k, g, w, n + " x " + d + " kept");
            int[] rows = IntStream.range(0, n).filter(i -> i % 3 != 1).toArray();
            try (KernelOperator sub = k.principalSubmatrix(rows, Long.MAX_VALUE)) {
                assertNotNull(sub, "a submatrix within an unbounded budget");
                double[][] gs = new double[rows.length][rows.length];
                double[] ws = new double[rows.length];
                for (int a = 0; a < rows.length; a++) {
                    ws[a] = w[rows[a]];
                    for (int b = 0; b < rows.length; b++) {
                        gs[a][b] = g[rows[a]][rows[b]];
                    }
                }
                assertLowPartReaches(sub, gs, ws, n + " x " + d + " submatrix");
            }
        }
    }

    private static void assertLowPartReaches(KernelOperator k, double[][] g, double[] w,
            String what) {
        int n = w.length;
        double[] rounded = new double[n];
        double[] delta = new double[n];
        for (int i = 0; i < n; i++) {
            rounded[i] = (float) w[i];
            delta[i] = w[i] - rounded[i];
        }
        double[] kw = new double[n];
        double[] kr = new double[n];
        k.multiply(w, kw);
        k.multiply(rounded, kr);
        double[] want = times(g, delta);
        double sum = 0;
        for (double v : delta) {
            sum += v;
        }
        double err = 0;
        double norm = 0;
        for (int i = 0; i < n; i++) {
            double e = (kw[i] - kr[i]) - (want[i] + sum);
            err += e * e;
            norm += want[i] * want[i];
        }
        double error = Math.sqrt(err / norm);
        assertTrue(error <= 1e-2, what + ": K w - K fl(w) off G (w - fl(w)) by " + error
                + " of it");
    }

    /**
     * Along a line of fit-like weights (a simplex point with a third of its rows at 0, 60 points
     * 1e-6 apart in the 2-norm), the float32 share of {@code w^T K w},
     * {@code e = w^T (K w) - w^T G w - (sum w)^2} (the oracle's G in double), changes by at most
     * {@value #WOBBLE_BOUND} {@code eps w^T |G| w} r.m.s. from one point to the next, eps =
     * 2^-24. Its level, the rounding of the stored g, is a fixed perturbation of the quadratic
     * (its share changed by 1e-15 from point to point at 1,500 x 32, against 9.4e-12 in all);
     * the changes are what the optimiser takes for a rise. One SGEMV per panel, summing up to n floats of g w, and w
     * rounded to float: 0.051 (1,500 x 32) and 0.065 (1,111 x 29); summed in blocks of 128
     * columns with w's low part added: 0.012 and 0.015 (within the kept bound of 0.03 then, not
     * within {@value #WOBBLE_BOUND}); summed in double against the double w (helper flat32):
     * 5.4e-6 and 4.1e-6. The tiled K_XX (tiles of 256 rows and
     * the fit's plan, {@link #tiledPlans}; each block's GEMV summed in float over its up to 530
     * columns, the blocks' partials added in double, w rounded once), old code: 0.026 and 0.043
     * at 1,500 x 32, 0.040 at 1,111 x 29 (tiles of 256 rows; the fit's plan was not reached);
     * its blocks with a shifted piece now summed in double against the double w (helper gemv29):
     * 5.7e-6 and 5.7e-6, 4.7e-6 and 4.6e-6, within {@value #WOBBLE_BOUND}; summed like the
     * kept panels (runs of 128 columns and the low part, this helper's first mend) 0.013 and
     * 0.013, 0.020 and 0.019, which fail that bound too.
     */
    @ParameterizedTest(name = "{0} x {1} {2}")
    @CsvSource({"1500, 32, kept", "1111, 29, kept", "1500, 32, tiled", "1111, 29, tiled"})
    void theRoundingOfAFlatProductChangesLittleAlongALine(int n, int d, String path) {
        FloatMatrix x = GaussianRows.of(n, d, 31L * n + d);
        double sigma = 10 * Math.sqrt(2.0 * d);
        double[][] g = flatPart(x, sigma);
        Random random = new Random(n + 1);
        double[] w0 = new double[n];
        double[] dir = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            if (i % 3 != 0) {
                w0[i] = -Math.log(1 - random.nextDouble());
                total += w0[i];
                dir[i] = random.nextGaussian();
            }
        }
        double mean = 0;
        double norm = 0;
        for (int i = 0; i < n; i++) {
            w0[i] /= total;
            mean += dir[i];
        }
        mean /= 2 * n / 3;
        for (int i = 0; i < n; i++) {
            if (i % 3 != 0) {
                dir[i] -= mean; // the line stays on sum w = 1
                norm += dir[i] * dir[i];
            }
        }
        double step = 1e-6 / Math.sqrt(norm);
        TilePlan[] plans = path.equals("tiled") ? tiledPlans(n)
                : new TilePlan[] {new TilePlan(true, 256)};
        for (TilePlan plan : plans) {
            assertSmallWobble(x, sigma, g, w0, dir, step, plan, n + " x " + d + " " + path
                    + ", tiles of " + plan.tileRows() + " rows",
                    WOBBLE_BOUND);
        }
    }

    private void assertSmallWobble(FloatMatrix x, double sigma, double[][] g, double[] w0,
            double[] dir, double step, TilePlan plan, String what, double bound) {
        int n = w0.length;
        int points = 60;
        double[] e = new double[points];
        double scale = 0;
        try (KernelOperator k = cpu.rbfOperator(x, x, sigma, plan)) {
            double[] out = new double[n];
            for (int t = 0; t < points; t++) {
                double[] w = new double[n];
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    w[i] = w0[i] + t * step * dir[i];
                    sum += w[i];
                }
                k.multiply(w, out);
                e[t] = dot(w, out) - dot(w, times(g, w)) - sum * sum;
                if (t == 0) {
                    scale = Math.ulp(1f) / 2 * dot(w, times(abs(g), w));
                }
            }
        }
        double moves = 0;
        for (int t = 1; t < points; t++) {
            moves += (e[t] - e[t - 1]) * (e[t] - e[t - 1]);
        }
        double wobble = Math.sqrt(moves / (points - 1)) / scale;
        assertTrue(wobble <= bound, what + ": the float32 share of w^T K w moved by "
                + wobble + " eps w^T |G| w from point to point (levels " + e[0] + " .. "
                + e[points - 1] + ")");
    }

    /**
     * A kept K_XX's product where it is flat is its own stored values times the double w summed
     * in double (helper flat32): {@code K w} against {@code sum_j (k_ij - 1) w_j + sum w} in
     * double, {@code k_ij} read back from the operator itself (a product with a unit vector is
     * exact), so the stored values' own float32 rounding, a fixed error, is not in the
     * comparison; only the sums are. Rows of awkward counts (the last panel short, panels cut
     * in the diagonal block's chunk), at 10, 30 and 100 x the rows' typical distance (every cell
     * shifted), and {@code mixed}: the first half of the rows (at least 288) at 0.2 times the
     * spread of the rest, at 1 x, so that the panels of the tight rows have shifted cells and
     * unshifted ones (summed in the same double pass) and later panels none (their SGEMVs, float
     * sums: those rows are not checked); the kept operator, a principal submatrix of it (the
     * working sets' operator) and the row sums ({@code w = 1}). Each checked row's error must
     * be within {@code 1e-10} of {@code sum_j |g_ij w_j|} (plus a few ulps of the result, whose
     * level is about {@code sum w}). The float32 runs of 128 columns and w's low part (helper
     * gemv28) were 1.2e-8 to 3.7e-7 of it here: the sums' own rounding, which stopped the exact
     * fit at 30 x (docs/RELIABILITY.md, helper flat32); the double pass 1e-15 to 1e-13.
     */
    @ParameterizedTest(name = "{0} x {1} at {2} x, {3}")
    @CsvSource({"1111, 29, 30, kept", "293, 7, 30, kept", "1111, 29, 10, kept",
        "293, 7, 100, kept", "1111, 29, 30, submatrix", "293, 7, 10, submatrix",
        "1111, 29, 1, mixed", "293, 7, 1, mixed"})
    void aFlatKeptProductSumsItsStoredValuesInDouble(int n, int d, double factor, String what) {
        FloatMatrix x = what.equals("mixed") ? halfTight(n, d, 31L * n + d)
                : GaussianRows.of(n, d, 31L * n + d);
        double sigma = factor * Math.sqrt(2.0 * d);
        Random random = new Random(n + 7);
        try (KernelOperator k = cpu.rbfOperator(x, x, sigma, new TilePlan(true, 256))) {
            Nd4jSymmetricKernelOperator kept = (Nd4jSymmetricKernelOperator) k;
            int cells = SymmetricPanels.panelsFor(n) * ((n + ShiftedTiles.COLS - 1)
                    / ShiftedTiles.COLS);
            if (what.equals("mixed")) {
                assertTrue(kept.shiftedPieces() > 0 && kept.shiftedPieces() < cells / 2
                        && !kept.panelShifted(SymmetricPanels.panelsFor(n) - 1),
                        "some cells shifted, some not, the last panel none: "
                        + kept.shiftedPieces());
            } else {
                assertTrue(kept.shiftedPieces() > 0, "flat: cells shifted");
            }
            KernelOperator tested = k;
            KernelOperator sub = null;
            if (what.equals("submatrix")) {
                int[] rows = IntStream.range(0, n).filter(i -> i % 5 != 2).toArray();
                sub = k.principalSubmatrix(rows, Long.MAX_VALUE);
                assertNotNull(sub, "a submatrix within an unbounded budget");
                tested = sub;
            }
            try {
                int m = tested.rows();
                // Rows whose panel and every earlier panel have a shifted cell: their own and
                // mirrored sums all come from the double pass.
                int checked = m;
                if (tested == k) {
                    int p = 0;
                    while (p < SymmetricPanels.panelsFor(m) && kept.panelShifted(p)) {
                        p++;
                    }
                    checked = Math.min(m, p * SymmetricPanels.PANEL_ROWS);
                }
                assertTrue(checked >= Math.min(m, 256), "rows in flat panels: " + checked);
                double[][] stored = storedValues(tested);
                double[] w = new double[m];
                for (int i = 0; i < m; i++) {
                    w[i] = (random.nextDouble() - 0.3) / m; // mixed signs
                }
                String at = n + " x " + d + " at " + factor + " x, " + what;
                assertSummedInDouble(tested, stored, w, checked, at);
                double[] ones = new double[m];
                Arrays.fill(ones, 1.0);
                assertSummedInDouble(tested, stored, ones, checked, at + ", row sums");
            } finally {
                if (sub != null) {
                    sub.close();
                }
            }
        }
    }

    /**
     * K w (or, for w = 1, the row sums) against the stored values summed in double, in the
     * first {@code checked} rows.
     */
    private static void assertSummedInDouble(KernelOperator k, double[][] stored, double[] w,
            int checked, String what) {
        int m = w.length;
        boolean ones = Arrays.stream(w).allMatch(v -> v == 1.0);
        double[] out = new double[m];
        if (ones) {
            k.rowSums(out);
        } else {
            k.multiply(w, out);
        }
        double total = 0;
        for (double v : w) {
            total += v;
        }
        for (int i = 0; i < checked; i++) {
            double gw = 0;
            double size = 0;
            for (int j = 0; j < m; j++) {
                double g = stored[i][j] - 1;
                gw += g * w[j];
                size += Math.abs(g * w[j]);
            }
            double want = gw + total;
            double error = Math.abs(out[i] - want);
            double allowed = 1e-12 * size + 4 * Math.ulp(Math.abs(want) + size);
            assertTrue(error <= allowed, what + ": row " + i + " of " + m + ": K w " + out[i]
                    + " against its stored values summed in double " + want + ", off by "
                    + error + " = " + error / size + " of sum |g w| " + size);
        }
    }

    /** The operator's values, column by column (a product with a unit vector is exact). */
    private static double[][] storedValues(KernelOperator k) {
        int m = k.rows();
        double[][] stored = new double[m][m];
        double[] e = new double[m];
        double[] column = new double[m];
        for (int j = 0; j < m; j++) {
            e[j] = 1;
            k.multiply(e, column);
            e[j] = 0;
            for (int i = 0; i < m; i++) {
                stored[i][j] = column[i];
            }
        }
        return stored;
    }

    /**
     * Gaussian rows, the first half (at least 288, so that a whole first cell of 256 columns is
     * tight) at 0.2 times the spread of the rest (seeded).
     */
    private static FloatMatrix halfTight(int n, int d, long seed) {
        Random random = new Random(seed);
        float[] v = new float[n * d];
        for (int i = 0; i < n; i++) {
            double scale = i < Math.max(n / 2, Math.min(n, 288)) ? 0.2 : 1.0;
            for (int c = 0; c < d; c++) {
                v[i * d + c] = (float) (random.nextGaussian() * scale);
            }
        }
        return new FloatMatrix(n, d, v);
    }

    /**
     * Where no cell is shifted (an ordinary bandwidth: 0.5 x the rows' typical distance) the
     * kept product makes the SGEMV calls it made before the flat panels' double pass (helper
     * flat32) and gives their bits: per panel one SGEMV of its rows against w rounded to float
     * and one transposed SGEMV past its diagonal block, each panel group's mirrored sums in a
     * double vector, the rows' own sums plus the groups' vectors in group order. Replayed here
     * with OpenBLAS on a copy of the stored triangle (read back through unit vectors, exact),
     * for {@code multiply} and {@code rowSums}; bit for bit. Holds on the old code too: it
     * guards the ordinary path, which issue 11's benchmark times, against the flat pass.
     */
    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({"1111, 29", "293, 7"})
    void anOrdinaryKeptProductKeepsItsSgemvBits(int n, int d) {
        FloatMatrix x = GaussianRows.of(n, d, 31L * n + d);
        double sigma = 0.5 * Math.sqrt(2.0 * d);
        try (KernelOperator k = cpu.rbfOperator(x, x, sigma, new TilePlan(true, 256))) {
            assertEquals(0, ((Nd4jSymmetricKernelOperator) k).shiftedPieces(),
                    "an ordinary bandwidth: no cell shifted");
            double[][] stored = storedValues(k);
            Random random = new Random(n + 11);
            double[] w = new double[n];
            for (int i = 0; i < n; i++) {
                w[i] = random.nextDouble() / n;
            }
            double[] out = new double[n];
            k.multiply(w, out);
            assertArrayEquals(sgemvPanels(stored, w), out, 0.0, n + " x " + d + ": multiply");
            double[] ones = new double[n];
            Arrays.fill(ones, 1.0);
            k.rowSums(out);
            assertArrayEquals(sgemvPanels(stored, ones), out, 0.0, n + " x " + d + ": rowSums");
        }
    }

    /** The kept product's SGEMV algorithm (see {@link #anOrdinaryKeptProductKeepsItsSgemvBits}). */
    private static double[] sgemvPanels(double[][] stored, double[] w) {
        int n = w.length;
        SymmetricPanels layout = new SymmetricPanels(n);
        int groups = Nd4jSymmetricKernelOperator.GROUPS;
        int[] bounds = layout.split(groups);
        double[] own = new double[n];
        double[][] mirrored = new double[groups][n];
        float[] wf = new float[n];
        for (int i = 0; i < n; i++) {
            wf[i] = (float) w[i];
        }
        try (FloatPointer triangle = new FloatPointer(layout.floats());
                FloatPointer vector = new FloatPointer(wf);
                FloatPointer tmp = new FloatPointer(n)) {
            for (int p = 0; p < layout.panels(); p++) {
                int start = layout.start(p);
                int width = layout.width(p);
                float[] row = new float[width];
                for (int r = 0; r < layout.height(p); r++) {
                    for (int c = 0; c < width; c++) {
                        row[c] = (float) stored[start + r][start + c];
                    }
                    OpenBlas.at(triangle, layout.offset(p) + (long) r * width).put(row);
                }
            }
            for (int g = 0; g < groups; g++) {
                for (int p = bounds[g]; p < bounds[g + 1]; p++) {
                    int start = layout.start(p);
                    int h = layout.height(p);
                    int width = layout.width(p);
                    FloatPointer panel = OpenBlas.at(triangle, layout.offset(p));
                    FloatPointer tail = OpenBlas.at(vector, start);
                    OpenBlas.gemv(false, h, width, panel, width, tail, tmp);
                    for (int r = 0; r < h; r++) {
                        own[start + r] = tmp.get(r);
                    }
                    if (width > h) {
                        OpenBlas.gemv(true, h, width - h, OpenBlas.at(panel, h), width, tail,
                                tmp);
                        for (int j = 0; j < width - h; j++) {
                            mirrored[g][start + h + j] += tmp.get(j);
                        }
                    }
                }
            }
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double s = own[i];
            for (int g = 0; g < groups; g++) {
                s += mirrored[g][i];
            }
            out[i] = s;
        }
        return out;
    }

    /** {@code g_ij = expm1(-|x_i - x_j|^2 / (2 sigma^2))}, distances in double. */
    private static double[][] flatPart(FloatMatrix x, double sigma) {
        int n = x.rows();
        int d = x.cols();
        float[] v = x.data();
        double[][] g = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double d2 = 0;
                for (int k = 0; k < d; k++) {
                    double diff = (double) v[i * d + k] - v[j * d + k];
                    d2 += diff * diff;
                }
                g[i][j] = Math.expm1(-d2 / (2 * sigma * sigma));
                g[j][i] = g[i][j];
            }
        }
        assertEquals(0.0, g[0][0], 0.0);
        return g;
    }

    private static double[] times(double[][] a, double[] w) {
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            double s = 0;
            for (int j = 0; j < w.length; j++) {
                s += a[i][j] * w[j];
            }
            out[i] = s;
        }
        return out;
    }

    private static double[][] abs(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = abs(a[i]);
        }
        return out;
    }

    private static double[] abs(double[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Math.abs(a[i]);
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
}
