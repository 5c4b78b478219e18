package io.synalign.engine.exploration;

import io.synalign.kernels.FloatMatrix;
import java.util.BitSet;

/**
 * Finds the rows a pick covers: the pick itself and its nearest uncovered neighbours by squared
 * Euclidean distance, ties to the lowest index.
 *
 * <p>Distances are summed directly in double precision, and only for rows not yet covered:
 * O(N_uncovered d) per pick, with the g smallest kept by a bounded insertion, O(N g). This is a
 * single row of distances, so a backend GEMM would gain nothing, while the backend call it
 * replaced copied all of X off-heap on every pick. The kept-neighbour buffers are sized once.
 */
final class NearestUncovered {

    private final FloatMatrix x;
    private final int[] best;
    private final double[] bestDistance;

    /** @param maxNeighbours the largest {@code neighbours} {@link #group} will be asked for */
    NearestUncovered(FloatMatrix x, int maxNeighbours) {
        this.x = x;
        this.best = new int[maxNeighbours];
        this.bestDistance = new double[maxNeighbours];
    }

    /**
     * The group of {@code pick}: the pick first, then up to {@code neighbours} uncovered rows
     * (rows not in {@code covered}, other than the pick) in increasing distance, ties to the lowest
     * index. Fewer neighbours are returned when fewer uncovered rows remain. Does not modify
     * {@code covered}.
     */
    int[] group(int pick, int neighbours, BitSet covered) {
        if (neighbours > best.length) {
            throw new IllegalArgumentException("asked for " + neighbours + " neighbours, sized for "
                    + best.length);
        }
        if (neighbours == 0) {
            return new int[] {pick};
        }
        int found = 0;
        for (int i = covered.nextClearBit(0); i < x.rows(); i = covered.nextClearBit(i + 1)) {
            if (i == pick) {
                continue;
            }
            double d = distance2(pick, i);
            if (found == neighbours && !(d < bestDistance[found - 1])) {
                continue; // not strictly closer than the worst kept: the lower index keeps its place
            }
            // Rows arrive in increasing index, so an equal distance goes after the ones kept.
            int at = found == neighbours ? found - 1 : found;
            while (at > 0 && bestDistance[at - 1] > d) {
                best[at] = best[at - 1];
                bestDistance[at] = bestDistance[at - 1];
                at--;
            }
            best[at] = i;
            bestDistance[at] = d;
            if (found < neighbours) {
                found++;
            }
        }
        int[] group = new int[found + 1];
        group[0] = pick;
        System.arraycopy(best, 0, group, 1, found);
        return group;
    }

    private double distance2(int a, int b) {
        int d = x.cols();
        float[] data = x.data();
        int ia = a * d;
        int ib = b * d;
        double s = 0;
        for (int k = 0; k < d; k++) {
            double diff = (double) data[ia + k] - data[ib + k];
            s += diff * diff;
        }
        return s;
    }
}
