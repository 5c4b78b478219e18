package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.synalign.engine.Bandwidth;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.RowSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kernel fit (exact, tiled) against the Java heap (helper heap33): a named method whose S, R,
 * K_SS kept on the heap and optimiser vectors exceed the heap's maximum is refused before any
 * of it is allocated, naming the bytes and the ways out (on the old code the reference backend
 * built K_SS and the fit ended in OutOfMemoryError); auto takes rff there instead; a fit that
 * fits once garbage is collected still runs (a child JVM with a small heap); rff's chunk of rows
 * keeps within a sixteenth of the heap.
 */
class MmdWeightLearnerHeapTest {

    @TempDir
    Path dir;

    /**
     * n with the reference backend's K_SS (8 n^2 bytes, one Java array) beyond this JVM's heap;
     * skipped where the heap is so large that no such K_SS is one array.
     */
    private static int rowsBeyondTheHeap() {
        long heap = Runtime.getRuntime().maxMemory();
        long n = (long) Math.ceil(Math.sqrt(heap / 8.0)) + 64;
        assumeTrue(n * n <= ChunkedFeatureOperator.MAX_ARRAY, "heap too large for the case");
        return (int) n;
    }

    private static AlignmentConfig config(AlignmentMethod method) {
        // A budget far beyond K_SS: the heap, not the budget, is what it exceeds.
        return AlignmentConfig.defaults().withMethod(method).withMemoryBudget(1L << 50)
                .withBandwidth(Bandwidth.of(1.0)).withFeatures(16).withSeed(3)
                .withIterations(2, 1e-12);
    }

    @Test
    void aNamedExactWhoseKeptKernelIsBeyondTheHeapIsRefusedBeforeAnyOfItIsAllocated() {
        int n = rowsBeyondTheHeap();
        Random random = new Random(33);
        FloatMatrix real = TestBackends.gaussian(40, 2, random, 1, 0);
        FloatMatrix synthetic = TestBackends.gaussian(n, 2, random, 1, 0.3);
        try (KernelBackend backend = TestBackends.create("reference")) {
            long kernel = 8L * n * n;
            long total = kernel + 4L * n * 2 + real.bytes() + 112L * n;
            assertEquals(total, MmdWeightLearner.heapBytes(backend, AlignmentMethod.EXACT,
                    KernelStorage.FLOAT32, n, 2, real));
            MmdWeightLearner learner = new MmdWeightLearner(backend,
                    config(AlignmentMethod.EXACT));
            // A matrix, and a source (refused before the median heuristic or anything reads it).
            IllegalArgumentException onMatrix = assertThrows(IllegalArgumentException.class,
                    () -> learner.fit(real, synthetic, null));
            AtomicLong reads = new AtomicLong();
            RowSource source = ObservedRows.of(RowSource.of(synthetic), "s.npy",
                    (start, count) -> reads.addAndGet(count));
            IllegalArgumentException onSource = assertThrows(IllegalArgumentException.class,
                    () -> learner.fit(real, source, null));
            assertEquals(0, reads.get(), "no row read before the refusal");
            for (IllegalArgumentException e : List.of(onMatrix, onSource)) {
                String message = e.getMessage();
                assertTrue(message.contains("method exact on the reference backend would hold "
                        + MethodSelector.human(total) + " (" + total + " bytes): the " + n
                        + " x 2 synthetic rows"), message);
                assertTrue(message.contains("K_SS as reference keeps it on the heap ("
                        + MethodSelector.human(kernel) + ")"), message);
                assertTrue(message.contains("more than the JVM's whole heap ("
                        + MethodSelector.human(Runtime.getRuntime().maxMemory())
                        + " at most); method rff (--method rff) streams the rows, method tiled"
                        + " (--method tiled) keeps no K_SS, or give the JVM a larger heap with"
                        + " -Xmx"), message);
            }
            assertTrue(onSource.getMessage().startsWith("s.npy: method exact"),
                    onSource.getMessage());
            assertTrue(onMatrix.getMessage().startsWith("method exact"), onMatrix.getMessage());
        }
    }

    /**
     * auto where K_SS is within the budget but the fit not within half the heap: rff, in a
     * child JVM with a 64 MiB heap (n = 2,900: K_SS 64.2 MiB on the reference backend), where
     * the exact report of the rff fit is cheap. On the old code auto took exact and the child
     * ran out of memory.
     */
    @Test
    void autoTakesRffWhereItsKernelFitWouldNotFitHalfTheHeap() throws Exception {
        assertEquals("method rff, weights 2900", child("-Xmx64m", AutoMain.class));
    }

    /** The child of {@link #autoTakesRffWhereItsKernelFitWouldNotFitHalfTheHeap}. */
    public static final class AutoMain {
        public static void main(String[] args) {
            Random random = new Random(34);
            FloatMatrix real = TestBackends.gaussian(40, 2, random, 1, 0);
            FloatMatrix synthetic = TestBackends.gaussian(2900, 2, random, 1, 0.3);
            try (KernelBackend backend = TestBackends.create("reference")) {
                AlignmentResult result = new MmdWeightLearner(backend,
                        config(AlignmentMethod.AUTO)).fit(real, synthetic, null);
                System.out.println("method " + result.method().cliName() + ", weights "
                        + result.weights().length);
            }
        }
    }

    /** The last line a child JVM with {@code heap} printed from {@code main}; it must exit 0. */
    private String child(String heap, Class<?> main) throws Exception {
        Path out = dir.resolve(main.getSimpleName() + ".txt");
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap,
                "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"), main.getName())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        int status = child.waitFor();
        List<String> lines = Files.readAllLines(out);
        assertEquals(0, status, String.join("\n", lines));
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    @Test
    void theHeapCountsKssOnlyWhereTheBackendKeepsItOnTheHeapAndOnlyForExact() {
        Random random = new Random(35);
        FloatMatrix real = TestBackends.gaussian(7, 3, random, 1, 0);
        try (KernelBackend reference = TestBackends.create("reference")) {
            KernelBackend offHeap = offHeap(reference);
            long rest = 4L * 1001 * 3 + real.bytes() + 14L * 8 * 1001;
            assertEquals(rest + 8L * 1001 * 1001, MmdWeightLearner.heapBytes(reference,
                    AlignmentMethod.EXACT, KernelStorage.FLOAT32, 1001, 3, real));
            assertEquals(rest, MmdWeightLearner.heapBytes(reference, AlignmentMethod.TILED,
                    KernelStorage.FLOAT32, 1001, 3, real));
            assertEquals(rest, MmdWeightLearner.heapBytes(offHeap, AlignmentMethod.EXACT,
                    KernelStorage.FLOAT32, 1001, 3, real));
            // Beyond one array the reference says Long.MAX_VALUE: the sum saturates.
            assertEquals(Long.MAX_VALUE, MmdWeightLearner.heapBytes(reference,
                    AlignmentMethod.EXACT, KernelStorage.FLOAT32, 100_000, 3, real));
        }
    }

    @Test
    void aChunkOfRowsKeepsWithinASixteenthOfTheHeap() {
        long heap = Runtime.getRuntime().maxMemory();
        assertEquals(1, ChunkedFeatureOperator.heapRows(1000, 10_000));
        assertEquals((256L << 20) / 16 / 40_000, ChunkedFeatureOperator.heapRows(256L << 20,
                10_000));
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (int d : new int[] {1, 384, 10_000, 1_000_003}) {
                for (int features : new int[] {16, 1024}) {
                    // A map that takes no pieces (nystrom): the chunk itself within 1/16.
                    int chunk = ChunkedFeatureOperator.chunkRows(backend, features, d, false);
                    assertTrue(chunk >= 1 && 4L * chunk * d <= Math.max(4L * d, heap / 16),
                            d + " x " + features + ": " + chunk);
                    assertEquals(Math.min(Math.min(backend.featureChunkRows(features),
                            ChunkedFeatureOperator.MAX_ARRAY / d), Math.max(1, heap / 16
                                    / (4L * d))), chunk);
                    // rff on the reference (pieces): the grid is the heap's no longer, the
                    // reads are (helper chunkgrid34).
                    int grid = ChunkedFeatureOperator.chunkRows(backend, features, d);
                    assertEquals(Math.min(backend.featureChunkRows(features),
                            ChunkedFeatureOperator.MAX_ARRAY / d), grid);
                    int read = ChunkedFeatureOperator.readRows(grid, d);
                    assertTrue(read >= 1 && 4L * read * d <= Math.max(4L * d, heap / 16),
                            d + " x " + features + ": read " + read);
                }
            }
            // rff's grid on the reference at d = 384, D = 1,024 is its 2,048 rows (16 MiB of
            // double features, helper chunkgrid34b) on any heap: the pieces follow the heap.
            assertEquals(2048, ChunkedFeatureOperator.chunkRows(backend, 1024, 384));
        }
    }

    /**
     * A child JVM with a 128 MiB heap that has just dropped an 80 MiB array (garbage, not yet
     * collected: more is in use than the fit's K_SS leaves room for) runs a named exact whose
     * heap (48 MiB of K_SS) fits once that garbage is collected: the rule is the heap's maximum
     * less what the fit holds, not the heap free at the moment.
     */
    @Test
    void aFitThatFitsOnceGarbageIsCollectedRuns() throws Exception {
        assertEquals("method exact, weights 2450", child("-Xmx128m", GarbageThenFitMain.class));
    }

    /** The child of {@link #aFitThatFitsOnceGarbageIsCollectedRuns}. */
    public static final class GarbageThenFitMain {
        static volatile byte[] garbage;

        public static void main(String[] args) {
            Random random = new Random(36);
            int n = 2450; // K_SS 8 n^2 = 48.0 MB on the reference backend
            FloatMatrix real = TestBackends.gaussian(30, 4, random, 1, 0);
            FloatMatrix synthetic = TestBackends.gaussian(n, 4, random, 1, 0.3);
            garbage = new byte[80 << 20];
            garbage[garbage.length - 1] = 1;
            garbage = null;
            Runtime rt = Runtime.getRuntime();
            long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
            try (KernelBackend backend = TestBackends.create("reference")) {
                long need = MmdWeightLearner.heapBytes(backend, AlignmentMethod.EXACT,
                        KernelStorage.FLOAT32, n, 4, real);
                if (need <= free) {
                    System.out.println("the garbage was collected early: need " + need
                            + " <= free " + free);
                    System.exit(3);
                }
                AlignmentResult result = new MmdWeightLearner(backend, AlignmentConfig.defaults()
                        .withMethod(AlignmentMethod.EXACT).withBandwidth(Bandwidth.of(2.0))
                        .withIterations(3, 1e-12)).fit(real, synthetic, null);
                System.out.println("method " + result.method().cliName() + ", weights "
                        + result.weights().length);
            }
        }
    }

    /**
     * A fit on the caller's matrix S with the bandwidth from the median heuristic, 2,000 x 6,000
     * rows (48 MB) and 40 real, in a child JVM with a 96 MiB heap: the heuristic's sample
     * (2,000 rows of 6,000 floats, 48 MB, and 32 MB of distances) cannot stand beside S, though
     * the fit itself (S, R, the optimiser's vectors: 49 MB) fits. Every method, named exact and
     * tiled, rff and auto, is refused before the heuristic, naming the sample and the ways out
     * (a bandwidth, -Xmx). On the old code {@code heapBytes} left the sample out and each ran
     * out of memory inside the heuristic (the child printed "OutOfMemoryError"; helper
     * median34).
     */
    @Test
    void aSampleThatCannotStandBesideTheCallersRowsIsRefusedBeforeTheHeuristic()
            throws Exception {
        long sample = io.synalign.engine.MedianHeuristic.heapBytes(2040, 6000, 2000);
        long total = 4L * 2000 * 6000 + 4L * 40 * 6000 + sample;
        String expected = "the median heuristic (bandwidth auto) would hold its sample of 2000"
                + " rows and their distances (" + MethodSelector.human(sample) + ") beside the"
                + " 2000 x 6000 synthetic rows (" + MethodSelector.human(4L * 2000 * 6000)
                + ") and the 40 real (" + MethodSelector.human(4L * 40 * 6000) + "), "
                + MethodSelector.human(total) + " (" + total + " bytes) on the Java heap at"
                + " once, more than three quarters of the JVM's heap (72.0 MiB of 96.0 MiB at"
                + " most; the rest is the JVM's own); give the bandwidth (--bandwidth) so that no"
                + " sample is taken, or give the JVM a larger heap with -Xmx";
        assertEquals("exact: " + expected + " | tiled: " + expected + " | rff: " + expected
                + " | auto: " + expected, child("-Xmx96m", SampleBesideMain.class));
        // And the fit's own heap with the sample beside S: the larger of the two phases.
        try (KernelBackend backend = TestBackends.create("reference")) {
            FloatMatrix real = FloatMatrix.zeros(40, 6000);
            long rows = 4L * 2000 * 6000 + real.bytes();
            assertEquals(rows + sample, MmdWeightLearner.heapBytes(backend,
                    AlignmentMethod.TILED, KernelStorage.FLOAT32, 2000, 6000, real, sample));
            // K_SS in float64 (32 MB) with the vectors is less than the sample here: the sample.
            assertEquals(rows + sample, MmdWeightLearner.heapBytes(backend,
                    AlignmentMethod.EXACT, KernelStorage.FLOAT32, 2000, 6000, real, sample));
            // A smaller sample: K_SS and the vectors.
            assertEquals(rows + 8L * 2000 * 2000 + 112L * 2000, MmdWeightLearner.heapBytes(
                    backend, AlignmentMethod.EXACT, KernelStorage.FLOAT32, 2000, 6000, real,
                    8L * 2000 * 2000));
            assertEquals(rows + 112L * 2000, MmdWeightLearner.heapBytes(backend,
                    AlignmentMethod.TILED, KernelStorage.FLOAT32, 2000, 6000, real));
        }
    }

    /** The child of {@link #aSampleThatCannotStandBesideTheCallersRowsIsRefusedBeforeTheHeuristic}. */
    public static final class SampleBesideMain {
        public static void main(String[] args) {
            Random random = new Random(37);
            FloatMatrix real = TestBackends.gaussian(40, 6000, random, 1, 0);
            FloatMatrix synthetic = TestBackends.gaussian(2000, 6000, random, 1, 0.3);
            StringBuilder out = new StringBuilder();
            try (KernelBackend backend = TestBackends.create("reference")) {
                for (AlignmentMethod method : List.of(AlignmentMethod.EXACT, AlignmentMethod.TILED,
                        AlignmentMethod.RFF, AlignmentMethod.AUTO)) {
                    String got;
                    try {
                        new MmdWeightLearner(backend, AlignmentConfig.defaults().withMethod(method)
                                .withFeatures(16).withIterations(2, 1e-12))
                                .fit(real, synthetic, null);
                        got = "ran";
                    } catch (IllegalArgumentException e) {
                        got = e.getMessage();
                    } catch (OutOfMemoryError e) {
                        got = "OutOfMemoryError";
                    }
                    out.append(out.length() == 0 ? "" : " | ").append(method.cliName())
                            .append(": ").append(got);
                }
            }
            System.out.println(out);
        }
    }

    /**
     * On a source the median heuristic's sample is taken beside R alone, before S is read: at
     * {@code -Xmx96m} a 2,000 x 8,000 exact fit on a source passed every rule and ran out of
     * memory in the heuristic (the command line, exit 1). The sample's rule counts R and the
     * sample there and refuses, before any row is read, where they exceed three quarters of
     * the heap (the learner's heap seam, sizes that cross it: 300 x 50 rows, 40 real), for
     * every method, each taking the sample first; one heap step larger the fit runs. On the old
     * code (with the seam, the sample counted only beside a matrix) all four ran (helper
     * heap35).
     */
    @Test
    void theSampleBesideTheRealRowsOfASourceIsCountedBeforeAnyRowIsRead() {
        Random random = new Random(351);
        FloatMatrix real = TestBackends.gaussian(40, 50, random, 1, 0);
        FloatMatrix synthetic = TestBackends.gaussian(300, 50, random, 1, 0.3);
        long sample = io.synalign.engine.MedianHeuristic.heapBytes(340, 50, 2000);
        long need = real.bytes() + sample;
        long refused = 4 * (need / 3) - 4;
        long runs = 4 * (need / 3 + 1);
        assertTrue(refused / 4 * 3 < need && runs / 4 * 3 >= need, "the heaps cross the rule");
        String expected = "the median heuristic (bandwidth auto) would hold its sample of 340"
                + " rows and their distances (" + MethodSelector.human(sample) + ") beside the 40"
                + " real rows (" + MethodSelector.human(real.bytes()) + "), "
                + MethodSelector.human(need) + " (" + need + " bytes) on the Java heap at once,"
                + " more than three quarters of the JVM's heap ("
                + MethodSelector.human(refused / 4 * 3) + " of " + MethodSelector.human(refused)
                + " at most; the rest is the JVM's own); give the bandwidth (--bandwidth) so"
                + " that no sample is taken, or give the JVM a larger heap with -Xmx";
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (AlignmentMethod method : List.of(AlignmentMethod.EXACT, AlignmentMethod.TILED,
                    AlignmentMethod.RFF, AlignmentMethod.AUTO)) {
                AlignmentConfig config = AlignmentConfig.defaults().withMethod(method)
                        .withFeatures(16).withSeed(3).withIterations(2, 1e-12);
                AtomicLong reads = new AtomicLong();
                RowSource source = ObservedRows.of(RowSource.of(synthetic), "s.npy",
                        (start, count) -> reads.addAndGet(count));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> new MmdWeightLearner(backend, config).withMaxHeap(refused)
                                .fit(real, source, null), method.cliName());
                assertEquals(expected, e.getMessage(), method.cliName());
                assertEquals(0, reads.get(), method.cliName() + ": no row read");
                AlignmentResult fit = new MmdWeightLearner(backend, config).withMaxHeap(runs)
                        .fit(real, source, null);
                assertEquals(300, fit.weights().length, method.cliName());
            }
        }
    }

    /**
     * One matrix passed as both the real and the synthetic rows is one array on the heap: the
     * heap rules count it once (an identity check; review34b found it counted twice, so a fit
     * was refused at half the size that runs). Named exact with a given bandwidth (S, K_SS in
     * float64, the optimiser's vectors) runs under a heap of exactly its count, and one byte
     * less is refused with R named as S; a distinct copy of the same values as R is a second
     * array, refused at that heap. With the bandwidth auto (rff), the sample's rule counts S
     * and the sample without R: it runs where a copy is refused. The exact case failed on the
     * old code (refused: R counted beside S; run with the seam); the sample case passes there
     * (its whole-heap rule is wider than three quarters), and is here for the count.
     */
    @Test
    void oneMatrixPassedAsRealAndSyntheticIsCountedOnce() {
        Random random = new Random(352);
        FloatMatrix x = TestBackends.gaussian(300, 50, random, 1, 0);
        FloatMatrix copy = x.selectRows(java.util.stream.IntStream.range(0, 300).toArray());
        try (KernelBackend backend = TestBackends.create("reference")) {
            long once = 4L * 300 * 50 + 8L * 300 * 300 + 112L * 300;
            assertEquals(once + x.bytes(), MmdWeightLearner.heapBytes(backend,
                    AlignmentMethod.EXACT, backend.defaultStorage(), 300, 50, x));
            MmdWeightLearner exact = new MmdWeightLearner(backend,
                    config(AlignmentMethod.EXACT)).withMaxHeap(once);
            assertEquals(300, exact.fit(x, x, null).weights().length);
            IllegalArgumentException copied = assertThrows(IllegalArgumentException.class,
                    () -> exact.fit(copy, x, null));
            assertTrue(copied.getMessage().contains("the 300 x 50 synthetic rows (58.6 KiB),"
                    + " the 300 real (58.6 KiB), K_SS"), copied.getMessage());
            IllegalArgumentException short1 = assertThrows(IllegalArgumentException.class,
                    () -> new MmdWeightLearner(backend, config(AlignmentMethod.EXACT))
                            .withMaxHeap(once - 1).fit(x, x, null));
            assertTrue(short1.getMessage().contains("would hold " + MethodSelector.human(once)
                    + " (" + once + " bytes): the 300 x 50 synthetic rows (58.6 KiB), which are"
                    + " also the real rows, K_SS as reference keeps it on the heap"),
                    short1.getMessage());

            long sample = io.synalign.engine.MedianHeuristic.heapBytes(600, 50, 2000);
            long heap = 4 * ((x.bytes() + sample) / 3 + 1);
            assertTrue(heap / 4 * 3 >= x.bytes() + sample
                    && heap / 4 * 3 < 2 * x.bytes() + sample, "the heap crosses the rule");
            AlignmentConfig auto = AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF)
                    .withFeatures(16).withSeed(3).withIterations(2, 1e-12);
            assertEquals(300, new MmdWeightLearner(backend, auto).withMaxHeap(heap)
                    .fit(x, x, null).weights().length);
            IllegalArgumentException sampled = assertThrows(IllegalArgumentException.class,
                    () -> new MmdWeightLearner(backend, auto).withMaxHeap(heap)
                            .fit(copy, x, null));
            assertTrue(sampled.getMessage().startsWith("the median heuristic (bandwidth auto)"
                    + " would hold its sample of 600 rows"), sampled.getMessage());
        }
    }

    /**
     * A named exact on the caller's matrix, 2,000 x 4,000 (32 MB) and 40 real, bandwidth auto,
     * in a child JVM with a 60 MiB heap: exact is past the heap by K_SS (32 MB of float64 on
     * the reference backend), and the median heuristic's sample (49 MB) cannot stand beside S
     * either, so tiled and rff, each taking that sample first, are refused in turn. The refusal
     * of exact must not offer them plainly: it names the sample and the bandwidth, and tiled
     * (refused as offered) names the sample. On the merged median34 code the refusal ended
     * "method rff (--method rff) streams the rows, method tiled (--method tiled) keeps no K_SS,
     * or give the JVM a larger heap with -Xmx", and tiled, tried as told, was refused for the
     * sample (failed there; review34b).
     */
    @Test
    void theRefusalOffersTiledAndRffOnlyWithTheBandwidthWhereTheSampleCannotFit()
            throws Exception {
        long sample = io.synalign.engine.MedianHeuristic.heapBytes(2040, 4000, 2000);
        String got = child("-Xmx60m", SampleAndKssMain.class);
        String[] parts = got.split(" \\| ");
        assertEquals(2, parts.length, got);
        assertTrue(parts[0].startsWith("exact: method exact on the reference backend would hold "),
                got);
        assertTrue(parts[0].endsWith(" more than the JVM's whole heap (60.0 MiB at most); with"
                + " the bandwidth auto, the median heuristic's sample ("
                + MethodSelector.human(sample) + ") cannot stand beside the rows either: give"
                + " the bandwidth (--bandwidth), then method rff (--method rff) streams the rows,"
                + " method tiled (--method tiled) keeps no K_SS, or give the JVM a larger heap"
                + " with -Xmx"), got);
        assertTrue(parts[1].startsWith("tiled: the median heuristic (bandwidth auto) would hold"
                + " its sample of 2000 rows"), got);
    }

    /** The child of {@link #theRefusalOffersTiledAndRffOnlyWithTheBandwidthWhereTheSampleCannotFit}. */
    public static final class SampleAndKssMain {
        public static void main(String[] args) {
            Random random = new Random(341);
            FloatMatrix real = TestBackends.gaussian(40, 4000, random, 1, 0);
            FloatMatrix synthetic = TestBackends.gaussian(2000, 4000, random, 1, 0.3);
            StringBuilder out = new StringBuilder();
            try (KernelBackend backend = TestBackends.create("reference")) {
                for (AlignmentMethod method : List.of(AlignmentMethod.EXACT,
                        AlignmentMethod.TILED)) {
                    String got;
                    try {
                        new MmdWeightLearner(backend, AlignmentConfig.defaults().withMethod(method)
                                .withIterations(2, 1e-12)).fit(real, synthetic, null);
                        got = "ran";
                    } catch (IllegalArgumentException e) {
                        got = e.getMessage();
                    } catch (OutOfMemoryError e) {
                        got = "OutOfMemoryError";
                    }
                    out.append(out.length() == 0 ? "" : " | ").append(method.cliName())
                            .append(": ").append(got);
                }
            }
            System.out.println(out);
        }
    }

    /**
     * rff on a source in a child JVM with a 128 MiB heap, where each optimiser iteration drops
     * an 80 MiB array (garbage, not yet collected when the fit ends): the exact MMD^2 report
     * reads S (3,000 x 2,000, 24 MB) whole, within half of the heap's maximum with R, so it runs
     * whatever garbage the heap holds at that moment. On the old code the rule was half of the
     * heap free at that moment (here below 24 MB: S's own matrix, 24 MB, and the garbage): the
     * report was skipped, estimator "rff", where the same fit after a collection reported
     * exact (helper median34).
     */
    @Test
    void theExactReportReadsRowsWholeWhateverGarbageTheHeapHolds() throws Exception {
        assertEquals("estimator exact", child("-Xmx128m", GarbageThenReportMain.class));
    }

    /** The child of {@link #theExactReportReadsRowsWholeWhateverGarbageTheHeapHolds}. */
    public static final class GarbageThenReportMain {
        static volatile byte[] garbage;

        public static void main(String[] args) {
            Random random = new Random(38);
            FloatMatrix real = TestBackends.gaussian(30, 2000, random, 1, 0);
            FloatMatrix synthetic = TestBackends.gaussian(3000, 2000, random, 1, 0.3);
            RowSource source = ObservedRows.of(RowSource.of(synthetic), "s.npy", (a, b) -> { });
            try (KernelBackend backend = TestBackends.create("reference")) {
                MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig.defaults()
                        .withMethod(AlignmentMethod.RFF).withFeatures(16)
                        .withBandwidth(Bandwidth.of(60.0)).withIterations(3, 1e-12));
                AlignmentResult result = learner.fit(real, source, (stage, done, total, d) -> {
                    if (stage.equals("optimise")) {
                        garbage = new byte[80 << 20];
                        garbage[garbage.length - 1] = 1;
                        garbage = null;
                    }
                });
                System.out.println("estimator " + result.mmdEstimator());
            }
        }
    }

    /** {@code delegate}, but keeping kernels off the heap (as nd4j's CPU path does). */
    private static KernelBackend offHeap(KernelBackend delegate) {
        return (KernelBackend) java.lang.reflect.Proxy.newProxyInstance(
                KernelBackend.class.getClassLoader(), new Class<?>[] {KernelBackend.class},
                (proxy, method, args) -> method.getName().equals("keepsKernelsOnHeap") ? false
                        : method.invoke(delegate, args));
    }
}
