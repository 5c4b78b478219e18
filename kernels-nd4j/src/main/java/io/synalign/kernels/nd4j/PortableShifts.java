package io.synalign.kernels.nd4j;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link ShiftedTiles} on the portable path: the same grid, limit and stored values, decided and
 * computed with ND4J operations only (no native pointer, so it runs wherever ND4J does).
 *
 * <p>Decision: per row piece of a tile (rows cut at multiples of {@value ShiftedTiles#ROWS}), the
 * minimum of each column over the piece's rows (one reduction per piece, or one for all the
 * whole pieces of a tile, whose rows are contiguous), copied to the host, and the minimum of each
 * {@value ShiftedTiles#COLS}-column chunk of those: a piece is shifted when it is above
 * {@value ShiftedTiles#LIMIT}. Values: g by the same float32 Horner evaluation of the Taylor
 * series as {@link ShiftedTiles#expm1}, one ND4J operation per step (each rounds to float, as
 * Java does, so the values are those of the CPU path's g); the unshifted pieces
 * {@link DistanceGemm#kernelValues}. A tile with no shifted piece takes one kernelValues, as
 * before. Cost: a read of the tile and a copy of {@code 1 / 32} of it per decision, about 24
 * elementwise passes over shifted pieces.
 */
final class PortableShifts {

    private PortableShifts() {
    }

    /**
     * Turns the exponents of {@code tile} ({@code count x cols}, K's rows
     * {@code [start, start + count)}, all columns) into stored values in place, adding the
     * shifted pieces to {@code shifted} (not cleared: a product collects those of all its tiles).
     */
    static void values(INDArray tile, int start, int count, int cols, ShiftedTiles.Pieces shifted) {
        if (count <= 0 || cols <= 0) {
            return;
        }
        int rowPieces = ShiftedTiles.pieces(start, count, ShiftedTiles.ROWS);
        int colPieces = ShiftedTiles.pieces(0, cols, ShiftedTiles.COLS);
        boolean[] flags = new boolean[rowPieces * colPieces];
        int flagged = 0;
        if (tile.minNumber().floatValue() > ShiftedTiles.LIMIT) {
            java.util.Arrays.fill(flags, true); // every piece: no per-piece minima needed
            flagged = flags.length;
        } else {
            float[][] minima = columnMinima(tile, start, count, cols, rowPieces);
            for (int a = 0; a < rowPieces; a++) {
                for (int b = 0; b < colPieces; b++) {
                    float min = Float.POSITIVE_INFINITY;
                    for (int j = b * ShiftedTiles.COLS;
                            j < Math.min(cols, (b + 1) * ShiftedTiles.COLS); j++) {
                        min = Math.min(min, minima[a][j]);
                    }
                    boolean f = min > ShiftedTiles.LIMIT;
                    flags[a * colPieces + b] = f;
                    flagged += f ? 1 : 0;
                }
            }
        }
        for (int a = 0; a < rowPieces; a++) {
            int r0 = ShiftedTiles.pieceStart(start, ShiftedTiles.ROWS, a);
            int r1 = ShiftedTiles.pieceEnd(start, count, ShiftedTiles.ROWS, a);
            for (int b = 0; b < colPieces; b++) {
                if (flags[a * colPieces + b]) {
                    shifted.add(r0, r1, b * ShiftedTiles.COLS,
                            Math.min(cols, (b + 1) * ShiftedTiles.COLS));
                }
            }
        }
        if (flagged == 0) {
            DistanceGemm.kernelValues(tile);
            return;
        }
        if (flagged == flags.length) {
            expm1(tile);
            return;
        }
        for (int a = 0; a < rowPieces; a++) {
            int r0 = ShiftedTiles.pieceStart(start, ShiftedTiles.ROWS, a) - start;
            int r1 = ShiftedTiles.pieceEnd(start, count, ShiftedTiles.ROWS, a) - start;
            INDArray rows = PortableOperands.rows(tile, r0, r1);
            int inRow = 0;
            for (int b = 0; b < colPieces; b++) {
                inRow += flags[a * colPieces + b] ? 1 : 0;
            }
            if (inRow == 0) {
                DistanceGemm.kernelValues(rows);
            } else if (inRow == colPieces) {
                expm1(rows);
            } else {
                for (int b = 0; b < colPieces; b++) {
                    INDArray piece = rows.get(NDArrayIndex.all(), NDArrayIndex.interval(
                            b * ShiftedTiles.COLS, Math.min(cols, (b + 1) * ShiftedTiles.COLS)));
                    if (flags[a * colPieces + b]) {
                        expm1(piece);
                    } else {
                        DistanceGemm.kernelValues(piece);
                    }
                }
            }
        }
    }

    /**
     * The minimum of each column over each row piece's rows, on the host: the whole pieces in the
     * middle of the tile by one reduction of its rows viewed as {@code pieces x 32 x cols}, the
     * partial first and last by one each.
     */
    private static float[][] columnMinima(INDArray tile, int start, int count, int cols,
            int rowPieces) {
        float[][] minima = new float[rowPieces][];
        int unit = ShiftedTiles.ROWS;
        int a = 0;
        int firstWhole = (start + unit - 1) / unit * unit; // first multiple of 32 from start
        int endWhole = (start + count) / unit * unit;
        if (firstWhole > start) {
            int r1 = Math.min(firstWhole, start + count);
            minima[a++] = PortableOperands.rows(tile, 0, r1 - start).min(0).toFloatVector();
        }
        if (endWhole > firstWhole) {
            int whole = (endWhole - firstWhole) / unit;
            INDArray rows = PortableOperands.rows(tile, firstWhole - start, endWhole - start);
            INDArray min = rows.reshape('c', whole, unit, cols).min(1);
            float[] host = PortableOperands.hostFloats(min);
            for (int k = 0; k < whole; k++) {
                minima[a++] = java.util.Arrays.copyOfRange(host, k * cols, (k + 1) * cols);
            }
        }
        if (a < rowPieces) {
            int r0 = Math.max(endWhole, start);
            minima[a++] = PortableOperands.rows(tile, r0 - start, count).min(0).toFloatVector();
        }
        return minima;
    }

    /** Taylor coefficients {@code 1 / k!} rounded to float, as {@link ShiftedTiles} has them. */
    private static final double[] COEFFICIENTS = new double[12];

    static {
        double factorial = 1;
        for (int k = 1; k <= 11; k++) {
            factorial *= k;
            COEFFICIENTS[k] = (float) (1 / factorial);
        }
    }

    /**
     * {@code x = expm1(min(x, 0))} in place: Horner's rule on the degree-11 Taylor series, each
     * step one ND4J multiplication or addition in x's float32 (see {@link ShiftedTiles#expm1}).
     */
    static void expm1(INDArray x) {
        Transforms.min(x, 0.0, false);
        INDArray p = x.mul(COEFFICIENTS[11]);
        try {
            p.addi(COEFFICIENTS[10]);
            for (int k = 9; k >= 1; k--) {
                p.muli(x).addi(COEFFICIENTS[k]);
            }
            p.muli(x);
            x.assign(p);
        } finally {
            Buffers.close(p);
        }
    }
}
