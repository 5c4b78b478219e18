package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.Random;
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

    /**
     * A centred label's map is the single machine's {@code sample(...).centredAt(c)} to the bit
     * (frequencies, shifted phases, centre), on the driver's copy and after Java serialization
     * (a broadcast); an uncentred label's map is the plain draw; the caller's centre array is
     * copied, not kept. Awkward sizes (d = 11, D = 37), the centre far out (+1,000 and -3,000).
     */
    @Test
    void aCentredLabelsMapIsTheSingleMachinesCentredMapAfterSerializationToo() throws Exception {
        int d = 11;
        int features = 37;
        double[] sigma = {2.5, 0.7, 0, 1.9};
        long[] seed = {17, 4, 99, 23};
        Random random = new Random(5);
        float[][] centre = new float[4][];
        centre[0] = new float[d];
        centre[3] = new float[d];
        for (int k = 0; k < d; k++) {
            centre[0][k] = (float) (1000 + random.nextGaussian());
            centre[3][k] = (float) (-3000 + 10 * random.nextGaussian());
        }
        float[][] given = {centre[0].clone(), null, null, centre[3].clone()};
        FeatureMaps built = new FeatureMaps(d, features, sigma, seed, given);
        // The maps keep their own copy: a caller reusing its array changes nothing.
        java.util.Arrays.fill(given[0], 0f);
        FeatureMaps copy = read(serialized(built));
        for (FeatureMaps maps : new FeatureMaps[] {built, copy}) {
            for (int l : new int[] {0, 3}) {
                FourierFeatures want = FourierFeatures.sample(d, features, sigma[l], seed[l])
                        .centredAt(centre[l]);
                FourierFeatures got = maps.map(l);
                assertTrue(maps.centred(l) && got.centred(), "label " + l);
                assertArrayEquals(want.omega(), got.omega(), "label " + l);
                assertArrayEquals(want.phase(), got.phase(), "label " + l);
                assertArrayEquals(want.centre(), got.centre(), "label " + l);
                // Centring moved the phases: the comparison above is not the plain draw's.
                assertFalse(java.util.Arrays.equals(FourierFeatures.sample(d, features,
                        sigma[l], seed[l]).phase(), got.phase()), "label " + l);
            }
            FourierFeatures plain = maps.map(1);
            FourierFeatures want = FourierFeatures.sample(d, features, sigma[1], seed[1]);
            assertFalse(maps.centred(1));
            assertNull(plain.centre());
            assertArrayEquals(want.omega(), plain.omega());
            assertArrayEquals(want.phase(), plain.phase());
            assertNull(maps.map(2));
        }
    }

    /** A centre that is not d finite values, or of a label not fitted, is refused by label. */
    @Test
    void aBadCentreIsRefusedNamingItsLabel() {
        double[] sigma = {1, 0.5, 0};
        long[] seed = new long[3];
        Object[][] cases = {
            {new float[][] {null, {1, 2}, null}, "label 1: centre has 2 values, expected 3"},
            {new float[][] {{1, 2, Float.NaN}, null, null},
                "label 0: centre value 2 is NaN; a centre must be finite"},
            {new float[][] {null, {Float.NEGATIVE_INFINITY, 0, 0}, null},
                "label 1: centre value 0 is -Infinity; a centre must be finite"},
            {new float[][] {null, null, {1, 2, 3}},
                "label 2: has a centre but is not fitted (bandwidth 0)"},
            {new float[][] {null, null}, "3 bandwidths but 2 centres"},
        };
        for (Object[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new FeatureMaps(3, 4, sigma, seed, (float[][]) c[0]));
            assertEquals(c[1], e.getMessage());
        }
    }
}
