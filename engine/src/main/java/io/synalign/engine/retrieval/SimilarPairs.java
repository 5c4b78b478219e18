package io.synalign.engine.retrieval;

import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * Every pair of rows of one set whose inner product (cosine over unit rows) reaches a
 * threshold: for each row i, the earlier rows j &lt; i with {@code x_i . x_j >= threshold}. The
 * input of near-duplicate removal, which keeps a row unless it is that close to an earlier kept
 * row.
 *
 * <p>Algorithm: the lower triangle of {@code X X^T} in blocks of {@value #TILE_ROWS} x
 * {@value #TILE_ROWS} rows ({@link KernelBackend#innerProducts}, a GEMM on ND4J and CUDA), each
 * scanned for scores at or above the threshold. Cost n² d flops (half of the full product) plus
 * n²/2 comparisons; memory one block of scores plus the pairs found. An interrupt of the calling
 * thread stops it before its next block ({@link Cancellation}).
 */
public final class SimilarPairs {

    /** Rows per block side. */
    static final int TILE_ROWS = 2048;
    /** What an interrupted search names ({@link Cancellation}). */
    private static final String CANCELLED = "similar pairs (block of scores)";

    /** One pair: the earlier row and the score. */
    public record Match(int row, float score) {
    }

    private SimilarPairs() {
    }

    /**
     * For each row i, the earlier rows reaching {@code threshold}, in increasing row order.
     *
     * @throws IllegalArgumentException when the threshold is NaN, or a row holds a value that is
     *     not finite (naming its row and column)
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted:
     *     before the next block of scores, the status kept set, nothing returned
     */
    public static List<List<Match>> earlierAtLeast(KernelBackend backend, FloatMatrix x, double threshold) {
        return earlierAtLeast(backend, x, threshold, TILE_ROWS);
    }

    /** {@link #earlierAtLeast} with the block side given (tests cross block boundaries). */
    static List<List<Match>> earlierAtLeast(KernelBackend backend, FloatMatrix x, double threshold, int tile) {
        if (Double.isNaN(threshold)) {
            throw new IllegalArgumentException("threshold must be a number: " + threshold);
        }
        // A NaN row scores NaN against every row and silently matched nothing.
        x.requireFinite("input");
        int n = x.rows();
        List<List<Match>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new ArrayList<>());
        }
        java.nio.FloatBuffer block = java.nio.ByteBuffer.allocateDirect(4 * Math.max(1, tile * Math.min(tile, n)))
                .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        float[] row = new float[Math.min(tile, Math.max(1, n))];
        for (int is = 0; is < n; is += tile) {
            int in = Math.min(tile, n - is);
            FloatMatrix rows = x.rowRange(is, is + in);
            for (int js = 0; js <= is; js += tile) {
                int jn = Math.min(tile, n - js);
                FloatMatrix cols = js == is ? rows : x.rowRange(js, js + jn);
                Cancellation.stopIfInterrupted(CANCELLED); // once per block: see Cancellation
                backend.innerProducts(rows, cols, block);
                for (int a = 0; a < in; a++) {
                    int i = is + a;
                    int limit = Math.min(jn, i - js); // only j < i
                    if (limit <= 0) {
                        continue;
                    }
                    block.get(a * jn, row, 0, limit);
                    for (int b = 0; b < limit; b++) {
                        if (row[b] >= threshold) {
                            out.get(i).add(new Match(js + b, row[b]));
                        }
                    }
                }
            }
        }
        return out;
    }
}
