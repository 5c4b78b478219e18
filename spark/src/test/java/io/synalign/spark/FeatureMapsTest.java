package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.synalign.kernels.FourierFeatures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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
 * A deserialized (broadcast) FeatureMaps read by many tasks at once: every task sees every
 * label's map, equal to the driver's. (A data race on the lazily rebuilt array cannot be made
 * to fail on demand; this pins the contract the volatile field guarantees.)
 */
class FeatureMapsTest {

    @Test
    void concurrentFirstReadsSeeEveryMap() throws Exception {
        FourierFeatures[] original = {FourierFeatures.sample(7, 5, 1.3, 1), null,
                FourierFeatures.sample(7, 5, 0.4, 2)};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new FeatureMaps(original));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 20; round++) {
                FeatureMaps maps;
                try (ObjectInputStream in = new ObjectInputStream(
                        new ByteArrayInputStream(bytes.toByteArray()))) {
                    maps = (FeatureMaps) in.readObject();
                }
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
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
