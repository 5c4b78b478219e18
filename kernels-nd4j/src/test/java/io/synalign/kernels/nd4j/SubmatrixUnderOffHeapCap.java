package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.NativeMemoryException;
import io.synalign.kernels.TilePlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Run by {@link Nd4jOffHeapCapTest} in a child JVM with a small JavaCPP cap
 * ({@code org.bytedeco.javacpp.maxbytes}), which is fixed when JavaCPP loads. Prints one line
 * per case and exits 0 when both hold, 1 naming the first that does not:
 * <ol>
 * <li>off-heap garbage (pointers no longer reachable, not yet collected) that leaves less
 *     room under the cap than a submatrix needs does not refuse the submatrix, and its products
 *     equal those of the same submatrix made before the garbage;</li>
 * <li>live pointers filling the cap do refuse it, with a {@link NativeMemoryException} naming
 *     the cap's setting, not null: without its working set the optimiser takes other iterates,
 *     so going on would make the weights depend on the JVM's limits.</li>
 * </ol>
 */
final class SubmatrixUnderOffHeapCap {

    private static final int N = 1_500;
    private static final long CHUNK_FLOATS = 1L << 20; // 4 MiB

    private SubmatrixUnderOffHeapCap() {
    }

    public static void main(String[] args) {
        Random random = new Random(11);
        double[][] values = new double[N][12];
        for (double[] row : values) {
            for (int k = 0; k < row.length; k++) {
                row[k] = random.nextGaussian();
            }
        }
        FloatMatrix x = FloatMatrix.of(values);
        int[] rows = IntStream.range(0, N).filter(i -> i % 5 != 2).toArray();
        double[] w = random.doubles(rows.length).toArray();
        long need = 4 * Math.max(1, SymmetricPanels.floatsFor(rows.length));
        try (Nd4jBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS);
                KernelOperator op = backend.rbfOperator(x, x, 3.0, new TilePlan(true, 64))) {
            double[] want = new double[rows.length];
            // From a second operator: a submatrix of op, once closed, would leave op a spare.
            try (KernelOperator twin = backend.rbfOperator(x, x, 3.0, new TilePlan(true, 64));
                    KernelOperator sub = twin.principalSubmatrix(rows, Long.MAX_VALUE)) {
                sub.multiply(w, want);
            }

            long free = fillWithGarbage(need);
            System.out.println("garbage: " + free + " bytes free under the cap of "
                    + Pointer.maxBytes() + ", the submatrix needs " + need);
            double[] got = new double[rows.length];
            try (KernelOperator sub = op.principalSubmatrix(rows, Long.MAX_VALUE)) {
                if (sub == null) {
                    fail("refused for garbage that the collector could free");
                }
                sub.multiply(w, got);
            }
            if (!java.util.Arrays.equals(got, want)) {
                fail("the submatrix made past the garbage computes a different product");
            }
            System.out.println("case 1 holds: made, same product");

            List<FloatPointer> live = new ArrayList<>();
            try {
                fillLive(live);
                int[] all = IntStream.range(0, N).toArray(); // larger than op's spare
                KernelOperator sub = op.principalSubmatrix(all, Long.MAX_VALUE);
                if (sub != null) {
                    sub.close();
                    fail("made although live pointers fill the cap ("
                            + Pointer.totalBytes() + " of " + Pointer.maxBytes() + " bytes)");
                }
                fail("refused silently (null): the optimiser would go on without a working set");
            } catch (NativeMemoryException e) {
                if (!e.getMessage().contains("-Dorg.bytedeco.javacpp.maxbytes")
                        || e.getMessage().contains("\n")) {
                    fail("the error does not name the cap's setting on one line: "
                            + e.getMessage());
                }
                System.out.println("refused: " + e.getMessage());
            } finally {
                live.forEach(FloatPointer::close);
            }
            System.out.println("case 2 holds: refused with an error naming maxbytes");
        }
        System.exit(0);
    }

    /**
     * Allocates unreachable chunks until less than {@code need} is left under the cap, with
     * no collection in between that would free them (tried again if one ran); the free bytes.
     */
    private static long fillWithGarbage(long need) {
        for (int attempt = 0; attempt < 5; attempt++) {
            while (Pointer.maxBytes() - Pointer.totalBytes() >= need) {
                long room = Pointer.maxBytes() - Pointer.totalBytes();
                new FloatPointer(Math.max(1, Math.min(CHUNK_FLOATS, (room - need / 2) / 4)));
            }
            long free = Pointer.maxBytes() - Pointer.totalBytes();
            if (free < need) {
                return free;
            }
        }
        fail("could not fill the cap with garbage");
        return -1;
    }

    /** Allocates reachable chunks until under 1 MiB is left under the cap. */
    private static void fillLive(List<FloatPointer> live) {
        long room;
        while ((room = Pointer.maxBytes() - Pointer.totalBytes()) > (1 << 20)) {
            live.add(new FloatPointer(Math.min(CHUNK_FLOATS, room / 4 - 1024)));
        }
    }

    private static void fail(String why) {
        System.out.println("FAILED: " + why);
        System.exit(1);
    }
}
