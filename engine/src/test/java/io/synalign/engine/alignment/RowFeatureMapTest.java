package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.RowPieces;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link RowFeatureMap#buildKept(RowPieces)}'s default gives the kept build, not the plain one:
 * a map whose kept build differs (nystrom's lets its rows go once both blocks are built) and
 * which does not override the pieces form is not silently given {@link RowFeatureMap#build}.
 * rff's map, whose kept and plain builds are one, still builds from the pieces as they come.
 */
class RowFeatureMapTest {

    private static FloatMatrix rows(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return new FloatMatrix(n, d, data);
    }

    /** A map that tells its two builds apart, overriding neither pieces form. */
    private static final class KeepsDifferently implements RowFeatureMap {
        private final ReferenceBackend backend;
        private final FourierFeatures map;
        final List<String> calls = new ArrayList<>();
        final List<FloatMatrix> given = new ArrayList<>();

        KeepsDifferently(ReferenceBackend backend, FourierFeatures map) {
            this.backend = backend;
            this.map = map;
        }

        @Override
        public int dim() {
            return map.dim();
        }

        @Override
        public int features() {
            return map.features();
        }

        @Override
        public FeatureOperator build(FloatMatrix rows) {
            calls.add("build");
            given.add(rows);
            return backend.fourierFeatureOperator(rows, map);
        }

        @Override
        public FeatureOperator buildKept(FloatMatrix rows) {
            calls.add("buildKept");
            given.add(rows);
            return backend.fourierFeatureOperator(rows, map);
        }

        @Override
        public String symbol() {
            return "T";
        }

        @Override
        public String kind() {
            return "test features";
        }
    }

    @Test
    void aMapThatKeepsDifferentlyGetsItsKeptBuildFromPieces() {
        FloatMatrix x = rows(23, 5, 1);
        try (ReferenceBackend backend = new ReferenceBackend()) {
            KeepsDifferently map = new KeepsDifferently(backend,
                    FourierFeatures.sample(5, 11, 2.0, 2));
            try (FeatureOperator op = map.buildKept(RowPieces.of(x, 7))) {
                assertEquals(List.of("buildKept"), map.calls, "the kept build of pieces");
                assertEquals(23, op.rows());
            }
            assertArrayEquals(x.data(), map.given.get(0).data(), "the pieces' rows, in order");
        }
    }

    @Test
    void rffKeepsBuildingFromThePiecesWithTheWholeBlocksBits() {
        FloatMatrix x = rows(37, 6, 3);
        FourierFeatures features = FourierFeatures.sample(6, 13, 2.5, 4);
        RowPieces whole = RowPieces.of(x, 10);
        RowPieces piecesOnly = new RowPieces() { // rff's kept build must not read them whole
            @Override
            public int rows() {
                return whole.rows();
            }

            @Override
            public int cols() {
                return whole.cols();
            }

            @Override
            public int pieceRows() {
                return whole.pieceRows();
            }

            @Override
            public FloatMatrix next() {
                return whole.next();
            }

            @Override
            public FloatMatrix whole() {
                throw new AssertionError("rff's kept build read the pieces into one matrix");
            }
        };
        try (ReferenceBackend backend = new ReferenceBackend()) {
            RowFeatureMap map = RowFeatureMap.fourier(backend, features);
            double[] w = new double[37];
            for (int i = 0; i < w.length; i++) {
                w[i] = 0.5 + i % 5;
            }
            double[] want = new double[13];
            double[] got = new double[13];
            try (FeatureOperator plain = map.build(x);
                    FeatureOperator kept = map.buildKept(piecesOnly)) {
                plain.transposeTimes(w, want);
                kept.transposeTimes(w, got);
            }
            assertArrayEquals(want, got, "rff's kept build from pieces has the whole block's bits");
        }
    }
}
