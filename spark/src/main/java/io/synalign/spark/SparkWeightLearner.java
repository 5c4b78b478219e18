package io.synalign.spark;

import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.FeatureCentre;
import io.synalign.engine.alignment.FeatureGrid;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.engine.alignment.WeightSolver;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Learns one sampling weight per synthetic row by RFF-MMD on Spark: the single-machine
 * {@code rff} method of {@code MmdWeightLearner} (synthetic distribution alignment of "Few-shot
 * LLM Synthetic Data with Distribution Matching", WWW 2025) with the rows spread over
 * partitions, and the per-label orchestration of {@code LabelledAlignment} done in the same passes.
 *
 * <p>Per fitted label l (seed {@code s_l} as {@code LabelPlan.seedFor}): sigma_l is the given
 * bandwidth or the median heuristic over the very sample {@link MedianHeuristic} draws (the
 * sampled rows are fetched by index, at most {@value MedianHeuristic#DEFAULT_SAMPLE} per label);
 * the feature map is {@code FourierFeatures.sample(d, D, sigma_l, s_l)}, centred where the
 * single machine centres it: at {@code FeatureCentre.fromSample} of the label's real rows of
 * label-local index in {@code FeatureCentre.sampleRows} (the rows the single machine picks from
 * the label's matrix) when their median lies far from the origin, where the float32
 * phases of a backend would lose accuracy; found on the executors; {@code mu_l}, the real
 * rows' mean feature vector, is summed over the single machine's row blocks
 * ({@link FeatureGrid}, {@link RowBlocks});
 * the objective is {@code ||Phi_l^T w - mu_l||^2} over the capped simplex
 * {@code 0 <= w <= min(1, B / n_l)}, solved by the engine's {@link WeightSolver} (the solve
 * step of the single-machine learner, unchanged: FISTA with backtracking and restart from
 * uniform weights, then exact renormalisation), run against {@link DistributedFeatureForm}, whose products are computed by Spark. All labels'
 * optimisers run in lockstep ({@link LockstepProducts}), so every product round is one job
 * for {@code Phi^T w} of all labels plus one for {@code Phi z}. Finally each label's weights
 * are scaled to its target share.
 *
 * <p>Every sum runs over the single machine's fixed row blocks, whole in one task, and the
 * block results are combined on the driver in block order ({@link DistributedFeatureProducts}):
 * given the same rows, labels, seed and backend, the weights equal the single-machine per-label
 * rff result bit for bit, for any partitioning of the input and any number of executors.
 *
 * <p>Cost: set-up O((n + m) d D) on the executors plus O(labels * s^2 d) on the driver for the
 * bandwidth samples (s <= 2,000), and one more pass over the real rows for the centres (at most
 * {@value FeatureCentre#SAMPLE_ROWS} rows per label shuffled, d floats per centred label to the
 * driver and in the maps' broadcast); per product round O(n D) on the executors, O(n) doubles
 * to and from the driver, O(n) per projection round on the driver. Driver memory: about
 * ten n-vectors of doubles (the optimisers' state). Executor memory: the feature matrices,
 * {@code n D} doubles (reference backend) or floats (nd4j).
 */
public final class SparkWeightLearner {

    private static final Logger LOG = LoggerFactory.getLogger(SparkWeightLearner.class);

    /**
     * Labels with at most this many real plus synthetic rows get their exact MMD^2 (before and
     * after), computed on the driver from their collected rows; at most this many rows are
     * collected in all, labels in order. Larger labels report the rff estimate only.
     */
    public static final int EXACT_ROWS = 20_000;

    private final JavaSparkContext context;
    private final SparkAlignmentConfig config;
    /** How the feature blocks are persisted: {@code MEMORY_ONLY} but in tests. */
    private final StorageLevel featureStorage;

    public SparkWeightLearner(JavaSparkContext context, SparkAlignmentConfig config) {
        this(context, config, StorageLevel.MEMORY_ONLY());
    }

    /**
     * @param featureStorage how the feature blocks are persisted (tests: {@code NONE}, a fit
     *     whose partitions are built in every pass, as on executors without storage memory)
     */
    SparkWeightLearner(JavaSparkContext context, SparkAlignmentConfig config,
            StorageLevel featureStorage) {
        if (context == null || config == null) {
            throw new IllegalArgumentException("context and config must not be null");
        }
        this.context = context;
        this.config = config;
        this.featureStorage = featureStorage;
    }

    /**
     * @param groups the label groups of both row sets
     * @param real the real rows, indexed by {@link RowIndexer#index} with {@code groups}
     * @param synthetic the synthetic rows, indexed likewise; both should be persisted
     */
    public SparkAlignmentResult fit(LabelGroups groups, JavaRDD<IndexedRow> real,
            JavaRDD<IndexedRow> synthetic) {
        long started = System.nanoTime();
        AlignmentConfig alignment = config.alignment();
        int k = groups.size();
        int d = synthetic.first().vector().length;
        KernelBackend backend = driverBackend(config.backend());

        double[] sigma = bandwidths(groups, real, synthetic, backend);
        // The maps as their bandwidths and seeds: each is drawn where it is used, never all at once.
        double[] fittedSigma = new double[k];
        long[] seeds = new long[k];
        for (int l = 0; l < k; l++) {
            if (groups.aligned(l)) {
                fittedSigma[l] = sigma[l];
                seeds[l] = groups.seed(l);
            }
        }
        FeatureMaps featureMaps = new FeatureMaps(d, alignment.features(), fittedSigma, seeds,
                centres(real, fittedSigma, realCounts(groups)));
        int partitions = config.partitions() > 0 ? config.partitions() : context.defaultParallelism();
        int[] realRows = new int[k];
        int[] syntheticRows = new int[k];
        for (int l = 0; l < k; l++) {
            if (groups.aligned(l)) {
                realRows[l] = (int) groups.realRows(l);
                syntheticRows[l] = groups.syntheticRows(l);
            }
        }
        int features = alignment.features();
        RowBlocks realGrid = RowBlocks.of(realRows,
                l -> FeatureGrid.realBlockRows(realRows[l], features), partitions);
        // The chunk size the executors' backend uses (a GPU's chunks are larger than a CPU's),
        // asked of an executor: the driver's backend may differ.
        String backendName = config.backend();
        int chunk = context.parallelize(List.of(0), 1)
                .map(i -> FeatureGrid.syntheticChunkRows(ExecutorBackends.get(backendName),
                        features, d))
                .first();
        RowBlocks syntheticGrid = RowBlocks.of(syntheticRows, l -> chunk, partitions);
        double[][] mu = meanFeatures(groups, real, featureMaps, realGrid);

        int[] sizes = new int[k];
        int live = 0;
        for (int l = 0; l < k; l++) {
            if (groups.aligned(l)) {
                sizes[l] = groups.syntheticRows(l);
                live++;
            }
        }
        double[][] weights = new double[k][];
        List<LabelFit> fits = new ArrayList<>();
        double setup;
        double optimise;
        int passes;
        FeatureKeep keep;
        long featurePartitions;
        long rebuilds;
        WeightSolver.Solution[] fitOf;
        try (DistributedFeatureProducts products = new DistributedFeatureProducts(context,
                synthetic, featureMaps, syntheticGrid, config.backend(), featureStorage)) {
            double[][] linear = new double[k][];
            for (int l = 0; l < k; l++) {
                linear[l] = featureMaps.fitted(l) ? new double[sizes[l]] : null;
            }
            products.times(mu, linear);
            setup = (System.nanoTime() - started) / 1e9;
            keep = products.keep();
            LOG.info("Spark RFF alignment set up: {} labels fitted, D={}, d={}, {} s; features"
                    + " of {} of {} blocks kept on the executors ({} MiB), {} rebuilt in every"
                    + " product", live, alignment.features(), d,
                    String.format(Locale.ROOT, "%.2f", setup), keep.kept(),
                    keep.kept() + keep.rebuilt(),
                    String.format(Locale.ROOT, "%.1f", keep.keptBytes() / 1048576.0),
                    keep.rebuilt());

            long optimiseStart = System.nanoTime();
            LockstepProducts lockstep = new LockstepProducts(products, sizes, live);
            WeightSolver.Solution[] outcomes = runLabels(groups, lockstep, mu,
                    linear, sizes);
            optimise = (System.nanoTime() - optimiseStart) / 1e9;
            passes = products.passes();
            featurePartitions = products.partitions();
            rebuilds = products.rebuilds();
            fitOf = outcomes;
            for (int l = 0; l < k; l++) {
                weights[l] = new double[groups.syntheticRows(l)];
                WeightSolver.Solution o = outcomes[l];
                if (o != null) {
                    double[] w = o.weights();
                    for (int i = 0; i < w.length; i++) {
                        weights[l][i] = groups.targetShare(l) * w[i];
                    }
                }
            }
        }
        double[][] exact = exactMmd2(groups, real, synthetic, sigma, weights, backend);
        for (int l = 0; l < k; l++) {
            boolean fitted = groups.aligned(l) && fitOf[l] != null;
            WeightSolver.Solution f = fitOf[l];
            int positive = 0;
            for (double v : weights[l]) {
                positive += v > 0 ? 1 : 0;
            }
            fits.add(new LabelFit(groups.labels().get(l), groups.realRows(l),
                    groups.syntheticRows(l), fitted, sigma[l], groups.seed(l),
                    f == null ? Double.NaN : f.initialValue(),
                    f == null ? Double.NaN : f.value(), f == null ? 0 : f.iterations(),
                    f != null && f.converged(), f == null ? 0 : f.products(),
                    groups.targetShare(l), exact[l][0], exact[l][1],
                    positive == 0 ? 0 : WeightedMmd.effectiveSampleSize(weights[l]), positive,
                    fitted && featureMaps.centred(l)));
        }
        LOG.info("Spark RFF alignment done: {} passes, set-up {} s, optimisation {} s; feature"
                + " partitions built again after the set-up: {} ({} partitions; Spark evicted"
                + " them or could not cache them)", passes, String.format(Locale.ROOT, "%.2f", setup),
                String.format(Locale.ROOT, "%.2f", optimise), rebuilds, featurePartitions);
        return new SparkAlignmentResult(groups, weights, List.copyOf(fits), passes, setup,
                optimise, keep, featurePartitions, rebuilds);
    }

    /**
     * Per label, the exact (biased, V-statistic) MMD^2 at uniform and at the learned weights,
     * {@code WeightedMmd} on the driver over the label's collected rows with its bandwidth, for
     * the labels of at most {@value #EXACT_ROWS} rows in all while the rows collected stay
     * within that many; NaN for the others (and labels not fitted).
     */
    private double[][] exactMmd2(LabelGroups groups, JavaRDD<IndexedRow> real,
            JavaRDD<IndexedRow> synthetic, double[] sigma, double[][] weights, KernelBackend backend) {
        int k = groups.size();
        double[][] out = new double[k][];
        boolean[] chosen = new boolean[k];
        long budget = EXACT_ROWS;
        for (int l = 0; l < k; l++) {
            out[l] = new double[] {Double.NaN, Double.NaN};
            long rows = (long) groups.realRows(l) + groups.syntheticRows(l);
            if (groups.aligned(l) && rows <= budget) {
                chosen[l] = true;
                budget -= rows;
            }
        }
        Broadcast<boolean[]> shared = context.broadcast(chosen);
        List<IndexedRow> r;
        List<IndexedRow> s;
        try {
            r = real.filter(x -> x.label() >= 0 && shared.value()[x.label()]).collect();
            s = synthetic.filter(x -> x.label() >= 0 && shared.value()[x.label()]).collect();
        } finally {
            shared.destroy();
        }
        List<List<IndexedRow>> realOf = byLabel(r, k);
        List<List<IndexedRow>> syntheticOf = byLabel(s, k);
        for (int l = 0; l < k; l++) {
            if (!chosen[l]) {
                continue;
            }
            FloatMatrix x = matrixOf(realOf.get(l));
            FloatMatrix y = matrixOf(syntheticOf.get(l));
            if (x == null || y == null) {
                continue;
            }
            out[l][0] = WeightedMmd.mmd2(backend, y, null, x, sigma[l]);
            out[l][1] = WeightedMmd.mmd2(backend, y, weights[l], x, sigma[l]);
        }
        return out;
    }

    /**
     * The driver's backend (bandwidth samples, exact MMD^2): the named one, or, when the driver
     * cannot run it (a CPU driver for GPU executors with {@code cuda}), {@code auto}, logged.
     */
    private static KernelBackend driverBackend(String name) {
        try {
            return ExecutorBackends.get(name);
        } catch (RuntimeException e) {
            if (name.equalsIgnoreCase(io.synalign.kernels.KernelBackends.AUTO)) {
                throw e;
            }
            LOG.warn("backend {} is not available on the driver ({}); the driver uses auto, the"
                    + " executors {}", name, e.getMessage(), name);
            return ExecutorBackends.get(io.synalign.kernels.KernelBackends.AUTO);
        }
    }

    /** One optimiser thread per fitted label, all sharing the lockstep passes. */
    private WeightSolver.Solution[] runLabels(LabelGroups groups,
            LockstepProducts lockstep, double[][] mu, double[][] linear, int[] sizes) {
        AlignmentConfig alignment = config.alignment();
        int k = groups.size();
        WeightSolver.Solution[] outcomes =
                new WeightSolver.Solution[k];
        // An Error too (a driver out of memory): a label thread that died silently would leave
        // its label unfitted, written as zero weights by a job that exits 0.
        Throwable[] failures = new Throwable[k];
        List<Thread> threads = new ArrayList<>();
        for (int l = 0; l < k; l++) {
            if (!groups.aligned(l)) {
                continue;
            }
            int label = l;
            Thread t = new Thread(() -> {
                try {
                    int n = sizes[label];
                    double constant = 0;
                    for (double v : mu[label]) {
                        constant += v * v;
                    }
                    outcomes[label] = WeightSolver.solve(
                            new DistributedFeatureForm(label, n, mu[label], lockstep),
                            linear[label], constant, "rff(D=" + alignment.features() + ")",
                            alignment.withSeed(groups.seed(label)),
                            WeightSolver.IterationListener.NONE);
                } catch (RuntimeException | Error e) {
                    failures[label] = e;
                } finally {
                    lockstep.leave();
                }
            }, "synalign-label-" + l);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while optimising", e);
            }
        }
        for (int l = 0; l < k; l++) {
            if (failures[l] != null) {
                if (failures[l] instanceof IllegalArgumentException && groups.grouped()) {
                    throw new IllegalArgumentException("label '" + groups.labels().get(l) + "': "
                            + failures[l].getMessage(), failures[l]);
                }
                if (failures[l] instanceof Error e) {
                    throw e;
                }
                throw (RuntimeException) failures[l];
            }
            if (groups.aligned(l) && outcomes[l] == null) {
                throw new IllegalStateException("label '" + groups.labels().get(l) + "': its"
                        + " optimiser ended without a result");
            }
        }
        return outcomes;
    }

    /**
     * sigma per fitted label: the configured value, or the median heuristic over the sample of
     * the label's real-then-synthetic rows that {@link MedianHeuristic#estimate} would draw.
     */
    private double[] bandwidths(LabelGroups groups, JavaRDD<IndexedRow> real,
            JavaRDD<IndexedRow> synthetic, KernelBackend backend) {
        int k = groups.size();
        double[] sigma = new double[k];
        Arrays.fill(sigma, Double.NaN);
        if (!config.alignment().bandwidth().isAuto()) {
            for (int l = 0; l < k; l++) {
                if (groups.aligned(l)) {
                    sigma[l] = config.alignment().bandwidth().value();
                }
            }
            return sigma;
        }
        int[][] realPicks = new int[k][];
        int[][] syntheticPicks = new int[k][];
        for (int l = 0; l < k; l++) {
            if (!groups.aligned(l)) {
                continue;
            }
            long m = groups.realRows(l);
            long total = m + groups.syntheticRows(l);
            long[] picked = MedianHeuristic.sampleWithoutReplacement(total,
                    (int) Math.min(MedianHeuristic.DEFAULT_SAMPLE, total),
                    new SplittableRandom(groups.seed(l)));
            realPicks[l] = Arrays.stream(picked).filter(g -> g < m).mapToInt(g -> (int) g)
                    .toArray();
            syntheticPicks[l] = Arrays.stream(picked).filter(g -> g >= m)
                    .mapToInt(g -> (int) (g - m)).toArray();
        }
        List<List<IndexedRow>> realSample = byLabel(picked(real, realPicks), k);
        List<List<IndexedRow>> syntheticSample = byLabel(picked(synthetic, syntheticPicks), k);
        for (int l = 0; l < k; l++) {
            if (!groups.aligned(l)) {
                continue;
            }
            List<FloatMatrix> sets = new ArrayList<>();
            for (List<List<IndexedRow>> sample : List.of(realSample, syntheticSample)) {
                FloatMatrix rows = matrixOf(sample.get(l));
                if (rows != null) {
                    sets.add(rows);
                }
            }
            try {
                sigma[l] = MedianHeuristic.estimate(backend, MedianHeuristic.DEFAULT_SAMPLE,
                        groups.seed(l), sets.toArray(new FloatMatrix[0]));
            } catch (MedianHeuristic.Unusable e) {
                // Bad input (identical rows, say): named by label, with the option that helps.
                throw new IllegalArgumentException((groups.grouped() ? "label '"
                        + groups.labels().get(l) + "': " : "") + e.getMessage()
                        + " (give --bandwidth SIGMA)", e);
            }
        }
        return sigma;
    }

    /** Each label's number of real rows, in label order. */
    private static long[] realCounts(LabelGroups groups) {
        long[] counts = new long[groups.size()];
        for (int l = 0; l < counts.length; l++) {
            counts[l] = groups.realRows(l);
        }
        return counts;
    }

    /**
     * Each fitted label's centre as the single machine's rff method takes it: {@link
     * FeatureCentre#fromSample} with the label's bandwidth over its real rows of label-local
     * index in {@link FeatureCentre#sampleRows} of its real-row count, in that order (the rows
     * the single machine picks from the label's matrix, so the same centre to the bit); null
     * where the label is not fitted or its rows lie near the origin.
     *
     * <p>Found on the executors in one pass over the real rows (none over the synthetic ones):
     * those rows are grouped by label, at most {@value FeatureCentre#SAMPLE_ROWS} a label, and
     * each label's centre is found where its rows meet; only the centres that are not null come
     * to the driver. Collecting the rows instead would put them all on the driver: 20,000 labels
     * x 9 rows x d = 384 floats are 276 MB.
     *
     * @param fittedSigma each label's bandwidth, 0 where it is not fitted
     * @param realRows each label's number of real rows
     */
    float[][] centres(JavaRDD<IndexedRow> real, double[] fittedSigma, long[] realRows) {
        int k = fittedSigma.length;
        long[][] sampled = new long[k][];
        for (int l = 0; l < k; l++) {
            sampled[l] = fittedSigma[l] == 0 ? new long[0] : FeatureCentre.sampleRows(realRows[l]);
        }
        Broadcast<double[]> shared = context.broadcast(fittedSigma);
        Broadcast<long[][]> picks = context.broadcast(sampled);
        List<Tuple2<Integer, float[]>> found;
        try {
            found = real.filter(r -> r.label() >= 0
                            && Arrays.binarySearch(picks.value()[r.label()], r.local()) >= 0)
                    .mapToPair(r -> new Tuple2<>(r.label(), r))
                    .groupByKey()
                    .flatMap(e -> {
                        List<IndexedRow> rows = new ArrayList<>();
                        e._2().forEach(rows::add);
                        float[] c = FeatureCentre.fromSample(matrixOf(rows),
                                shared.value()[e._1()]);
                        Iterator<Tuple2<Integer, float[]>> out = c == null
                                ? Collections.emptyIterator()
                                : List.of(new Tuple2<>(e._1(), c)).iterator();
                        return out;
                    }).collect();
        } finally {
            shared.destroy();
            picks.destroy();
        }
        float[][] centre = new float[k][];
        for (Tuple2<Integer, float[]> t : found) {
            centre[t._1()] = t._2();
        }
        if (!found.isEmpty()) {
            LOG.info("rff: {} of {} labels' real rows lie far from the origin (the median of nine"
                    + " of them more than {} bandwidths out): their features are taken about"
                    + " that median", found.size(), k, FeatureCentre.FAR_BANDWIDTHS);
        }
        return centre;
    }

    /** The rows whose label-local index is in the label's sorted pick list. */
    private List<IndexedRow> picked(JavaRDD<IndexedRow> rows, int[][] picks) {
        Broadcast<int[][]> shared = context.broadcast(picks);
        try {
            return rows.filter(r -> r.label() >= 0 && shared.value()[r.label()] != null
                    && Arrays.binarySearch(shared.value()[r.label()], r.local()) >= 0).collect();
        } finally {
            shared.destroy();
        }
    }

    /**
     * The rows of each of {@code k} labels, in one pass (a scan per label was labels x rows on
     * the driver: 4e11 steps at 20,000 labels of 500 rows).
     */
    private static List<List<IndexedRow>> byLabel(List<IndexedRow> rows, int k) {
        List<List<IndexedRow>> out = new ArrayList<>(k);
        for (int l = 0; l < k; l++) {
            out.add(new ArrayList<>());
        }
        for (IndexedRow r : rows) {
            if (r.label() >= 0) {
                out.get(r.label()).add(r);
            }
        }
        return out;
    }

    /** A non-null entry per fitted label, as {@link DistributedFeatureProducts#inBlockOrder} asks. */
    private static Object[] fittedLabels(FeatureMaps maps) {
        Object[] out = new Object[maps.labels()];
        for (int l = 0; l < out.length; l++) {
            out[l] = maps.fitted(l) ? Boolean.TRUE : null;
        }
        return out;
    }

    /** One label's sample rows in label-local order, or null when there are none. */
    private static FloatMatrix matrixOf(List<IndexedRow> rows) {
        if (rows.isEmpty()) {
            return null;
        }
        rows.sort(Comparator.comparingInt(IndexedRow::local));
        int d = rows.get(0).vector().length;
        float[] data = new float[rows.size() * d];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i).vector(), 0, data, i * d, d);
        }
        return new FloatMatrix(rows.size(), d, data);
    }

    /**
     * {@code mu_l = (1/m_l) sum_j phi_l(r_j)} for every fitted label, as the single machine
     * computes it ({@link FeatureGrid}): the real rows are shuffled into the blocks of
     * {@code grid}, each block's feature rows summed in double in label-local order by the
     * executor's backend, and the block sums added on the driver in block order.
     */
    private double[][] meanFeatures(LabelGroups groups, JavaRDD<IndexedRow> real,
            FeatureMaps maps, RowBlocks grid) {
        int k = groups.size();
        int f = maps.features();
        Broadcast<FeatureMaps> shared = context.broadcast(maps);
        String backendName = config.backend();
        List<FeatureChunks.ChunkSum> parts;
        try {
            parts = real.filter(r -> r.label() >= 0 && shared.value().fitted(r.label()))
                    .mapToPair(r -> new Tuple2<>(grid.key(r.label(), r.local()), r))
                    .partitionBy(grid.partitioner())
                    .mapPartitions(rows -> {
                        List<FeatureChunks.ChunkSum> out = new ArrayList<>();
                        KernelBackend b = ExecutorBackends.get(backendName);
                        for (var e : FeatureChunks.byBlock(rows).entrySet()) {
                            int label = RowBlocks.label(e.getKey());
                            int index = RowBlocks.block(e.getKey());
                            FloatMatrix m = FeatureChunks.wholeBlock(e.getValue(), grid, label, index);
                            out.add(new FeatureChunks.ChunkSum(label, index,
                                    FeatureGrid.blockFeatureSum(b, m, shared.value().map(label))));
                        }
                        return out.iterator();
                    }).collect();
        } finally {
            shared.destroy();
        }
        double[][] sums = DistributedFeatureProducts.inBlockOrder(parts, fittedLabels(maps), k, f, grid);
        double[][] mu = new double[k][];
        for (int l = 0; l < k; l++) {
            if (sums[l] != null) {
                mu[l] = sums[l];
                double inv = 1.0 / groups.realRows(l);
                for (int j = 0; j < f; j++) {
                    mu[l][j] *= inv;
                }
            }
        }
        return mu;
    }
}
