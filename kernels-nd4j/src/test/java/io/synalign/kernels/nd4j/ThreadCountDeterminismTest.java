package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU path's products are bit-identical whatever the native thread count: the same inputs in
 * child JVMs run with {@code OMP_NUM_THREADS} (which sizes OpenBLAS's and libnd4j's pools, and
 * with them {@link PinnedWorkers}) and the JVM's processor count at 1, 2 and 3 must give the
 * same bits in every product. Before review 23 the kept kernel's product, the feature
 * operator's and the distances each ran one GEMV or GEMM on OpenBLAS's own threads, whose
 * rounding depends on their count, and the tiled grid was the tile divided by the workers.
 * Before review 24 so did the inner products (searches: {@code filter}'s cosines) and the GP
 * variance tracker's factors ({@code select}).
 */
class ThreadCountDeterminismTest {

    private static final String[] PRODUCTS = {"keptCross", "keptSelf", "tiled", "tiledSelf",
        "tiledSelfEach", "tiledSelfFlat", "keptSelfFlat",
        "featuresTransposeTimes", "featuresTimes", "squaredDistances", "innerProducts",
        "innerProductsDirect", "gpVariances"};

    @Test
    void everyProductIsBitIdenticalAtOneTwoAndThreeNativeThreads(@TempDir Path dir)
            throws IOException, InterruptedException {
        List<Map<String, String>> runs = new ArrayList<>();
        for (int threads = 1; threads <= 3; threads++) {
            String output = ChildJvm.run(dir,
                    Map.of("OMP_NUM_THREADS", Integer.toString(threads)),
                    PrintThreadCountResults.class, "-XX:ActiveProcessorCount=" + threads);
            Map<String, String> values = parse(output);
            // The environment must reach the workers, or the test compares a count with itself.
            assertEquals(Integer.toString(threads), values.get("workers"), output);
            runs.add(values);
        }
        List<Executable> checks = new ArrayList<>();
        for (String product : PRODUCTS) {
            checks.add(() -> {
                assertNotNull(runs.get(0).get(product), product);
                for (int k = 1; k < runs.size(); k++) {
                    assertEquals(runs.get(0).get(product), runs.get(k).get(product),
                            product + " at 1 against " + (k + 1) + " native threads");
                }
            });
        }
        // The direct-buffer form (what searches call) computes the very same blocks.
        checks.add(() -> assertEquals(runs.get(0).get("innerProducts"),
                runs.get(0).get("innerProductsDirect"), "innerProducts into an array and a buffer"));
        assertAll(checks);
    }

    private static Map<String, String> parse(String output) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : output.split("\\R")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).matches("[A-Za-z]+")) {
                values.put(line.substring(0, eq), line.substring(eq + 1).trim());
            }
        }
        return values;
    }
}
