package io.synalign.engine.twosample;

import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * The classifier two-sample test (Lopez-Paz and Oquab 2017, "Revisiting Classifier Two-Sample
 * Tests", ICLR): a classifier learns to tell the real rows X from the synthetic rows Y, and its
 * held-out ROC AUC says how distinguishable they are: 0.5 when it cannot tell them apart, 1 when
 * it always can. A second opinion beside the MMD test, in a form users read without a kernel.
 *
 * <p>The classifier is an L2-regularised logistic regression with an intercept on per-column
 * standardised inputs (mean and deviation of the training part), each class weighted by half
 * over its row count (or its weight) so that an imbalance (10 real rows against 200 synthetic) does not decide
 * the fit, minimised by L-BFGS (memory {@value #MEMORY}, Armijo backtracking) to a gradient norm
 * of {@value #TOLERANCE} or {@value #MAX_ITERATIONS} iterations. Every row is scored once, by the
 * model of the one fold that held it out: stratified k-fold cross-validation with
 * {@code k = min(folds, smaller class size)}, rows assigned to folds after a seeded shuffle per
 * class. The AUC is the Mann-Whitney statistic of the out-of-fold scores (ties count half).
 *
 * <p>Cost per fold {@code O(I N d)} for I iterations over N training rows of d columns; the folds
 * run in parallel. Memory: each fold's standardised rows in double, {@code 8 N d} bytes per fold
 * in flight (at most k of them).
 *
 * <p>Cancellation ({@link Cancellation}): interrupting the calling thread stops every running
 * fold before its next unit of work, and starts no other: an L-BFGS iteration, or a block of
 * {@value #ROW_BLOCK} rows of its standardisation (three passes over the training rows, O(N d)
 * each) or of its scoring (the held-out rows); once all have ended the call throws a
 * {@link java.util.concurrent.CancellationException}, the interrupt status kept set. The checks
 * read a flag and change no arithmetic.
 */
public final class ClassifierTwoSampleTest {

    /** Folds by default. */
    public static final int DEFAULT_FOLDS = 5;
    /** L2 penalty on the mean class-balanced log loss, on standardised inputs. */
    public static final double DEFAULT_L2 = 1e-2;
    static final int MEMORY = 7;
    static final double TOLERANCE = 1e-6;
    static final int MAX_ITERATIONS = 300;
    /** What an interrupted test names ({@link Cancellation}). */
    private static final String CANCELLED =
            "classifier two-sample test (a fold's L-BFGS iteration or block of rows)";
    /**
     * Rows per block of a fold's standardisation and scoring, between which it asks for the
     * caller's interrupt: 256 rows of d columns are a few microseconds at d = 384, so the check
     * (a field read) costs nothing, and a fold of 10^6 rows stops within a block, not a pass.
     */
    static final int ROW_BLOCK = 256;

    /** A fold's passes over rows, checked for the interrupt per block of {@link #ROW_BLOCK}. */
    enum RowPass {
        /** The training rows copied to double, their column sums. */
        COPY,
        /** Their squared deviations from the means. */
        SQUARES,
        /** Their standardisation, with the class weights. */
        STANDARDISE,
        /** The held-out rows scored. */
        SCORE
    }

    /**
     * @param auc the out-of-fold ROC AUC of "real" against "synthetic", or NaN when a side has
     *     fewer than 2 rows (no fold could hold out a row of it and still train on one)
     * @param folds the folds used (0 with NaN)
     */
    public record Result(double auc, int folds) {
    }

    private ClassifierTwoSampleTest() {
    }

    /**
     * Told of each L-BFGS iteration a fold comes to, and of each block of rows it comes to in
     * its standardisation and scoring, on the fold's thread (tests interrupt the caller there),
     * before the fold asks whether the caller was interrupted: so also of the unit the fold
     * then does not start. A test can so see every unit a fold asks about after the interrupt,
     * not only those it started (pit28: a fold that ran on past a "stop" answer was invisible to
     * a hook told only of the units started).
     */
    @FunctionalInterface
    interface FoldIterations {
        FoldIterations NONE = (fold, iteration) -> { };

        void onIteration(int fold, int iteration);

        /** Block {@code block} (from 0) of {@code pass} starts. */
        default void onRowBlock(int fold, RowPass pass, int block) {
        }
    }

    /**
     * Asked before each unit of a fold's work: true to stop. The folds run on the common
     * fork-join pool as well as on the caller, so {@link Cancellation#stopIfInterrupted}, which
     * asks the current thread, would not see the interrupt on the pool's threads: each fold asks
     * the caller's interrupt as {@link ParallelFolds} hands it over (a field read or two per
     * unit, also while the caller waits). A fold stops by returning, not by throwing, and the
     * caller then throws.
     */
    private interface FoldStop {
        boolean iteration(int iteration);

        boolean rows(RowPass pass, int block);
    }

    /**
     * @throws IllegalArgumentException when the column counts differ or {@code folds < 2}
     */
    public static Result test(FloatMatrix x, FloatMatrix y, int folds, double l2, long seed) {
        return test(x, y, null, folds, l2, seed);
    }

    /**
     * The test of X against Y weighted by {@code yWeights} (null: uniform): rows of weight 0 are
     * left out, the others weigh in the training loss in proportion to their weights (the
     * synthetic class still weighing half in all), and the AUC counts each pair of a real and a
     * synthetic row with the synthetic row's weight. The weighted distribution is tested as it
     * is, not through a resample, whose repeated rows a classifier would memorise across folds.
     *
     * @throws IllegalArgumentException when the column counts differ, {@code folds < 2}, a
     *     weight is negative or not finite, or a row holds a value that is not finite (naming
     *     the set, row and column)
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted:
     *     the running folds stop within one L-BFGS iteration, the status is kept set, nothing
     *     returned
     */
    public static Result test(FloatMatrix x, FloatMatrix y, double[] yWeights, int folds, double l2,
            long seed) {
        return test(x, y, yWeights, folds, l2, seed, FoldIterations.NONE);
    }

    /**
     * {@link #test(FloatMatrix, FloatMatrix, double[], int, double, long)}, telling
     * {@code iterations} of each L-BFGS iteration a fold comes to (tests interrupt the caller
     * inside a running fold through it).
     */
    static Result test(FloatMatrix x, FloatMatrix y, double[] yWeights, int folds, double l2,
            long seed, FoldIterations iterations) {
        // A NaN or infinite feature made the fits' scores NaN and the AUC a number, silently.
        x.requireFinite("x");
        y.requireFinite("y");
        if (yWeights != null) {
            if (yWeights.length != y.rows()) {
                throw new IllegalArgumentException(yWeights.length + " weights for " + y.rows() + " rows");
            }
            int[] positive = IntStream.range(0, y.rows()).filter(j -> {
                double v = yWeights[j];
                if (!(v >= 0) || Double.isInfinite(v)) {
                    throw new IllegalArgumentException("weight " + j + " is " + v);
                }
                return v > 0;
            }).toArray();
            double[] kept = Arrays.stream(positive).mapToDouble(j -> yWeights[j]).toArray();
            return run(x, y.selectRows(positive), kept, folds, l2, seed, iterations);
        }
        return run(x, y, null, folds, l2, seed, iterations);
    }

    private static Result run(FloatMatrix x, FloatMatrix y, double[] yWeights, int folds, double l2,
            long seed, FoldIterations iterations) {
        if (x.cols() != y.cols()) {
            throw new IllegalArgumentException("dimension mismatch: " + x.cols() + " vs " + y.cols());
        }
        if (folds < 2) {
            throw new IllegalArgumentException("folds must be at least 2: " + folds);
        }
        if (!(l2 > 0) || Double.isInfinite(l2)) {
            throw new IllegalArgumentException("the L2 penalty must be positive and finite: " + l2);
        }
        int n = x.rows();
        int m = y.rows();
        int k = Math.min(folds, Math.min(n, m));
        if (k < 2) {
            return new Result(Double.NaN, 0);
        }
        int total = n + m;
        boolean[] positive = new boolean[total];
        Arrays.fill(positive, 0, n, true);
        int[] fold = new int[total];
        SplittableRandom random = new SplittableRandom(seed);
        assignFolds(fold, 0, n, k, random);
        assignFolds(fold, n, total, k, random);
        double[] rowWeight = new double[total];
        for (int i = 0; i < total; i++) {
            rowWeight[i] = i < n || yWeights == null ? 1 : yWeights[i - n];
        }
        double[] scores = new double[total];
        Cancellation.stopIfInterrupted(CANCELLED);
        java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
        ParallelFolds.run(k, (f, callerInterrupted) -> {
            if (callerInterrupted.getAsBoolean()) {
                stopped.set(true);
                return; // a fold not started when the caller was interrupted never starts
            }
            FoldStop stop = new FoldStop() {
                // The hook first, the question after: the hook is told of every unit asked
                // about, the one that stops included.
                @Override
                public boolean iteration(int iteration) {
                    iterations.onIteration(f, iteration);
                    return callerInterrupted.getAsBoolean();
                }

                @Override
                public boolean rows(RowPass pass, int block) {
                    iterations.onRowBlock(f, pass, block);
                    return callerInterrupted.getAsBoolean();
                }
            };
            int[] train = IntStream.range(0, total).filter(i -> fold[i] != f).toArray();
            int[] held = IntStream.range(0, total).filter(i -> fold[i] == f).toArray();
            Model model = fit(x, y, train, positive, rowWeight, l2, stop);
            if (model == null || !score(model, x, y, held, scores, stop)) {
                stopped.set(true);
                return; // stopped by the caller's interrupt: its scores are never read
            }
        });
        // Every fold has ended; one that stopped did so because the caller was interrupted, and
        // ParallelFolds returns with the status set (it clears it only for its wait).
        Cancellation.stopIfInterrupted(CANCELLED);
        if (stopped.get()) {
            // Its scores are zeros: never an AUC, even were the status cleared meanwhile.
            throw Cancellation.cancelled(CANCELLED, null);
        }
        return new Result(auc(scores, positive, rowWeight), k);
    }

    /** Rows {@code [from, to)} get folds 0..k-1 in a seeded shuffled order. */
    private static void assignFolds(int[] fold, int from, int to, int k, SplittableRandom random) {
        int[] order = IntStream.range(from, to).toArray();
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int p = 0; p < order.length; p++) {
            fold[order[p]] = p % k;
        }
    }

    private static float[] row(FloatMatrix x, FloatMatrix y, int i) {
        FloatMatrix s = i < x.rows() ? x : y;
        int r = i < x.rows() ? i : i - x.rows();
        return Arrays.copyOfRange(s.data(), r * s.cols(), (r + 1) * s.cols());
    }

    /**
     * ROC AUC of the scores of the positive rows against the negative ones: the probability that
     * a positive row scores above a negative one, ties counting half (midranks). NaN when a
     * class is empty. Cost O(N log N).
     */
    public static double auc(double[] scores, boolean[] positive) {
        double[] ones = new double[scores.length];
        Arrays.fill(ones, 1);
        return auc(scores, positive, ones);
    }

    /**
     * The weighted AUC: each pair of a positive row i and a negative row j counts with weight
     * {@code w_i w_j}, a win 1 and a tie 1/2, over the sum of the pair weights. NaN when a class
     * weighs nothing. Cost O(N log N).
     */
    public static double auc(double[] scores, boolean[] positive, double[] weights) {
        int total = scores.length;
        Integer[] order = new Integer[total];
        for (int i = 0; i < total; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        double negativeBelow = 0; // weight of the negative rows with a lower score
        double wins = 0;
        double positives = 0;
        for (int i = 0; i < total;) {
            int j = i;
            while (j + 1 < total && scores[order[j + 1]] == scores[order[i]]) {
                j++;
            }
            double pos = 0;
            double neg = 0;
            for (int t = i; t <= j; t++) {
                if (positive[order[t]]) {
                    pos += weights[order[t]];
                } else {
                    neg += weights[order[t]];
                }
            }
            wins += pos * (negativeBelow + 0.5 * neg);
            positives += pos;
            negativeBelow += neg;
            i = j + 1;
        }
        if (!(positives > 0) || !(negativeBelow > 0)) {
            return Double.NaN;
        }
        return wins / (positives * negativeBelow);
    }

    /** A fitted model: standardisation, coefficients, intercept. */
    private record Model(double[] mean, double[] scale, double[] w, double b) {
        double score(float[] r) {
            double s = b;
            for (int j = 0; j < w.length; j++) {
                s += w[j] * (r[j] - mean[j]) / scale[j];
            }
            return s;
        }
    }

    /**
     * Scores the held-out rows into {@code scores}, block by block; false when {@code stop}
     * stopped it (some scores then unwritten).
     */
    private static boolean score(Model model, FloatMatrix x, FloatMatrix y, int[] held,
            double[] scores, FoldStop stop) {
        for (int h = 0; h < held.length; h++) {
            if (h % ROW_BLOCK == 0 && stop.rows(RowPass.SCORE, h / ROW_BLOCK)) {
                return false;
            }
            int i = held[h];
            scores[i] = model.score(row(x, y, i));
        }
        return true;
    }

    /**
     * The fold's model, or null when {@code stop} stopped it: before a block of rows of its
     * standardisation, or before an L-BFGS iteration. The checks sit between rows, so the
     * arithmetic, and its order, is that of unblocked loops.
     */
    private static Model fit(FloatMatrix x, FloatMatrix y, int[] train, boolean[] positive,
            double[] rowWeight, double l2, FoldStop stop) {
        int d = x.cols();
        int nt = train.length;
        double[] mean = new double[d];
        double[] sq = new double[d];
        double[][] z = new double[nt][];
        for (int t = 0; t < nt; t++) {
            if (t % ROW_BLOCK == 0 && stop.rows(RowPass.COPY, t / ROW_BLOCK)) {
                return null;
            }
            float[] r = row(x, y, train[t]);
            double[] zr = new double[d];
            for (int j = 0; j < d; j++) {
                zr[j] = r[j];
                mean[j] += r[j];
            }
            z[t] = zr;
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= nt;
        }
        for (int t = 0; t < nt; t++) {
            if (t % ROW_BLOCK == 0 && stop.rows(RowPass.SQUARES, t / ROW_BLOCK)) {
                return null;
            }
            double[] zr = z[t];
            for (int j = 0; j < d; j++) {
                double c = zr[j] - mean[j];
                sq[j] += c * c;
            }
        }
        double[] scale = new double[d];
        for (int j = 0; j < d; j++) {
            double s = Math.sqrt(sq[j] / nt);
            scale[j] = s > 1e-12 ? s : 1;
        }
        double[] target = new double[nt];
        double[] weight = new double[nt];
        double pos = 0;
        double neg = 0;
        for (int t = 0; t < nt; t++) {
            if (t % ROW_BLOCK == 0 && stop.rows(RowPass.STANDARDISE, t / ROW_BLOCK)) {
                return null;
            }
            for (int j = 0; j < d; j++) {
                z[t][j] = (z[t][j] - mean[j]) / scale[j];
            }
            if (positive[train[t]]) {
                target[t] = 1;
                pos += rowWeight[train[t]];
            } else {
                neg += rowWeight[train[t]];
            }
        }
        for (int t = 0; t < nt; t++) {
            weight[t] = 0.5 * rowWeight[train[t]] / (target[t] == 1 ? pos : neg);
        }
        double[] theta = lbfgs(new LogLoss(z, target, weight, l2), new double[d + 1],
                stop::iteration);
        if (theta == null) {
            return null;
        }
        return new Model(mean, scale, Arrays.copyOf(theta, d), theta[d]);
    }

    /** The class-balanced mean log loss plus (l2/2)|w|^2; theta = (w, b). */
    record LogLoss(double[][] z, double[] target, double[] weight, double l2) {

        /** The loss at theta; its gradient into {@code grad}. */
        double evaluate(double[] theta, double[] grad) {
            int d = theta.length - 1;
            Arrays.fill(grad, 0);
            double loss = 0;
            for (int t = 0; t < z.length; t++) {
                double[] zr = z[t];
                double s = theta[d];
                for (int j = 0; j < d; j++) {
                    s += theta[j] * zr[j];
                }
                // log(1 + exp(-s)) for a positive row, log(1 + exp(s)) for a negative one, stably.
                double margin = target[t] == 1 ? s : -s;
                loss += weight[t] * (margin > 0 ? Math.log1p(Math.exp(-margin))
                        : -margin + Math.log1p(Math.exp(margin)));
                double p = 1 / (1 + Math.exp(-s));
                double g = weight[t] * (p - target[t]);
                for (int j = 0; j < d; j++) {
                    grad[j] += g * zr[j];
                }
                grad[d] += g;
            }
            for (int j = 0; j < d; j++) {
                loss += 0.5 * l2 * theta[j] * theta[j];
                grad[j] += l2 * theta[j];
            }
            return loss;
        }
    }

    /** L-BFGS (Nocedal and Wright, algorithm 7.4) with Armijo backtracking from a unit step. */
    static double[] lbfgs(LogLoss f, double[] start) {
        return lbfgs(f, start, iteration -> false);
    }

    /**
     * {@link #lbfgs(LogLoss, double[])}, asking {@code stop} before each iteration (its number
     * from 0): null when it said stop. The question changes no arithmetic.
     */
    static double[] lbfgs(LogLoss f, double[] start, IntPredicate stop) {
        int p = start.length;
        double[] x = start.clone();
        double[] g = new double[p];
        double fx = f.evaluate(x, g);
        double[][] s = new double[MEMORY][];
        double[][] yv = new double[MEMORY][];
        double[] rho = new double[MEMORY];
        int stored = 0;
        int head = 0;
        double[] xn = new double[p];
        double[] gn = new double[p];
        for (int iter = 0; iter < MAX_ITERATIONS && norm(g) > TOLERANCE; iter++) {
            if (stop.test(iter)) {
                return null;
            }
            // Two-loop recursion: direction = -H g.
            double[] q = g.clone();
            double[] alpha = new double[MEMORY];
            for (int c = 0; c < stored; c++) {
                int i = Math.floorMod(head - 1 - c, MEMORY);
                alpha[i] = rho[i] * dot(s[i], q);
                axpy(-alpha[i], yv[i], q);
            }
            if (stored > 0) {
                int last = Math.floorMod(head - 1, MEMORY);
                double gamma = dot(s[last], yv[last]) / dot(yv[last], yv[last]);
                for (int j = 0; j < p; j++) {
                    q[j] *= gamma;
                }
            }
            for (int c = stored - 1; c >= 0; c--) {
                int i = Math.floorMod(head - 1 - c, MEMORY);
                double beta = rho[i] * dot(yv[i], q);
                axpy(alpha[i] - beta, s[i], q);
            }
            double slope = -dot(g, q);
            if (!(slope < 0)) { // not a descent direction: restart from the gradient
                q = g.clone();
                slope = -dot(g, g);
                stored = 0;
            }
            double step = stored == 0 ? Math.min(1, 1 / norm(g)) : 1;
            double fn;
            boolean accepted;
            while (true) {
                for (int j = 0; j < p; j++) {
                    xn[j] = x[j] - step * q[j];
                }
                fn = f.evaluate(xn, gn);
                accepted = fn <= fx + 1e-4 * step * slope;
                if (accepted || step < 1e-20) {
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) {
                break; // no step decreases the loss: x is as good as this search gets
            }
            double[] sk = new double[p];
            double[] yk = new double[p];
            for (int j = 0; j < p; j++) {
                sk[j] = xn[j] - x[j];
                yk[j] = gn[j] - g[j];
            }
            double sy = dot(sk, yk);
            System.arraycopy(xn, 0, x, 0, p);
            System.arraycopy(gn, 0, g, 0, p);
            boolean progress = fx - fn > 1e-15 * Math.max(1, Math.abs(fx));
            fx = fn;
            if (!progress) {
                break;
            }
            if (sy > 1e-12) {
                s[head] = sk;
                yv[head] = yk;
                rho[head] = 1 / sy;
                head = (head + 1) % MEMORY;
                stored = Math.min(stored + 1, MEMORY);
            }
        }
        return x;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }
}
