package io.synalign.benchmarks;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.retrieval.FiniteCorpus;
import io.synalign.engine.retrieval.InnerProductSearch;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * What checking a search corpus once saves: the median time of {@link FloatMatrix#requireFinite}
 * over a 20,000 x 384 corpus, and of {@link InnerProductSearch} given the corpus as a matrix
 * (checked on the call) and as a {@link FiniteCorpus} (checked when made), for 1, 10 and 100
 * Gaussian queries, k = 10. The two searches alternate, and which goes first swaps each
 * repetition, so drift in the machine's load falls on both alike.
 *
 * <pre>java -cp benchmarks.jar io.synalign.benchmarks.FiniteCorpusRun [REPS] [BACKEND]</pre>
 */
public final class FiniteCorpusRun {

    private FiniteCorpusRun() {
    }

    private static final int CORPUS_ROWS = 20_000;
    private static final int DIM = 384;
    private static final int K = 10;

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 41;
        String backendName = args.length > 1 ? args[1] : "nd4j";
        FloatMatrix corpus = gaussian(CORPUS_ROWS, DIM, 1);
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            double[] check = new double[reps];
            for (int warm = 0; warm < 3; warm++) { // the last pass is the one kept
                for (int i = 0; i < reps; i++) {
                    long t0 = System.nanoTime();
                    corpus.requireFinite("corpus");
                    check[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            System.out.printf(Locale.ROOT, "backend %s, corpus %d x %d, k %d, %d reps (medians)%n",
                    backendName, CORPUS_ROWS, DIM, K, reps);
            System.out.printf(Locale.ROOT, "requireFinite(corpus): %.2f ms%n", median(check));
            FiniteCorpus finite = FiniteCorpus.of(corpus);
            for (int q : new int[] {1, 10, 100}) {
                FloatMatrix queries = gaussian(q, DIM, 2 + q);
                double[] matrix = new double[reps];
                double[] once = new double[reps];
                for (int warm = 0; warm < 2; warm++) {
                    for (int i = 0; i < reps; i++) {
                        for (int side = 0; side < 2; side++) {
                            boolean asMatrix = (side == 0) == (i % 2 == 0);
                            long t0 = System.nanoTime();
                            if (asMatrix) {
                                InnerProductSearch.search(backend, queries, corpus, K, null,
                                        ProgressListener.NONE);
                            } else {
                                InnerProductSearch.search(backend, queries, finite, K, null,
                                        ProgressListener.NONE);
                            }
                            double ms = (System.nanoTime() - t0) / 1e6;
                            (asMatrix ? matrix : once)[i] = ms;
                        }
                    }
                }
                double m = median(matrix);
                double o = median(once);
                System.out.printf(Locale.ROOT, "q %3d: search(matrix) %.2f ms, search(FiniteCorpus)"
                        + " %.2f ms, saved %.2f ms (%.1f %%)%n", q, m, o, m - o, 100 * (m - o) / m);
            }
        }
    }

    private static FloatMatrix gaussian(int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return new FloatMatrix(rows, cols, v);
    }

    private static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
