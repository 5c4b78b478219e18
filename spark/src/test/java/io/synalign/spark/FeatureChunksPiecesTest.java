package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.RowPieces;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import scala.Tuple2;

/**
 * An executor builds a block's features from pieces of its rows within 1/16 of its heap, to the
 * bits of the block built whole (helper sparkblock35). The heap is the engine's test seam
 * ({@code -Dsynalign.rff.heapBytes}), set so that 1/16 of it holds 37 rows of d = 29; the grid's
 * blocks are 300 rows (labels of 700 and 263 rows: blocks of 300, 300, 100 and 263, none a
 * multiple of 37 nor of nd4j's 256-row GEMM block). A counting backend records what each build
 * is handed. Before, every block was handed over whole, one matrix of its rows, whatever the heap.
 */
class FeatureChunksPiecesTest {

    private static final String HEAP = "synalign.rff.heapBytes";
    private static final int DIM = 29;
    private static final int FEATURES = 33;
    private static final int[] ROWS = {700, 263};
    private static final int BLOCK = 300;
    private static final int PIECE = 37;
    /** 1/16 of it holds {@link #PIECE} rows of {@link #DIM} floats, not one more. */
    private static final long HEAP_BYTES = 16L * 4 * DIM * PIECE + 16 * 4 * DIM - 1;

    private SavedProperty budgetBefore;
    private String heapBefore;
    private float[][][] data;
    private FeatureMaps maps;
    private RowBlocks grid;
    private FeatureProductsOracle oracle;
    /** Per build: the rows per piece handed over and the pieces taken; -1 pieces: whole. */
    private final List<int[]> builds = new ArrayList<>();

    @BeforeEach
    void setUp() {
        budgetBefore = SavedProperty.featureBudget();
        heapBefore = System.getProperty(HEAP);
        data = FeatureProductsOracle.gaussianRows(new Random(35), ROWS, DIM, 0.5);
        maps = new FeatureMaps(DIM, FEATURES, new double[] {3.1, 4.7}, new long[] {81, 82});
        grid = RowBlocks.of(ROWS, l -> BLOCK, 3);
        oracle = new FeatureProductsOracle(data, maps);
    }

    @AfterEach
    void restore() {
        budgetBefore.restore();
        if (heapBefore == null) {
            System.clearProperty(HEAP);
        } else {
            System.setProperty(HEAP, heapBefore);
        }
    }

    static Stream<Arguments> backendsAndKeeps() {
        return Stream.of(Arguments.of("reference", "all"), Arguments.of("reference", "none"),
                Arguments.of("nd4j", "all"), Arguments.of("nd4j", "none"));
    }

    /**
     * Every build, kept or rebuilt in a product, is handed the block in pieces of 37 rows, all of
     * them taken, and no array the partition holds is larger than a piece; each block's
     * {@code Phi_b^T w_b} and {@code Phi_b z} are the bits of the operator the same backend
     * builds from the block's rows whole, and the products are within float32's bound of the
     * double oracle. Read back through Kryo on an executor of another heap (pieces of 50), the
     * copy builds from pieces of 50 and gives the same bits. Failed on the old code: every build
     * was handed the whole block ("block 0 of label 0 was built from pieces ==> expected: <37> but
     * was: <300>", the whole build recorded as one piece of the block's rows).
     */
    @ParameterizedTest(name = "{0}, {1} kept")
    @MethodSource("backendsAndKeeps")
    void aBlockIsBuiltFromPiecesWithinASixteenthOfTheHeapToTheWholeBlocksBits(String backendName,
            String keep) throws Exception {
        System.setProperty(HEAP, Long.toString(HEAP_BYTES));
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY,
                keep.equals("all") ? Long.toString(1L << 40) : "0");
        int blocks = 4;
        try (KernelBackend inner = KernelBackends.create(backendName)) {
            KernelBackend counting = counting(inner);
            double[][] w = oracle.weights(new Random(36));
            double[][] z;
            try (FeatureChunks partition = FeatureChunks.build(shuffledRows().iterator(), grid,
                    maps, counting, -1, 0)) {
                assertEquals(keep.equals("all") ? blocks : 0, partition.keep().kept());
                FeatureChunks.Served form = FeatureChunks.Served.of(partition);
                for (float[][] block : form.rows()) {
                    for (float[] piece : block) {
                        assertTrue(piece.length <= PIECE * DIM, "a piece of " + piece.length
                                + " values, more than " + PIECE + " rows of " + DIM);
                    }
                }
                List<FeatureChunks.ChunkSum> sums = partition.transposeTimes(w, FEATURES, maps,
                        counting);
                z = assemble(sums);
                List<FeatureChunks.ChunkValues> values = partition.times(z, maps, counting);
                assertEquals(keep.equals("all") ? blocks : 2 * blocks, builds.size(),
                        "builds: one a block, or one a block and product");
                checkPieces(PIECE);
                sameBitsAsWhole(inner, w, z, sums, values);
                oracle.check(w, z, valuesOf(values), FeatureProductsOracle.float32Bound(1e-5,
                        1e-12));

                // Served to an executor whose 1/16 holds 50 rows: it cuts its own pieces.
                Kryo kryo = new Kryo();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (Output out = new Output(bytes)) {
                    new FeatureChunks.KryoForm().write(kryo, out, partition);
                }
                System.setProperty(HEAP, Long.toString(16L * 4 * DIM * 50));
                try (FeatureChunks copy = new FeatureChunks.KryoForm().read(kryo,
                        new Input(bytes.toByteArray()), FeatureChunks.class)) {
                    builds.clear();
                    List<FeatureChunks.ChunkSum> copySums = copy.transposeTimes(w, FEATURES,
                            maps, counting);
                    List<FeatureChunks.ChunkValues> copyValues = copy.times(z, maps, counting);
                    assertEquals(2 * blocks, builds.size(), "the copy rebuilds every block");
                    checkPieces(50);
                    sameBitsAsWhole(inner, w, z, copySums, copyValues);
                }
            }
        }
    }

    /**
     * A partition's rows that do not make whole blocks are refused naming the row: one outside
     * its block, one given twice, one of another width, one missing. (The old code refused the
     * first two and the last with counts only; the new messages are new behaviour.)
     */
    @Test
    void rowsThatDoNotMakeWholeBlocksAreRefusedNamingTheRow() {
        System.setProperty(HEAP, Long.toString(HEAP_BYTES));
        try (KernelBackend backend = KernelBackends.create("reference")) {
            List<Tuple2<Long, IndexedRow>> rows = shuffledRows();
            List<Tuple2<Long, IndexedRow>> duplicate = new ArrayList<>(rows);
            duplicate.add(rows.get(5));
            refused(duplicate, backend, "was given row " + rows.get(5)._2().local() + " twice");
            List<Tuple2<Long, IndexedRow>> missing = new ArrayList<>(rows);
            Tuple2<Long, IndexedRow> gone = missing.remove(7);
            refused(missing, backend, "row " + gone._2().local() + " missing");
            List<Tuple2<Long, IndexedRow>> outside = new ArrayList<>(rows);
            outside.add(new Tuple2<>(grid.key(0, 0), new IndexedRow(9_999, 0, 450,
                    new float[DIM])));
            refused(outside, backend, "block 0 of label 0 holds rows 0 to 299, not row 450");
            List<Tuple2<Long, IndexedRow>> wide = new ArrayList<>();
            wide.add(new Tuple2<>(grid.key(1, 0), new IndexedRow(1, 1, 0, new float[DIM])));
            wide.add(new Tuple2<>(grid.key(1, 0), new IndexedRow(2, 1, 1, new float[DIM + 1])));
            refused(wide, backend, "row 1 has 30 columns where the block's rows have 29");
        }
    }

    private void refused(List<Tuple2<Long, IndexedRow>> rows, KernelBackend backend,
            String expected) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> FeatureChunks.build(rows.iterator(), grid, maps, backend, -1, 0).close());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    /** Every recorded build was handed pieces of {@code pieceRows}, all of them taken. */
    private void checkPieces(int pieceRows) {
        for (int[] b : builds) {
            assertEquals(pieceRows, b[0], "rows a piece, building a block of " + b[1]
                    + " rows of label " + b[2]);
            assertEquals((b[1] + pieceRows - 1) / pieceRows, b[3], "pieces taken, building a"
                    + " block of " + b[1] + " rows of label " + b[2]);
        }
    }

    /**
     * Each block's sums and values against the operator {@code inner} builds from the block's
     * rows whole (the old path), bit for bit.
     */
    private void sameBitsAsWhole(KernelBackend inner, double[][] w, double[][] z,
            List<FeatureChunks.ChunkSum> sums, List<FeatureChunks.ChunkValues> values) {
        assertEquals(4, sums.size());
        assertEquals(4, values.size());
        for (FeatureChunks.ChunkSum s : sums) {
            int start = s.index() * BLOCK;
            try (FeatureOperator whole = inner.fourierFeatureOperator(block(s.label(), start),
                    maps.map(s.label()))) {
                double[] sub = new double[whole.rows()];
                System.arraycopy(w[s.label()], start, sub, 0, sub.length);
                double[] expected = new double[FEATURES];
                whole.transposeTimes(sub, expected);
                assertArrayEquals(expected, s.z(), 0.0, "Phi^T w of block " + s.index()
                        + " of label " + s.label() + ": the whole block's bits");
            }
        }
        for (FeatureChunks.ChunkValues v : values) {
            int index = v.start() / BLOCK;
            try (FeatureOperator whole = inner.fourierFeatureOperator(block(v.label(), v.start()),
                    maps.map(v.label()))) {
                double[] expected = new double[whole.rows()];
                whole.times(z[v.label()], expected);
                assertArrayEquals(expected, v.values(), 0.0, "Phi z of block " + index
                        + " of label " + v.label() + ": the whole block's bits");
            }
        }
    }

    /** The block of {@code label} from label-local row {@code start}, whole. */
    private FloatMatrix block(int label, int start) {
        int n = Math.min(BLOCK, ROWS[label] - start);
        float[] m = new float[n * DIM];
        for (int i = 0; i < n; i++) {
            System.arraycopy(data[label][start + i], 0, m, i * DIM, DIM);
        }
        return new FloatMatrix(n, DIM, m);
    }

    /** Per label the blocks' D-vectors added in block order from zeros, as the driver does. */
    private static double[][] assemble(List<FeatureChunks.ChunkSum> sums) {
        List<FeatureChunks.ChunkSum> ordered = new ArrayList<>(sums);
        ordered.sort((a, b) -> a.label() != b.label() ? Integer.compare(a.label(), b.label())
                : Integer.compare(a.index(), b.index()));
        double[][] z = new double[ROWS.length][FEATURES];
        for (FeatureChunks.ChunkSum s : ordered) {
            for (int f = 0; f < FEATURES; f++) {
                z[s.label()][f] += s.z()[f];
            }
        }
        return z;
    }

    private static double[][] valuesOf(List<FeatureChunks.ChunkValues> values) {
        double[][] out = new double[ROWS.length][];
        for (int l = 0; l < ROWS.length; l++) {
            out[l] = new double[ROWS[l]];
        }
        for (FeatureChunks.ChunkValues v : values) {
            System.arraycopy(v.values(), 0, out[v.label()], v.start(), v.values().length);
        }
        return out;
    }

    /** The rows of both labels, keyed by block and shuffled, as the partitioner hands them. */
    private List<Tuple2<Long, IndexedRow>> shuffledRows() {
        List<Tuple2<Long, IndexedRow>> out = new ArrayList<>();
        long id = 0;
        for (int l = 0; l < ROWS.length; l++) {
            for (int i = 0; i < ROWS[l]; i++) {
                out.add(new Tuple2<>(grid.key(l, i), new IndexedRow(id++, l, i,
                        data[l][i].clone())));
            }
        }
        Collections.shuffle(out, new Random(37));
        return out;
    }

    /**
     * {@code inner}, recording each feature build: {rows per piece, rows, label, pieces taken};
     * a build handed a whole matrix is recorded as one piece of all its rows.
     */
    private KernelBackend counting(KernelBackend inner) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().equals("fourierFeatureOperator")) {
                Object rows = args[0];
                int label = args[1] == maps.map(0) ? 0 : 1;
                if (rows instanceof RowPieces pieces) {
                    int[] record = {pieces.pieceRows(), pieces.rows(), label, 0};
                    builds.add(record);
                    args = args.clone();
                    args[0] = new RowPieces() {
                        @Override
                        public int rows() {
                            return pieces.rows();
                        }

                        @Override
                        public int cols() {
                            return pieces.cols();
                        }

                        @Override
                        public int pieceRows() {
                            return pieces.pieceRows();
                        }

                        @Override
                        public FloatMatrix next() {
                            record[3]++;
                            return pieces.next();
                        }
                    };
                } else {
                    FloatMatrix m = (FloatMatrix) rows;
                    builds.add(new int[] {m.rows(), m.rows(), label, 1});
                }
            }
            try {
                return method.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (KernelBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {KernelBackend.class}, handler);
    }
}
