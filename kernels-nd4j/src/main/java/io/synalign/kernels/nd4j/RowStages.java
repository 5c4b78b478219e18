package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.RowPieces;

/**
 * The walk of a block of rows handed over in pieces ({@link RowPieces}) stage by stage, for the
 * two feature operators that build from pieces ({@link Nd4jFeatureOperator} into its native
 * inputs, {@link PortableFeatureOperator} into a heap array): stages of {@code stage} rows from
 * the block's first row (a multiple of the GEMM block, so that no GEMM block straddles two),
 * each filled from as many pieces as it spans, then run. Each piece is checked to be the
 * block's piece at its row ({@link RowPieces#checkPiece}) before any of it is written: a piece
 * longer than the rows left would have its last rows dropped unseen. One walk for both paths
 * (review35a: grid35 wrote the portable one as a copy of the CPU path's). O(n) calls of
 * {@code fill} at most, one per piece and stage it meets; holds one piece at a time.
 */
final class RowStages {

    private RowStages() {
    }

    /** Writes rows {@code [from, from + count)} of {@code piece} at the stage's row {@code at}. */
    @FunctionalInterface
    interface Fill {
        void rows(FloatMatrix piece, int from, int count, int at);
    }

    /** Runs a filled stage: rows {@code [start, start + count)} of the block. */
    @FunctionalInterface
    interface Run {
        void stage(int start, int count);
    }

    /** Every stage of {@code x}'s rows, filled by {@code fill} then run by {@code run}. */
    static void each(RowPieces x, int stage, Fill fill, Run run) {
        int rows = x.rows();
        FloatMatrix piece = null;
        int used = 0;
        for (int stageStart = 0; stageStart < rows; stageStart += stage) {
            int stageCount = Math.min(stage, rows - stageStart);
            for (int filled = 0; filled < stageCount; ) {
                if (piece == null || used == piece.rows()) {
                    piece = RowPieces.checkPiece(x, x.next(), stageStart + filled);
                    used = 0;
                }
                int take = Math.min(piece.rows() - used, stageCount - filled);
                fill.rows(piece, used, take, filled);
                used += take;
                filled += take;
            }
            run.stage(stageStart, stageCount);
        }
    }
}
