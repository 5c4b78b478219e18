package io.synalign.kernels.nd4j;

/**
 * The layout of the upper triangle of a symmetric n x n matrix as row panels: panel p holds rows
 * {@code [p P, min(n, (p + 1) P))} and columns {@code [p P, n)}, row-major with its own width
 * {@code n - p P}, the panels one after another. The diagonal P x P block of each panel is kept
 * whole (both of its triangles), so a panel's rows times the vector's tail is one GEMV and the
 * mirrored part is one transposed GEMV of the panel's columns past that block. Floats kept:
 * {@code sum_p h_p (n - p P)}, about {@code n (n + P) / 2}.
 */
final class SymmetricPanels {

    /** Rows per panel: the transposed GEMV sums at most this many float terms per output. */
    static final int PANEL_ROWS = 32;

    private final int n;
    private final long[] offsets;

    SymmetricPanels(int n) {
        this.n = n;
        int panels = panelsFor(n);
        this.offsets = new long[panels + 1];
        for (int p = 0; p < panels; p++) {
            offsets[p + 1] = offsets[p] + (long) height(p) * width(p);
        }
    }

    static int panelsFor(int n) {
        return (n + PANEL_ROWS - 1) / PANEL_ROWS;
    }

    /** Floats an n x n symmetric matrix takes in this layout. */
    static long floatsFor(long n) {
        long total = 0;
        for (long start = 0; start < n; start += PANEL_ROWS) {
            total += Math.min(PANEL_ROWS, n - start) * (n - start);
        }
        return total;
    }

    int size() {
        return n;
    }

    int panels() {
        return offsets.length - 1;
    }

    /** First row (and first column) of panel p. */
    int start(int p) {
        return p * PANEL_ROWS;
    }

    /** Rows of panel p. */
    int height(int p) {
        return Math.min(PANEL_ROWS, n - start(p));
    }

    /** Columns of panel p, its row stride. */
    int width(int p) {
        return n - start(p);
    }

    /** Offset of panel p in floats. */
    long offset(int p) {
        return offsets[p];
    }

    long floats() {
        return offsets[offsets.length - 1];
    }

    /**
     * Splits the panels into {@code parts} contiguous ranges of about equal work (floats), so
     * that each worker owns a fixed set of panels and the sums do not depend on scheduling.
     * Returns {@code parts + 1} boundaries.
     */
    int[] split(int parts) {
        int panels = panels();
        int[] bounds = new int[parts + 1];
        long total = floats();
        int p = 0;
        for (int k = 1; k < parts; k++) {
            long target = total * k / parts;
            while (p < panels && offsets[p + 1] <= target) {
                p++;
            }
            bounds[k] = Math.max(bounds[k - 1], p);
        }
        bounds[parts] = panels;
        return bounds;
    }
}
