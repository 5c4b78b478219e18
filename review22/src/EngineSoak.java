import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Review 22: an embedding JVM's view of the engine. Modes:
 *  soak BACKEND METHOD FITS     : FITS small fits, backend created per fit (the README's snippet);
 *                                 RSS, JavaCPP bytes, live threads at start, after 10, at end.
 *  soakShared BACKEND METHOD FITS: the same on one backend kept open.
 *  concurrent BACKEND METHOD    : two threads fitting different data at once vs the same fits alone.
 *  select BACKEND               : two ExplorationSelector runs at once vs alone.
 */
public final class EngineSoak {

    static FloatMatrix random(int rows, int cols, long seed, double shift) {
        Random r = new Random(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() + (i % cols == 0 ? shift : 0));
        }
        return new FloatMatrix(rows, cols, v);
    }

    static long rssKib() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static String state() throws Exception {
        System.gc();
        Thread.sleep(200);
        Runtime rt = Runtime.getRuntime();
        return String.format(Locale.ROOT, "RSS %d MiB, javacpp totalBytes %.1f MiB, physicalBytes %.1f MiB,"
                + " heap used %d MiB, threads %d (non-daemon %d)",
                rssKib() / 1024, org.bytedeco.javacpp.Pointer.totalBytes() / 1048576.0,
                org.bytedeco.javacpp.Pointer.physicalBytes() / 1048576.0,
                (rt.totalMemory() - rt.freeMemory()) >> 20,
                Thread.getAllStackTraces().size(),
                Thread.getAllStackTraces().keySet().stream().filter(t -> !t.isDaemon()).count());
    }

    static AlignmentConfig config(String method, long seed) {
        return AlignmentConfig.defaults().withMethod(AlignmentMethod.valueOf(method.toUpperCase(Locale.ROOT)))
                .withFeatures(256).withSeed(seed);
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String backendName = args[1];
        switch (mode) {
            case "soak", "soakShared" -> {
                String method = args[2];
                int fits = Integer.parseInt(args[3]);
                FloatMatrix real = random(200, 64, 1, 0.5);
                FloatMatrix syn = random(1000, 64, 2, 0);
                System.out.println("start:      " + state());
                KernelBackend shared = mode.equals("soakShared") ? KernelBackends.create(backendName) : null;
                long t0 = System.nanoTime();
                for (int i = 1; i <= fits; i++) {
                    if (shared != null) {
                        new MmdWeightLearner(shared, config(method, 7)).fit(real, syn, ProgressListener.NONE);
                    } else {
                        try (KernelBackend b = KernelBackends.create(backendName)) {
                            new MmdWeightLearner(b, config(method, 7)).fit(real, syn, ProgressListener.NONE);
                        }
                    }
                    if (i == 10 || i == fits / 2) {
                        System.out.println("after " + i + ": " + (i < 100 ? " " : "") + state());
                    }
                }
                if (shared != null) {
                    shared.close();
                }
                System.out.println("after " + fits + ": " + state());
                System.out.printf(Locale.ROOT, "%.1f s for %d fits%n", (System.nanoTime() - t0) / 1e9, fits);
                Thread.getAllStackTraces().keySet().stream().map(t -> t.getName() + (t.isDaemon() ? " (daemon)" : ""))
                        .sorted().forEach(n -> System.out.println("  thread " + n));
            }
            case "concurrent" -> {
                String method = args[2];
                FloatMatrix[] real = {random(300, 48, 11, 0.4), random(250, 48, 21, -0.3)};
                FloatMatrix[] syn = {random(3000, 48, 12, 0), random(2500, 48, 22, 0)};
                double[][] alone = new double[2][];
                try (KernelBackend b = KernelBackends.create(backendName)) {
                    for (int k = 0; k < 2; k++) {
                        alone[k] = new MmdWeightLearner(b, config(method, 5)).fit(real[k], syn[k], ProgressListener.NONE).weights();
                    }
                    for (int round = 0; round < 5; round++) {
                        double[][] together = new double[2][];
                        Thread[] ts = new Thread[2];
                        for (int k = 0; k < 2; k++) {
                            int kk = k;
                            ts[k] = new Thread(() -> together[kk] = new MmdWeightLearner(b, config(method, 5))
                                    .fit(real[kk], syn[kk], ProgressListener.NONE).weights());
                            ts[k].start();
                        }
                        for (Thread t : ts) {
                            t.join();
                        }
                        for (int k = 0; k < 2; k++) {
                            double max = 0;
                            for (int i = 0; i < alone[k].length; i++) {
                                max = Math.max(max, Math.abs(alone[k][i] - together[k][i]));
                            }
                            System.out.printf(Locale.ROOT, "%s %s round %d fit %d: identical %b, max |diff| %.3g%n",
                                    backendName, method, round, k, Arrays.equals(alone[k], together[k]), max);
                        }
                    }
                }
            }
            case "select" -> {
                FloatMatrix[] x = {random(4000, 64, 31, 0), random(3000, 64, 32, 0)};
                int[][] alone = new int[2][];
                try (KernelBackend b = KernelBackends.create(backendName)) {
                    for (int k = 0; k < 2; k++) {
                        alone[k] = new ExplorationSelector(b, SelectionConfig.defaults()).select(x[k], 60, ProgressListener.NONE).picks();
                    }
                    for (int round = 0; round < 3; round++) {
                        int[][] together = new int[2][];
                        Thread[] ts = new Thread[2];
                        for (int k = 0; k < 2; k++) {
                            int kk = k;
                            ts[k] = new Thread(() -> together[kk] = new ExplorationSelector(b, SelectionConfig.defaults())
                                    .select(x[kk], 60, ProgressListener.NONE).picks());
                            ts[k].start();
                        }
                        for (Thread t : ts) {
                            t.join();
                        }
                        for (int k = 0; k < 2; k++) {
                            System.out.printf(Locale.ROOT, "select %s round %d run %d: identical picks %b%n",
                                    backendName, round, k, Arrays.equals(alone[k], together[k]));
                        }
                    }
                }
            }
            case "interrupt" -> {
                String method = args[2];
                FloatMatrix real = random(1000, 64, 41, 0.3);
                FloatMatrix syn = random(Integer.parseInt(args[3]), 64, 42, 0);
                AlignmentConfig cfg = config(method, 9).withIterations(500, 1e-12);
                try (KernelBackend b = KernelBackends.create(backendName)) {
                    long t0 = System.nanoTime();
                    AlignmentResult alone = new MmdWeightLearner(b, cfg).fit(real, syn, ProgressListener.NONE);
                    System.out.printf(Locale.ROOT, "alone: %.1f s, %d iterations%n", (System.nanoTime() - t0) / 1e9, alone.iterations());
                    AlignmentResult[] got = new AlignmentResult[1];
                    Throwable[] failed = new Throwable[1];
                    Thread t = new Thread(() -> {
                        try {
                            got[0] = new MmdWeightLearner(b, cfg).fit(real, syn, ProgressListener.NONE);
                        } catch (Throwable e) {
                            failed[0] = e;
                        }
                    });
                    long t1 = System.nanoTime();
                    t.start();
                    Thread.sleep(1000);
                    long t2 = System.nanoTime();
                    t.interrupt();
                    t.join();
                    long t3 = System.nanoTime();
                    System.out.printf(Locale.ROOT, "interrupted 1.0 s after start: returned %.1f s after the interrupt (%.1f s in all); %s%n",
                            (t3 - t2) / 1e9, (t3 - t1) / 1e9, failed[0] != null ? "threw " + failed[0]
                                    : "returned a result of " + got[0].iterations() + " iterations, converged " + got[0].converged());
                }
            }
            case "scratch" -> {
                int threads = Integer.parseInt(args[2]);
                FloatMatrix q = random(1024, 384, 51, 0);
                FloatMatrix c = random(8192, 384, 52, 0);
                System.out.println("start: " + state());
                try (KernelBackend b = KernelBackends.create(backendName)) {
                    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
                    java.util.List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        fs.add(pool.submit(() -> {
                            float[] out = new float[q.rows() * c.rows()];
                            b.innerProducts(q, c, out);
                        }));
                    }
                    for (var f : fs) {
                        f.get();
                    }
                    System.out.println("after one innerProducts call on each of " + threads + " pool threads, pool idle, backend open: " + state());
                    b.close();
                    System.out.println("backend closed, pool threads alive: " + state());
                    pool.shutdown();
                    pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
                    for (int i = 0; i < 3; i++) {
                        System.gc();
                        Thread.sleep(500);
                    }
                    System.out.println("pool shut down: " + state());
                }
            }
            case "budget" -> {
                int n = Integer.parseInt(args[2]);
                FloatMatrix[] real = {random(500, 64, 61, 0.3), random(500, 64, 71, -0.3)};
                FloatMatrix[] syn = {random(n, 64, 62, 0), random(n, 64, 72, 0)};
                AlignmentConfig cfg = config("rff", 3).withFeatures(1024).withIterations(20, 1e-12);
                System.out.printf(Locale.ROOT, "javacpp maxBytes %.0f MiB%n", org.bytedeco.javacpp.Pointer.maxBytes() / 1048576.0);
                try (KernelBackend b = KernelBackends.create(backendName)) {
                    System.out.printf(Locale.ROOT, "feature budget seen by one fit at rest: %.0f MiB (Phi_S of one fit: %.0f MiB)%n",
                            b.featureBudgetBytes() / 1048576.0, 4.0 * n * 1024 / 1048576.0);
                    for (int k = 0; k < 2; k++) {
                        new MmdWeightLearner(b, cfg).fit(real[k], syn[k], ProgressListener.NONE);
                        System.out.println("alone fit " + k + ": ok");
                    }
                    java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(2);
                    Thread[] ts = new Thread[2];
                    for (int k = 0; k < 2; k++) {
                        int kk = k;
                        ts[k] = new Thread(() -> {
                            try {
                                barrier.await();
                                new MmdWeightLearner(b, cfg).fit(real[kk], syn[kk], ProgressListener.NONE);
                                System.out.println("concurrent fit " + kk + ": ok");
                            } catch (Throwable e) {
                                System.out.println("concurrent fit " + kk + ": " + e);
                            }
                        });
                        ts[k].start();
                    }
                    for (Thread t : ts) {
                        t.join();
                    }
                }
            }
            case "repeat" -> {
                // Control for "concurrent": the same fits, alone, several times in one JVM.
                String method = args[2];
                FloatMatrix[] real = {random(300, 48, 11, 0.4), random(250, 48, 21, -0.3)};
                FloatMatrix[] syn = {random(3000, 48, 12, 0), random(2500, 48, 22, 0)};
                try (KernelBackend b = KernelBackends.create(backendName)) {
                    double[][] first = new double[2][];
                    for (int round = 0; round < 5; round++) {
                        for (int k = 0; k < 2; k++) {
                            double[] w = new MmdWeightLearner(b, config(method, 5)).fit(real[k], syn[k], ProgressListener.NONE).weights();
                            if (first[k] == null) {
                                first[k] = w;
                                continue;
                            }
                            double max = 0;
                            for (int i = 0; i < w.length; i++) {
                                max = Math.max(max, Math.abs(first[k][i] - w[i]));
                            }
                            System.out.printf(Locale.ROOT, "%s %s alone again, round %d fit %d: identical %b, max |diff| %.3g%n",
                                    backendName, method, round, k, Arrays.equals(first[k], w), max);
                        }
                    }
                }
            }
            case "threads" -> {
                // Mechanism check for "concurrent": one fit alone, with ND4J/OpenBLAS at their
                // configured thread counts, then pinned to 1 as PinnedWorkers.run pins them
                // process-wide while another fit's kernel product runs.
                String method = args[2];
                FloatMatrix real = random(250, 48, 21, -0.3);
                FloatMatrix syn = random(2500, 48, 22, 0);
                try (KernelBackend b = KernelBackends.create(backendName)) {
                    double[] normal = new MmdWeightLearner(b, config(method, 5)).fit(real, syn, ProgressListener.NONE).weights();
                    int blas = org.nd4j.linalg.factory.Nd4j.factory().blas().getMaxThreads();
                    var env = org.nd4j.linalg.factory.Nd4j.getEnvironment();
                    int master = env.maxMasterThreads();
                    int max = env.maxThreads();
                    org.nd4j.linalg.factory.Nd4j.factory().blas().setMaxThreads(1);
                    env.setMaxMasterThreads(1);
                    env.setMaxThreads(1);
                    double[] pinned = new MmdWeightLearner(b, config(method, 5)).fit(real, syn, ProgressListener.NONE).weights();
                    org.nd4j.linalg.factory.Nd4j.factory().blas().setMaxThreads(blas);
                    env.setMaxMasterThreads(master);
                    env.setMaxThreads(max);
                    double d = 0;
                    for (int i = 0; i < normal.length; i++) {
                        d = Math.max(d, Math.abs(normal[i] - pinned[i]));
                    }
                    System.out.printf(Locale.ROOT, "%s %s: BLAS threads %d vs 1: identical %b, max |diff| %.3g (mean weight %.3g)%n",
                            backendName, method, blas, Arrays.equals(normal, pinned), d, 1.0 / normal.length);
                }
            }
            default -> throw new IllegalArgumentException(mode);
        }
    }
}
