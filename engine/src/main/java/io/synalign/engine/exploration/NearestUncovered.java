package io.synalign.engine.exploration;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.BitSet;

/**
 * Finds the rows a pick covers: the pick itself and its nearest uncovered neighbours by squared
 * Euclidean distance, ties to the lowest index.
 *
 * <p>Distances from the pick to all N rows come from one backend call
 * ({@link KernelBackend#squaredDistances}, a 1 x N block, O(N d)); the selection of the g
 * smallest is a bounded insertion in Java, O(N g). The distance buffer is reused between picks.
 * Distances are the backend's single-precision values, so two neighbours whose distances agree
 * to float rounding are ordered by index.
 */
final class NearestUncovered {

    private final KernelBackend backend;
    private final FloatMatrix x;
    private final float[] distances;

    NearestUncovered(KernelBackend backend, FloatMatrix x) {
        this.backend = backend;
        this.x = x;
        this.distances = new float[x.rows()];
    }

    /**
     * The group of {@code pick}: the pick first, then up to {@code neighbours} uncovered rows
     * (rows not in {@code covered}, other than the pick) in increasing distance, ties to the lowest
     * index. Fewer neighbours are returned when fewer uncovered rows remain. Does not modify
     * {@code covered}.
     */
    int[] group(int pick, int neighbours, BitSet covered) {
        if (neighbours == 0) {
            return new int[] {pick};
        }
        backend.squaredDistances(x.selectRows(new int[] {pick}), x, distances);
        int[] best = new int[neighbours];
        float[] bestDistance = new float[neighbours];
        int found = 0;
        for (int i = covered.nextClearBit(0); i < x.rows(); i = covered.nextClearBit(i + 1)) {
            if (i == pick) {
                continue;
            }
            float d = distances[i];
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
}
