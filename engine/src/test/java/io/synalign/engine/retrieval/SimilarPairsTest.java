package io.synalign.engine.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.engine.AvailableBackends;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pairs at or above a threshold against a brute-force double-precision scan, on every backend:
 * small integer entries make every float32 product exact, so the pairs must be equal, whatever
 * the blocking (blocks of 64 split a 301-row set unevenly).
 */
class SimilarPairsTest {

    static List<String> backends() {
        return AvailableBackends.names();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void pairsEqualABruteForceScan(String backendName) {
        Random r = new Random(9);
        int n = 301;
        int d = 5;
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(5) - 2;
        }
        for (int i = 40; i < 50; i++) { // planted duplicates of rows 0..9
            System.arraycopy(v, (i - 40) * d, v, i * d, d);
        }
        FloatMatrix x = new FloatMatrix(n, d, v);
        double threshold = 7;
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            for (int tile : new int[] {64, SimilarPairs.TILE_ROWS}) {
                List<List<SimilarPairs.Match>> got = SimilarPairs.earlierAtLeast(backend, x, threshold, tile);
                for (int i = 0; i < n; i++) {
                    List<String> want = new ArrayList<>();
                    for (int j = 0; j < i; j++) {
                        double s = 0;
                        for (int t = 0; t < d; t++) {
                            s += (double) x.get(i, t) * x.get(j, t);
                        }
                        if (s >= threshold) {
                            want.add(j + ":" + s);
                        }
                    }
                    List<String> have = new ArrayList<>();
                    for (SimilarPairs.Match m : got.get(i)) {
                        have.add(m.row() + ":" + (double) m.score());
                    }
                    assertEquals(want, have, backendName + " tile " + tile + " row " + i);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> SimilarPairs.earlierAtLeast(backend, x, Double.NaN));
        }
    }
}
