package io.synalign.engine.alignment;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.VectorOps;

/**
 * {@code H = Phi_S Phi_S^T} for the Nystrom features {@code Phi_S = K_SL K_LL^{-1/2}} (n x k)
 * of r landmark rows L (Williams &amp; Seeger, "Using the Nystrom Method to Speed Up Kernel
 * Machines", NIPS 2001), without ever forming {@code Phi_S}: with {@code G = K_LL^{-1/2}}
 * stored as its k x r transpose (k kept eigenpairs),
 * {@code H w = K_SL G (G^T (K_LS w))}. {@code K_SL} is one feature operator (n x r, the
 * landmark kernel columns of every synthetic row, {@link LandmarkKernelMap}, held in chunks by
 * {@link ChunkedFeatureOperator}): {@code K_LS w} is its {@code transposeTimes}, {@code K_SL v}
 * its {@code times}. Per product: those two passes (O(n r) each over kept chunks; a recomputed
 * chunk adds its kernel block, O(C r d), in each) and two O(r k) dense products in Java on the
 * r-vector, which is read back and written again (r values, not n). Applying G to the r-vector
 * rather than to every row keeps a recomputed chunk at one kernel block (forming
 * {@code Phi_c = K_cL G} would add O(C r k) per chunk and pass). Owns the operator and its
 * r-vectors.
 */
final class NystromQuadraticForm implements QuadraticForm {

    private final FeatureOperator syntheticByLandmark;
    private final double[][] inverseRootT;
    private final VectorOps vectors;
    private final DeviceVector landmarkVector;
    private final double[] landmarkScratch;
    private final double[] featureScratch;

    /**
     * @param syntheticByLandmark {@code K_SL}, n x r, as a feature operator
     * @param inverseRootT {@code G^T}, k x r, with {@code G G^T = K_LL^+} (truncated)
     */
    NystromQuadraticForm(FeatureOperator syntheticByLandmark, double[][] inverseRootT,
            VectorOps vectors) {
        int r = syntheticByLandmark.features();
        for (double[] row : inverseRootT) {
            if (row.length != r) {
                throw new IllegalArgumentException("K_SL has " + r + " landmark columns but G^T"
                        + " has rows of " + row.length);
            }
        }
        this.syntheticByLandmark = syntheticByLandmark;
        this.inverseRootT = inverseRootT;
        this.vectors = vectors;
        this.landmarkVector = vectors.zeros(r);
        this.landmarkScratch = new double[r];
        this.featureScratch = new double[inverseRootT.length];
    }

    @Override
    public String description() {
        return "nystrom, " + syntheticByLandmark.features() + " landmarks, "
                + (syntheticByLandmark instanceof ChunkedFeatureOperator chunked
                        ? chunked.describe() : "K_SL kept");
    }

    @Override
    public int dimension() {
        return syntheticByLandmark.rows();
    }

    @Override
    public void apply(DeviceVector w, DeviceVector out) {
        syntheticByLandmark.transposeTimes(w, landmarkVector);
        vectors.read(landmarkVector, landmarkScratch);
        project(inverseRootT, landmarkScratch, featureScratch);
        lift(inverseRootT, featureScratch, landmarkScratch);
        vectors.write(landmarkScratch, landmarkVector);
        syntheticByLandmark.times(landmarkVector, out);
    }

    /** {@code out = G^T a}: k dot products of length r. */
    static void project(double[][] inverseRootT, double[] a, double[] out) {
        for (int f = 0; f < inverseRootT.length; f++) {
            double[] row = inverseRootT[f];
            double s = 0;
            for (int j = 0; j < row.length; j++) {
                s += row[j] * a[j];
            }
            out[f] = s;
        }
    }

    /** {@code out = G z}: a sum of k rows of length r. */
    static void lift(double[][] inverseRootT, double[] z, double[] out) {
        java.util.Arrays.fill(out, 0.0);
        for (int f = 0; f < inverseRootT.length; f++) {
            double[] row = inverseRootT[f];
            double zf = z[f];
            for (int j = 0; j < row.length; j++) {
                out[j] += row[j] * zf;
            }
        }
    }

    @Override
    public void close() {
        try {
            syntheticByLandmark.close();
        } finally {
            landmarkVector.close();
        }
    }
}
