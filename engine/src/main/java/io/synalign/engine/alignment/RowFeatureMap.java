package io.synalign.engine.alignment;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowPieces;

/**
 * A map from rows (d columns) to D features per row, built block by block into a
 * {@link FeatureOperator}: what {@link ChunkedFeatureOperator} holds over its chunk grid. Two
 * maps exist: random Fourier features ({@link #fourier}, rff's {@code Phi_S}) and the kernel
 * columns of Nystrom landmarks ({@link LandmarkKernelMap}, {@code K_SL}). A row's features
 * depend on that row alone, which is what lets a row set of any length be held in chunks, some
 * kept and some recomputed from the source in every pass, with the same results.
 */
interface RowFeatureMap {

    /** d, the columns of the rows the map takes. */
    int dim();

    /** D, the features per row. */
    int features();

    /**
     * The features of {@code rows} (count x d) as a new operator, which may hold on to
     * {@code rows} for its life and may be {@link FeatureOperator#reload reloadable}.
     */
    FeatureOperator build(FloatMatrix rows);

    /**
     * The features of {@code rows} as an operator kept for the whole fit: built in full now, so
     * that it need not hold on to {@code rows} where its backend does not (the chunk grid gives a
     * kept chunk rows of its own, which the plan does not count as kept). By default
     * {@link #build}.
     */
    default FeatureOperator buildKept(FloatMatrix rows) {
        return build(rows);
    }

    /**
     * Whether {@link #build(RowPieces)} takes one piece of the rows at a time (false by
     * default): the chunk grid then need not fit the heap's share of rows (see
     * {@link ChunkedFeatureOperator#chunkRows(KernelBackend, int, int, boolean)}).
     */
    default boolean buildsFromPieces() {
        return false;
    }

    /**
     * Rows per chunk of this map's grid for rows of {@code cols} columns on {@code backend}:
     * {@link ChunkedFeatureOperator#chunkRows(KernelBackend, int, int, boolean)} by default.
     */
    default int chunkRows(KernelBackend backend, int cols) {
        return ChunkedFeatureOperator.chunkRows(backend, features(), cols, buildsFromPieces());
    }

    /**
     * {@link #build(FloatMatrix)} of rows handed over in pieces, to the same bits; it keeps no
     * piece past the next one. By default the pieces are read into one matrix first.
     */
    default FeatureOperator build(RowPieces rows) {
        return build(rows.whole());
    }

    /**
     * {@link #buildKept(FloatMatrix)} of rows in pieces. By default the pieces are read into one
     * matrix and given to {@link #buildKept(FloatMatrix)}: the kept form, whatever the map
     * keeps (nystrom builds both kernel blocks and lets its rows go). Before helper native35
     * the default was {@link #build(RowPieces)}, the plain build, right only for a map whose
     * kept and plain builds are one (rff's), and a trap for any other. A map that builds from
     * pieces ({@link #buildsFromPieces}) overrides this to keep building from them.
     */
    default FeatureOperator buildKept(RowPieces rows) {
        return buildKept(rows.whole());
    }

    /** Copies of a block's matrix its operator keeps (nystrom: K_cL and K_Lc), for memory figures. */
    default int copies() {
        return 1;
    }

    /** The matrix held, for the plan and the log: {@code "Phi_S"}, {@code "K_SL"}. */
    String symbol();

    /** What the features are, for the log: {@code "random features"}, ... */
    String kind();

    /** rff's map: {@code backend.fourierFeatureOperator(rows, map)} per block. */
    static RowFeatureMap fourier(KernelBackend backend, FourierFeatures map) {
        return new RowFeatureMap() {
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
                return backend.fourierFeatureOperator(rows, map);
            }

            /** Where the backend builds from pieces ({@link KernelBackend#featureRowsInPieces}). */
            @Override
            public boolean buildsFromPieces() {
                return backend.featureRowsInPieces();
            }

            @Override
            public FeatureOperator build(RowPieces rows) {
                return backend.fourierFeatureOperator(rows, map);
            }

            /** rff's kept and plain builds are one: from the pieces as they come. */
            @Override
            public FeatureOperator buildKept(RowPieces rows) {
                return build(rows);
            }

            @Override
            public String symbol() {
                return "Phi_S";
            }

            @Override
            public String kind() {
                return "random features";
            }
        };
    }
}
