package io.synalign.engine.retrieval;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Exact top-k search by inner product (cosine over unit-length rows): for every query row, the
 * k corpus rows with the largest score, best first, optionally skipping some corpus rows per
 * query (its own passages, when mining hard negatives).
 *
 * <p>Algorithm: the corpus is walked in tiles of {@value #CORPUS_TILE_ROWS} rows and the queries
 * in tiles that keep a block of scores within {@link #TILE_BYTES}; each (query tile, corpus tile) pair is one
 * {@link KernelBackend#innerProducts} block (a GEMM on the ND4J and CUDA backends), whose rows
 * are merged, in parallel over queries, into one bounded min-heap of k entries per query. A
 * score enters a heap only when it beats the heap's worst entry, so after the first tiles
 * almost every score costs one comparison. Ties are broken by the lower corpus index, so the
 * result does not depend on the tiling.
 *
 * <p>Cost: 2 q c d flops for the products plus O(q c) comparisons, O(q c log k) in the worst
 * case. Memory: the result (q k ints and floats), one query tile and one corpus tile copied, and
 * one direct buffer of at most {@link #TILE_BYTES} for the block of scores — independent of q c.
 *
 * <p>An interrupt of the calling thread stops a search before its next block of scores
 * ({@link Cancellation}) with a {@link java.util.concurrent.CancellationException}, the status
 * kept set, nothing returned; the merge of the block in flight (on the common pool) finishes.
 */
public final class InnerProductSearch {

    /** The most bytes of one block of scores (a query tile times a corpus tile). */
    public static final long TILE_BYTES = 64L << 20;
    /** A per-thread copy of one row of scores, for {@link #merge}. */
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    /** Corpus rows per tile: large blocks keep the GEMM efficient. */
    static final int CORPUS_TILE_ROWS = 8192;
    /** What an interrupted search names ({@link Cancellation}). */
    private static final String CANCELLED = "inner-product search (block of scores)";

    private InnerProductSearch() {
    }

    /**
     * The top {@code k} hits of each query: {@code indices[i * k + r]} and {@code scores[i * k + r]}
     * are the corpus row and score of query i's hit of rank r (0 best). A query with fewer than
     * k eligible corpus rows has its remaining slots at index -1, score NaN.
     */
    public record Hits(int queries, int k, int[] indices, float[] scores) {

        public Hits {
            if ((long) queries * k != indices.length || indices.length != scores.length) {
                throw new IllegalArgumentException("hits of " + queries + " queries x " + k
                        + " need " + (long) queries * k + " entries, got " + indices.length
                        + " and " + scores.length);
            }
        }

        /** The corpus row of query {@code i}'s hit of rank {@code r}, or -1. */
        public int index(int i, int r) {
            return indices[i * k + r];
        }

        /** The score of query {@code i}'s hit of rank {@code r}, or NaN. */
        public float score(int i, int r) {
            return scores[i * k + r];
        }
    }

    /**
     * Searches {@code corpus} for every row of {@code queries}. Both are checked finite on every
     * call, the corpus in O(c d): to search one corpus many times, make a {@link FiniteCorpus}
     * once and call {@link #search(KernelBackend, FloatMatrix, FiniteCorpus, int, int[][],
     * ProgressListener)}.
     *
     * @param excluded per query, the corpus rows it may not return (null: none; an entry may be
     *     null or empty)
     * @param progress told of corpus rows searched, stage {@code "search"}
     * @throws IllegalArgumentException when k is not positive, the dimensions differ,
     *     {@code excluded} does not have one entry per query, or a row holds a value that is not
     *     finite (naming the side, row and column)
     */
    public static Hits search(KernelBackend backend, FloatMatrix queries, FloatMatrix corpus, int k,
            int[][] excluded, ProgressListener progress) {
        return search(backend, queries, corpus, k, excluded, progress, CORPUS_TILE_ROWS, TILE_BYTES);
    }

    /**
     * Searches a corpus already checked finite for every row of {@code queries}: as
     * {@link #search(KernelBackend, FloatMatrix, FloatMatrix, int, int[][], ProgressListener)},
     * checking only the queries (O(q d)).
     *
     * @throws IllegalArgumentException as the other search, a non-finite value only in the queries
     */
    public static Hits search(KernelBackend backend, FloatMatrix queries, FiniteCorpus corpus,
            int k, int[][] excluded, ProgressListener progress) {
        return search(backend, queries, corpus, k, excluded, progress, CORPUS_TILE_ROWS, TILE_BYTES);
    }

    /** {@link #search} with the tiling given (tests cross tile boundaries on small inputs). */
    static Hits search(KernelBackend backend, FloatMatrix queries, FloatMatrix corpus, int k,
            int[][] excluded, ProgressListener progress, int corpusTileRows, long tileBytes) {
        requireSearchable(queries, corpus, k, excluded);
        return searchFinite(backend, queries, FiniteCorpus.of(corpus), k, excluded, progress,
                corpusTileRows, tileBytes);
    }

    /** The {@link FiniteCorpus} search with the tiling given. */
    static Hits search(KernelBackend backend, FloatMatrix queries, FiniteCorpus corpus, int k,
            int[][] excluded, ProgressListener progress, int corpusTileRows, long tileBytes) {
        requireSearchable(queries, corpus.rows(), k, excluded);
        return searchFinite(backend, queries, corpus, k, excluded, progress, corpusTileRows,
                tileBytes);
    }

    /** Refuses arguments no search can take, and non-finite queries. */
    private static void requireSearchable(FloatMatrix queries, FloatMatrix corpus, int k,
            int[][] excluded) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1: " + k);
        }
        if (queries.cols() != corpus.cols()) {
            throw new IllegalArgumentException("queries have " + queries.cols()
                    + " dimensions, the corpus " + corpus.cols());
        }
        if (excluded != null && excluded.length != queries.rows()) {
            throw new IllegalArgumentException("excluded rows given for " + excluded.length
                    + " queries, not " + queries.rows());
        }
        // A NaN row scored NaN and was skipped, or ranked last; an infinity won every search.
        queries.requireFinite("queries");
    }

    /** The search itself, over arguments already checked. */
    private static Hits searchFinite(KernelBackend backend, FloatMatrix queries,
            FiniteCorpus finiteCorpus, int k, int[][] excluded, ProgressListener progress,
            int corpusTileRows, long tileBytes) {
        FloatMatrix corpus = finiteCorpus.rows();
        int q = queries.rows();
        int c = corpus.rows();
        if ((long) q * k > Integer.MAX_VALUE - 8) {
            // Refused before the search, not by an index error after it.
            throw new IllegalArgumentException(q + " queries x k = " + k + " hits is "
                    + (long) q * k + ", more than one array holds; search fewer queries at once"
                    + " or ask for fewer hits");
        }
        int[] idx = new int[q * k];
        float[] score = new float[q * k];
        java.util.Arrays.fill(idx, -1);
        int[] size = new int[q];
        int corpusTile = Math.max(1, Math.min(corpusTileRows, c));
        int queryTile = queryTileRows(q, corpusTile, tileBytes);
        List<FloatMatrix> queryTiles = new ArrayList<>();
        for (int s = 0; s < q; s += queryTile) {
            queryTiles.add(queries.rowRange(s, Math.min(q, s + queryTile)));
        }
        // One direct buffer for every block: a backend that computes off the heap writes the
        // scores where the merge reads them (no copy of q c floats through the Java heap).
        java.nio.FloatBuffer block = java.nio.ByteBuffer.allocateDirect(4 * Math.max(1, queryTile * corpusTile))
                .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        for (int cs = 0; cs < c; cs += corpusTile) {
            int cn = Math.min(corpusTile, c - cs);
            FloatMatrix tile = corpus.rowRange(cs, cs + cn);
            for (int t = 0; t < queryTiles.size(); t++) {
                FloatMatrix qt = queryTiles.get(t);
                int qs = t * queryTile;
                // Once per block (a GEMM and its merge), never per score: see Cancellation.
                Cancellation.stopIfInterrupted(CANCELLED);
                backend.innerProducts(qt, tile, block);
                int base = cs;
                IntStream.range(0, qt.rows()).parallel().forEach(r -> merge(block, r * cn, cn, base,
                        qs + r, k, idx, score, size, excluded == null ? null : excluded[qs + r]));
            }
            progress.onProgress("search", cs + cn, c, "");
        }
        for (int i = 0; i < q; i++) {
            sortBestFirst(idx, score, i * k, size[i]);
            for (int r = size[i]; r < k; r++) {
                score[i * k + r] = Float.NaN;
            }
        }
        return new Hits(q, k, idx, score);
    }

    /** Query rows per tile: the block of scores stays within {@code tileBytes}. */
    static int queryTileRows(int queries, int corpusTile, long tileBytes) {
        long rows = tileBytes / (4L * corpusTile);
        return (int) Math.max(1, Math.min(Math.max(1, queries), rows));
    }

    /**
     * Merges one query's scores {@code block[from, from + n)} (corpus rows base..base+n-1) into
     * its heap at {@code idx/score[query * k ...]}: a min-heap on (score, -index), so the root is
     * the entry to evict first.
     */
    private static void merge(java.nio.FloatBuffer block, int from, int n, int base, int query, int k,
            int[] idx, float[] score, int[] size, int[] skip) {
        int h = query * k;
        int filled = size[query];
        // One bulk copy of the row into a small per-thread array (cache-resident), then a plain
        // array scan: cheaper than an absolute get per score on the direct buffer.
        float[] scores = ROW.get();
        if (scores.length < n) {
            scores = new float[n];
            ROW.set(scores);
        }
        block.get(from, scores, 0, n);
        for (int j = 0; j < n; j++) {
            float s = scores[j];
            if (filled == k && !(s > score[h])) {
                continue; // not better than the worst kept (an equal score has a higher index)
            }
            int row = base + j;
            if (skip != null && contains(skip, row)) {
                continue;
            }
            if (Float.isNaN(s)) {
                continue;
            }
            if (filled < k) {
                idx[h + filled] = row;
                score[h + filled] = s;
                siftUp(idx, score, h, filled);
                filled++;
            } else {
                idx[h] = row;
                score[h] = s;
                siftDown(idx, score, h, k, 0);
            }
        }
        size[query] = filled;
    }

    private static boolean contains(int[] rows, int row) {
        for (int r : rows) {
            if (r == row) {
                return true;
            }
        }
        return false;
    }

    /** Whether entry a should be evicted before entry b: a lower score, or equal and a later row. */
    private static boolean worse(int[] idx, float[] score, int a, int b) {
        return score[a] < score[b] || (score[a] == score[b] && idx[a] > idx[b]);
    }

    private static void siftUp(int[] idx, float[] score, int h, int at) {
        while (at > 0) {
            int parent = (at - 1) / 2;
            if (!worse(idx, score, h + at, h + parent)) {
                return;
            }
            swap(idx, score, h + at, h + parent);
            at = parent;
        }
    }

    private static void siftDown(int[] idx, float[] score, int h, int n, int at) {
        while (true) {
            int l = 2 * at + 1;
            if (l >= n) {
                return;
            }
            int worst = l;
            if (l + 1 < n && worse(idx, score, h + l + 1, h + l)) {
                worst = l + 1;
            }
            if (!worse(idx, score, h + worst, h + at)) {
                return;
            }
            swap(idx, score, h + worst, h + at);
            at = worst;
        }
    }

    private static void swap(int[] idx, float[] score, int a, int b) {
        int i = idx[a];
        idx[a] = idx[b];
        idx[b] = i;
        float s = score[a];
        score[a] = score[b];
        score[b] = s;
    }

    /** Heap-sorts the n entries at h best first (highest score, then lowest index). */
    private static void sortBestFirst(int[] idx, float[] score, int h, int n) {
        for (int end = n - 1; end > 0; end--) {
            swap(idx, score, h, h + end); // the worst goes to the end
            siftDown(idx, score, h, end, 0);
        }
    }
}
