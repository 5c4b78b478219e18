package io.synalign.engine;

import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.host.OrderStatistics;
import java.util.SplittableRandom;

/**
 * The median heuristic for RBF bandwidths (Gretton et al., "A Kernel Two-Sample Test", JMLR 2012):
 * the median Euclidean distance between distinct points of a seeded uniform sample (without
 * replacement) of at most {@value #DEFAULT_SAMPLE} rows of the union of the given row sets.
 * Pairs at distance zero (duplicate rows) are left out, so duplicates cannot drive sigma to zero.
 * Cost O(s^2 d) for a sample of s rows.
 *
 * <p>An interrupt of the calling thread stops {@link #estimate} before its next
 * {@value #ROWS_PER_CHECK} sampled rows are read, before the pairwise distances and before the
 * median, and {@link #allRowsEqual} before its next block of rows ({@link Cancellation}): a
 * {@link java.util.concurrent.CancellationException}, the status kept set, nothing returned.
 */
public final class MedianHeuristic {

    /** The default sample size, 2,000 rows. */
    public static final int DEFAULT_SAMPLE = 2000;
    /** Sampled rows read (one at a time, perhaps from disk) between two cancellation checks. */
    static final int ROWS_PER_CHECK = 256;
    /** What an interrupted estimate or comparison names ({@link Cancellation}). */
    private static final String CANCELLED = "median heuristic (block of rows)";

    private MedianHeuristic() {
    }

    /**
     * The rows give no usable median: every sampled row is identical, or the median lies
     * outside [{@link Bandwidth#MIN}, {@link Bandwidth#MAX}]. The caller should ask for the value
     * (a bandwidth, or a GP length scale) explicitly, naming its own setting.
     */
    public static final class Unusable extends IllegalArgumentException {

        private static final long serialVersionUID = 1L;

        Unusable(String message) {
            super(message);
        }
    }

    /**
     * Whether every row of every set equals the first row of the first, coordinate by coordinate
     * (true for fewer than two rows in all). Then every RBF kernel value among them is 1 whatever
     * the bandwidth, so a caller that only compares these rows with each other may take any
     * bandwidth (where {@link #estimate} has no distance to take the median of). Reads each set
     * once in blocks of about 4 MiB; stops at the first row that differs. Cost O(n d).
     */
    public static boolean allRowsEqual(RowSource... sets) {
        float[] first = null;
        for (RowSource s : sets) {
            int d = s.cols();
            int block = (int) Math.max(1, Math.min(s.rows(), (1 << 20) / Math.max(1, d)));
            float[] buffer = new float[block * d];
            for (long start = 0; start < s.rows(); start += block) {
                int count = (int) Math.min(block, s.rows() - start);
                Cancellation.stopIfInterrupted(CANCELLED); // once per block: see Cancellation
                s.read(start, count, buffer);
                if (first == null) {
                    first = java.util.Arrays.copyOf(buffer, d);
                }
                for (int i = 0; i < count * d; i++) {
                    if (buffer[i] != first[i % d]) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** As {@link #allRowsEqual(RowSource...)} for one matrix. */
    public static boolean allRowsEqual(FloatMatrix x) {
        return allRowsEqual(RowSource.of(x));
    }

    /**
     * @param backend computes the sample's pairwise distances
     * @param maxSample at most this many rows are sampled
     * @param seed seeds the sample
     * @param sets the row sets whose union is sampled; all have the same column count
     * @throws IllegalArgumentException when fewer than two rows exist, all sampled rows coincide,
     *     or a row holds a value that is not finite ("set 2 row 7 column 2 is NaN"; "input ..."
     *     for one set)
     */
    public static double estimate(KernelBackend backend, int maxSample, long seed, FloatMatrix... sets) {
        RowSource[] sources = new RowSource[sets.length];
        for (int i = 0; i < sets.length; i++) {
            // Every row, not only the sample's (which named "in memory row 7", not which set),
            // as every other entry of the engine checks its rows.
            sets[i].requireFinite(sets.length == 1 ? "input" : "set " + (i + 1));
            sources[i] = RowSource.of(sets[i]);
        }
        return estimate(backend, maxSample, seed, sources);
    }

    /**
     * The same over row sources of any length: the sampled rows are read one by one, so only
     * the sample is ever in memory; the same seed picks the same rows as the matrix version.
     */
    public static double estimate(KernelBackend backend, int maxSample, long seed,
            RowSource... sets) {
        Distances sampled = distances(backend, maxSample, seed, sets);
        if (sampled.count() == 0) {
            throw new Unusable("the median heuristic found every sampled row identical, so"
                    + " there is no distance to take the median of; give the value explicitly");
        }
        double median = sampled.median();
        if (!(median >= Bandwidth.MIN && median <= Bandwidth.MAX)) {
            throw new Unusable("the median pairwise distance of the rows is " + median
                    + ", outside the usable range [" + Bandwidth.MIN + ", " + Bandwidth.MAX
                    + "]; rescale the rows or give the value explicitly");
        }
        return median;
    }

    /**
     * The {@code q}-quantile (rank {@code floor(q (c - 1))} of the c nonzero distances) of the
     * very sample {@link #estimate} draws with the same arguments: how close the closest pairs
     * are, against the median's scale (the planner asks where a kept K_SS's values lie near 1).
     * Cost O(s^2 d), as the estimate's.
     *
     * @param q in [0, 1]
     * @return the quantile, or NaN where every sampled row is the same
     * @throws IllegalArgumentException when q is outside [0, 1], or as {@link #estimate} (fewer
     *     than two rows, a dimension mismatch)
     */
    public static double quantile(KernelBackend backend, int maxSample, long seed, double q,
            RowSource... sets) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile " + q + ": not in [0, 1]");
        }
        Distances sampled = distances(backend, maxSample, seed, sets);
        if (sampled.count() == 0) {
            return Double.NaN;
        }
        return sampled.select((long) Math.floor(q * (sampled.count() - 1)));
    }

    /**
     * The Java heap {@link #estimate} holds at its peak for {@code rows} rows (all sets together)
     * of {@code cols} columns and a sample of at most {@code maxSample}, in bytes: the sample as
     * one k x d float matrix, its k x k float squared distances, a few k-vectors, the selection's
     * histogram and candidates ({@link Distances}; k = min(maxSample, rows)). At wide rows the
     * sample dominates: 64 MB of floats plus 16 MB of squared distances at k = 2,000,
     * d = 8,000, which a caller holding the rows whole must leave room for (the command line's
     * read rule). Pairs of distinct but near-equal rows, whose squared distance is recomputed in
     * double, keep that value for the selection's later sweeps up to
     * {@link Distances#RECOMPUTED_LIMIT} of them (512 KiB, counted here), and are recomputed in
     * each sweep beyond it (helper heap35: each was kept, 8 bytes a pair, uncounted, up to
     * k(k-1)/2 where every row is a near-copy of one); an equal pair is marked in the squared
     * distances, not kept (review34b; before, repeated rows kept up to k(k-1)/2 doubles here,
     * the 16 MB at k = 2,000 that helper median34 took out of this count). O(1).
     */
    public static long heapBytes(long rows, int cols, int maxSample) {
        long k = Math.max(0, Math.min(maxSample, rows));
        return Float.BYTES * k * cols + Float.BYTES * (long) cols + Float.BYTES * k * k
                + 2L * Double.BYTES * k + Long.BYTES * k + Distances.SELECTION_BYTES;
    }

    /** The sample's nonzero pairwise distances ({@link #estimate}'s sample and arithmetic). */
    private static Distances distances(KernelBackend backend, int maxSample, long seed,
            RowSource... sets) {
        return distances(backend, maxSample, seed, Distances.COLLECT_LIMIT, sets);
    }

    /**
     * The same with at most {@code collectLimit} values gathered for the final selection (a
     * small limit makes the radix sweeps run on small samples; for tests).
     */
    static Distances distances(KernelBackend backend, int maxSample, long seed,
            int collectLimit, RowSource... sets) {
        return distances(backend, maxSample, seed, collectLimit, Distances.RECOMPUTED_LIMIT,
                sets);
    }

    /**
     * The same with at most {@code recomputedLimit} recomputed pairs kept for the later sweeps
     * (a small limit recomputes the rest in every sweep; for tests).
     */
    static Distances distances(KernelBackend backend, int maxSample, long seed,
            int collectLimit, int recomputedLimit, RowSource... sets) {
        long total = 0;
        int d = sets[0].cols();
        for (RowSource s : sets) {
            if (s.cols() != d) {
                throw new IllegalArgumentException("dimension mismatch: " + s.cols() + " vs " + d);
            }
            total += s.rows();
        }
        if (total < 2) {
            throw new IllegalArgumentException("the median heuristic needs at least 2 rows, got " + total);
        }
        int k = (int) Math.min(maxSample, total);
        long[] picked = sampleWithoutReplacement(total, k, new SplittableRandom(seed));
        FloatMatrix sample = FloatMatrix.zeros(k, d);
        float[] row = new float[d];
        for (int r = 0; r < k; r++) {
            if (r % ROWS_PER_CHECK == 0) {
                Cancellation.stopIfInterrupted(CANCELLED);
            }
            long g = picked[r];
            int set = 0;
            while (g >= sets[set].rows()) {
                g -= sets[set].rows();
                set++;
            }
            sets[set].read(g, 1, row);
            System.arraycopy(row, 0, sample.data(), r * d, d);
        }
        // Scaled by a power of two (exact) so the largest coordinate is about 1: the float32
        // squared distances of rows near 1e-30 underflowed to 0 ("every row identical") and of
        // rows near 1e19 overflowed to infinity. The distances are scaled back in double.
        double scale = 0;
        for (float v : sample.data()) {
            scale = Math.max(scale, Math.abs(v));
        }
        int exponent = scale > 0 ? Math.getExponent(scale) : 0;
        if (exponent != 0) {
            float[] data = sample.data();
            for (int i = 0; i < data.length; i++) {
                data[i] = Math.scalb(data[i], -exponent);
            }
        }
        float[] d2 = new float[k * k];
        Cancellation.stopIfInterrupted(CANCELLED);
        backend.squaredDistances(sample, sample, d2);
        Cancellation.stopIfInterrupted(CANCELLED);
        // A GEMM backend (ND4J, CUDA) forms |x|^2 + |y|^2 - 2 x.y in float32: for two equal rows
        // that leaves rounding of about 1e-7 (|x|^2 + |y|^2), not 0, so with many repeated rows
        // (an LLM repeating itself) those pairs counted as tiny distances and pulled the median
        // down by orders of magnitude. Pairs in that cancellation range are recomputed in double
        // from the rows, so equal rows give exactly 0 and are dropped on every backend.
        float[] data = sample.data();
        double[] norms = new double[k];
        for (int i = 0; i < k; i++) {
            double s = 0;
            for (int c = i * d; c < (i + 1) * d; c++) {
                s += (double) data[c] * data[c];
            }
            norms[i] = s;
        }
        return new Distances(data, d2, norms, k, d, Math.scalb(1.0, exponent), collectLimit,
                recomputedLimit);
    }

    /**
     * The nonzero pairwise distances of a sample, never held all at once (helper median34: the
     * k(k-1)/2 doubles were 16 MB at k = 2,000, beside the k x k float squared distances and
     * the sample): each is recomputed from those by the same arithmetic whenever a sweep over the
     * pairs asks for it (the upper triangle, row by row), so every sweep yields the very doubles
     * the array held. A value of a given rank (in {@link Double#compare} order, as
     * {@link OrderStatistics#select} ranks) is found by a radix selection over their bits: the
     * distances are positive and finite, where the order of the doubles is the order of their
     * bit patterns, so one sweep counts the values under each 16 next bits (a histogram of
     * 65,536 counts), which fixes those bits of the wanted value, and the next sweep looks only
     * at the values that share the bits fixed so far; once at most {@link #COLLECT_LIMIT} values
     * share them they are gathered and {@link OrderStatistics#select} picks the rank among them.
     * The value is the one the whole array's selection gave, bit for bit (a rank of a multiset);
     * the median is {@code (lower + upper) / 2} of the same two middle values, as
     * {@link OrderStatistics#median} forms it. Cost per sweep O(k^2) (a square root a pair), at
     * most four sweeps a rank plus the count: a few sweeps of 2 million pairs at k = 2,000,
     * against the O(k^2 d) of the squared distances. Pairs recomputed in double (near-equal
     * rows, O(d) each) are recomputed once up to {@link #RECOMPUTED_LIMIT} of them: those
     * nonzero values are kept in sweep order for the later sweeps, the zeros (equal rows)
     * marked in the squared distances (review34b); past the limit the later sweeps recompute
     * them by the same arithmetic (the same bits), so memory stays bounded and only inputs with
     * more near-equal distinct pairs than the limit pay O(d) again a pair and sweep (helper
     * heap35).
     */
    static final class Distances {

        /** Values gathered for the final selection at most (512 KiB of doubles). */
        static final int COLLECT_LIMIT = 1 << 16;
        /**
         * Nonzero pairs recomputed in double (distinct but near-equal rows) kept for the later
         * sweeps at most (512 KiB of doubles); the others are recomputed in each sweep.
         */
        static final int RECOMPUTED_LIMIT = 1 << 16;
        /**
         * The histogram, the gathered values and the kept recomputed pairs: what a selection
         * holds besides the sample.
         */
        static final long SELECTION_BYTES = (long) Long.BYTES * (1 << 16)
                + (long) Double.BYTES * COLLECT_LIMIT + (long) Double.BYTES * RECOMPUTED_LIMIT;

        private final float[] data;
        private final float[] d2;
        private final double[] norms;
        private final int k;
        private final int d;
        private final double unscale;
        private final int collectLimit;
        private final int recomputedLimit;
        /**
         * The first {@code recomputedLimit} nonzero recomputed squared distances in sweep order,
         * once the first sweep has run.
         */
        private double[] recomputed;
        private int recomputedCount;
        private long count = -1;

        Distances(float[] data, float[] d2, double[] norms, int k, int d, double unscale,
                int collectLimit, int recomputedLimit) {
            this.data = data;
            this.d2 = d2;
            this.norms = norms;
            this.k = k;
            this.d = d;
            this.unscale = unscale;
            this.collectLimit = collectLimit;
            this.recomputedLimit = recomputedLimit;
        }

        /** A sweep's work on each nonzero distance ({@link #sweep}). */
        private static final int COUNT = 0;
        private static final int HISTOGRAM = 1;
        private static final int GATHER = 2;

        /**
         * Every nonzero distance once, in the order the array was filled before (upper
         * triangle, row by row), by that fill's arithmetic, and on each the work of
         * {@code mode}: COUNT adds it to {@code histogram} under its top 16 bits; HISTOGRAM,
         * where its bits above {@code above} equal {@code fixed}, under its 16 bits from
         * {@code next}; GATHER puts those (every value where {@code above} is 64) into
         * {@code gathered}. The modes are branches of one loop, not a callback: a callback of
         * three kinds was a megamorphic call per pair, most of a sweep's time (review34b).
         * The first sweep recomputes the pairs in the cancellation range in double; one that
         * comes out exactly 0 (equal rows) is marked NaN in {@code d2}, which every later
         * sweep drops as it drops the pair's 0, and only the first {@code recomputedLimit}
         * nonzero ones are kept in sweep order, the rest recomputed by each later sweep (helper
         * heap35; before review34b every recomputed pair was kept: at most k(k-1)/2 doubles,
         * 16 MB at k = 2,000 with every row repeated, past {@link #heapBytes}).
         *
         * @return the values gathered (GATHER), else 0
         */
        private int sweep(int mode, long fixed, int above, int next, long[] histogram,
                double[] gathered) {
            Cancellation.stopIfInterrupted(CANCELLED);
            boolean first = recomputed == null;
            if (first) {
                recomputed = new double[16];
            }
            int replay = 0;
            int n = 0;
            for (int i = 0; i < k; i++) {
                double ni = norms[i];
                int row = i * k;
                for (int j = i + 1; j < k; j++) {
                    double v = d2[row + j];
                    // NaN (an equal pair marked by the first sweep) fails both tests.
                    if (v <= CANCELLATION * (ni + norms[j])) {
                        if (first) {
                            v = squaredDistance(data, i, j, d);
                            if (v == 0) {
                                d2[row + j] = Float.NaN;
                                continue;
                            }
                            if (recomputedCount < recomputedLimit) {
                                if (recomputedCount == recomputed.length) {
                                    recomputed = java.util.Arrays.copyOf(recomputed,
                                            Math.min(recomputedLimit, 2 * recomputed.length));
                                }
                                recomputed[recomputedCount++] = v;
                            }
                        } else if (replay < recomputedCount) {
                            v = recomputed[replay++];
                        } else {
                            // Past the kept ones: the same double arithmetic again, the same
                            // bits (helper heap35: each was kept, 8 bytes a pair, unbounded).
                            v = squaredDistance(data, i, j, d);
                        }
                    }
                    if (v > 0) {
                        // 2^exponent is a normal double (|exponent| <= 149), so the product is
                        // exactly Math.scalb(sqrt, exponent), at a multiply instead of a call.
                        double value = Math.sqrt(v) * unscale;
                        long bits = Double.doubleToRawLongBits(value);
                        if (mode == COUNT) {
                            histogram[(int) (bits >>> 48)]++;
                        } else if (mode == HISTOGRAM) {
                            if (bits >>> above == fixed) {
                                histogram[(int) ((bits >>> next) & 0xFFFF)]++;
                            }
                        } else if (above == 64 || bits >>> above == fixed) {
                            gathered[n++] = value;
                        }
                    }
                }
            }
            return n;
        }

        /** The count of nonzero distances under each top 16 bits (the first sweep's). */
        private long[] top;

        /** The number of nonzero distances (the first sweep, which also fills {@link #top}). */
        long count() {
            if (count < 0) {
                long[] histogram = new long[1 << 16];
                sweep(COUNT, 0, 64, 48, histogram, null);
                long n = 0;
                for (long c : histogram) {
                    n += c;
                }
                top = histogram;
                count = n;
            }
            return count;
        }

        /** A selection's end: the values that share the fixed bits, and the rank among them. */
        private record Gathered(double[] values, int rank, long fixedBits) {

            /**
             * The value of the rank: the one every bit of which the sweeps fixed, or the rank's
             * among the gathered values (which this partitions: those before the rank are then
             * the smaller ones, as {@link #median} reads them).
             */
            double value() {
                return values == null ? Double.longBitsToDouble(fixedBits)
                        : OrderStatistics.select(values, values.length, rank);
            }
        }

        /**
         * The value of rank {@code rank} (0-based, {@link Double#compare} order) of the nonzero
         * distances, as {@code OrderStatistics.select} over all of them gives it.
         */
        double select(long rank) {
            Gathered g = gather(rank);
            return g.value();
        }

        /**
         * The values sharing the wanted value's bits down to where at most the gathering limit
         * do, and its rank among them; values null where every bit is fixed first (then rank
         * holds no rank: see {@link #select}, which this serves with the fixed bits it returns).
         */
        private Gathered gather(long rank) {
            long total = count();
            if (rank < 0 || rank >= total) {
                throw new IllegalArgumentException("rank " + rank + " of " + total
                        + " distances");
            }
            // The values whose bits above `shift` equal `prefix` hold the wanted one, at rank
            // `rank` among them; `within` of them.
            long prefix = 0;
            int shift = 64;
            long within = total;
            while (within > collectLimit && shift > 0) {
                int next = shift - 16;
                long[] histogram;
                if (shift == 64) {
                    histogram = top; // the count's sweep
                } else {
                    histogram = new long[1 << 16];
                    sweep(HISTOGRAM, prefix, shift, next, histogram, null);
                }
                int bucket = 0;
                while (rank >= histogram[bucket]) {
                    rank -= histogram[bucket];
                    bucket++;
                }
                within = histogram[bucket];
                prefix = (prefix << 16) | bucket;
                shift = next;
            }
            if (shift == 0) {
                // Every bit fixed: every value left is this one.
                return new Gathered(null, 0, prefix);
            }
            double[] gathered = new double[(int) within];
            sweep(GATHER, prefix, shift, 0, null, gathered);
            return new Gathered(gathered, (int) rank, 0);
        }

        /**
         * The median, {@link OrderStatistics#median}'s: the middle value, or the mean of the
         * two middle ones ({@code (lower + upper) / 2}) for an even count. As there, the lower
         * middle is the largest of the values the upper's selection left below it, where the
         * gathered values hold any; else it is selected on its own.
         */
        double median() {
            long total = count();
            Gathered g = gather(total / 2);
            double upper = g.value();
            if ((total & 1) == 1) {
                return upper;
            }
            double lower;
            if (g.values() != null && g.rank() > 0) {
                // select leaves everything of lower rank in values[0, rank).
                double[] v = g.values();
                lower = v[0];
                for (int i = 1; i < g.rank(); i++) {
                    if (Double.compare(v[i], lower) > 0) {
                        lower = v[i];
                    }
                }
            } else {
                lower = select(total / 2 - 1);
            }
            return (lower + upper) / 2;
        }
    }

    /**
     * Squared distances below this fraction of {@code |x|^2 + |y|^2} are recomputed in double:
     * float32 GEMM rounding is about 1e-7 of it per term, and d terms add up to well below this.
     */
    static final double CANCELLATION = 1e-3;

    /** {@code |x_i - x_j|^2} in double from the float rows. */
    private static double squaredDistance(float[] data, int i, int j, int d) {
        double s = 0;
        for (int c = 0; c < d; c++) {
            double diff = (double) data[i * d + c] - data[j * d + c];
            s += diff * diff;
        }
        return s;
    }

    /**
     * Floyd's algorithm: k distinct values of [0, n), returned sorted. Public so that a
     * distributed caller (the Spark module) can pick the very rows {@link #estimate} would.
     */
    public static long[] sampleWithoutReplacement(long n, int k, SplittableRandom random) {
        if (k == n) {
            long[] all = new long[k];
            for (int i = 0; i < k; i++) {
                all[i] = i;
            }
            return all;
        }
        java.util.HashSet<Long> chosen = new java.util.HashSet<>();
        for (long j = n - k; j < n; j++) {
            long t = random.nextLong(j + 1);
            if (!chosen.add(t)) {
                chosen.add(j);
            }
        }
        return chosen.stream().mapToLong(Long::longValue).sorted().toArray();
    }
}
