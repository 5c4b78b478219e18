package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FourierFeatures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The per-label maps a broadcast carries: what draws them (bandwidth and seed), so every task
 * redraws exactly the single-machine map, and the broadcast stays small however many labels.
 */
class FeatureMapsTest {

    private static byte[] serialized(FeatureMaps maps) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(maps);
        }
        return bytes.toByteArray();
    }

    private static FeatureMaps read(byte[] bytes) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return (FeatureMaps) in.readObject();
        }
    }

    /** Many tasks reading a deserialized copy at once each see every label's exact draw. */
    @Test
    void concurrentFirstReadsSeeEveryMap() throws Exception {
        double[] sigma = {1.3, 0, 0.4};
        long[] seed = {1, 9, 2};
        FourierFeatures[] original = {FourierFeatures.sample(7, 5, 1.3, 1), null,
                FourierFeatures.sample(7, 5, 0.4, 2)};
        byte[] bytes = serialized(new FeatureMaps(7, 5, sigma, seed));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 20; round++) {
                FeatureMaps maps = read(bytes);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<FourierFeatures[]>> seen = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    seen.add(pool.submit(() -> {
                        start.await();
                        return new FourierFeatures[] {maps.map(0), maps.map(1), maps.map(2)};
                    }));
                }
                start.countDown();
                for (Future<FourierFeatures[]> f : seen) {
                    FourierFeatures[] got = f.get();
                    assertArrayEquals(original[0].omega(), got[0].omega());
                    assertArrayEquals(original[0].phase(), got[0].phase());
                    assertNull(got[1]);
                    assertArrayEquals(original[2].omega(), got[2].omega());
                    assertArrayEquals(original[2].phase(), got[2].phase());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The driver drew and broadcast every label's map (labels x d x D floats: 600 labels at d =
     * 384, D = 1,024 were 944 MB); the broadcast is now bytes per label, and a map evicted from
     * a JVM's recent ones is redrawn equal.
     */
    @Test
    void theBroadcastIsSmallAndEvictedMapsAreRedrawnEqual() throws Exception {
        int labels = 200;
        int d = 96;
        int features = 512;
        double[] sigma = new double[labels];
        long[] seed = new long[labels];
        for (int l = 0; l < labels; l++) {
            sigma[l] = l % 7 == 3 ? 0 : 0.5 + l / 100.0;
            seed[l] = 1000L + 31L * l;
        }
        byte[] bytes = serialized(new FeatureMaps(d, features, sigma, seed));
        // The draws: 200 x 96 x 512 floats, 39 MB; what is shipped: ~16 bytes a label.
        assertTrue(bytes.length < 64 * labels, bytes.length + " bytes");
        FeatureMaps maps = read(bytes);
        for (int pass = 0; pass < 2; pass++) {
            for (int l = 0; l < labels; l += 13) {
                FourierFeatures got = maps.map(l);
                if (sigma[l] == 0) {
                    assertNull(got);
                    assertFalse(maps.fitted(l));
                    continue;
                }
                FourierFeatures want = FourierFeatures.sample(d, features, sigma[l], seed[l]);
                assertArrayEquals(want.omega(), got.omega(), "label " + l);
                assertArrayEquals(want.phase(), got.phase(), "label " + l);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FeatureMaps(2, 3, new double[] {1, Double.NaN}, new long[2]));
        assertTrue(e.getMessage().startsWith("label 1: bandwidth must be a positive finite number"),
                e.getMessage());
    }
}
