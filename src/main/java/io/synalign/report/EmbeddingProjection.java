package io.synalign.report;

/**
 * Where the report's PCA panels put the plotted embedding rows: their coordinates on the two
 * leading principal components ({@link Pca}) of the real rows, or of all rows when there are
 * fewer than {@value #MIN_REAL_ROWS} real rows.
 *
 * <p>Fitted on the real rows so that the axes are the real data's main directions: the plot
 * shows where the synthetic rows sit in the real distribution. The rows come as stored, in
 * double ({@link RunArtefacts.Embeddings}), and {@link Pca} subtracts their mean in double
 * before it forms the covariance, so rows far from the origin (a float64 file near 1e6 with a
 * spread of 0.01) keep their geometry.
 *
 * @param pca the fitted components
 * @param fittedOnReal whether {@code pca} was fitted on the real rows alone
 * @param real (PC1, PC2) of each plotted real row, in the order of the embeddings' rows
 * @param synthetic (PC1, PC2) of each plotted synthetic row, likewise
 */
record EmbeddingProjection(Pca pca, boolean fittedOnReal, double[][] real,
        double[][] synthetic) {

    /** Real rows needed to fit the components on them alone. */
    static final int MIN_REAL_ROWS = 3;

    /**
     * Fits and projects {@code e}'s plotted rows.
     *
     * @throws IllegalArgumentException when neither side has a row
     */
    static EmbeddingProjection of(RunArtefacts.Embeddings e) {
        boolean onReal = e.real().length >= MIN_REAL_ROWS;
        Pca pca = Pca.fit(onReal ? e.real() : concat(e.real(), e.synthetic()));
        return new EmbeddingProjection(pca, onReal, project(pca, e.real()),
                project(pca, e.synthetic()));
    }

    private static double[][] project(Pca pca, double[][] rows) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = pca.project(rows[i]);
        }
        return out;
    }

    private static double[][] concat(double[][] a, double[][] b) {
        double[][] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
