package io.synalign.engine.alignment;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.VectorOps;

/**
 * {@code H = Phi_S Phi_S^T} for the Nystrom features {@code Phi_S = K_SL K_LL^{-1/2}} (n x k)
 * of r landmark rows L (Williams &amp; Seeger, "Using the Nystrom Method to Speed Up Kernel
 * Machines", NIPS 2001), without ever forming {@code Phi_S}: with {@code G = K_LL^{-1/2}}
 * stored as its k x r transpose (k kept eigenpairs),
 * {@code H w = K_SL G (G^T (K_LS w))}. Per product: one r x n and one n x r backend kernel
 * product (O(n r) each when materialised, O(n r d) tiled) and two O(r k) dense products in
 * Java on the r-vector, which is read back and written again (r values, not n). Owns both
 * operators and its r-vectors.
 */
final class NystromQuadraticForm implements QuadraticForm {

    private final KernelOperator landmarkBySynthetic;
    private final KernelOperator syntheticByLandmark;
    private final double[][] inverseRootT;
    private final VectorOps vectors;
    private final DeviceVector landmarkVector;
    private final double[] landmarkScratch;
    private final double[] featureScratch;

    /**
     * @param landmarkBySynthetic {@code K_LS}, r x n
     * @param syntheticByLandmark {@code K_SL}, n x r
     * @param inverseRootT {@code G^T}, k x r, with {@code G G^T = K_LL^+} (truncated)
     */
    NystromQuadraticForm(KernelOperator landmarkBySynthetic, KernelOperator syntheticByLandmark,
            double[][] inverseRootT, VectorOps vectors) {
        int r = landmarkBySynthetic.rows();
        if (syntheticByLandmark.cols() != r
                || landmarkBySynthetic.cols() != syntheticByLandmark.rows()) {
            throw new IllegalArgumentException("K_LS is " + r + " x " + landmarkBySynthetic.cols()
                    + " but K_SL is " + syntheticByLandmark.rows() + " x "
                    + syntheticByLandmark.cols());
        }
        this.landmarkBySynthetic = landmarkBySynthetic;
        this.syntheticByLandmark = syntheticByLandmark;
        this.inverseRootT = inverseRootT;
        this.vectors = vectors;
        this.landmarkVector = vectors.zeros(r);
        this.landmarkScratch = new double[r];
        this.featureScratch = new double[inverseRootT.length];
    }

    @Override
    public String description() {
        return "nystrom, " + landmarkBySynthetic.rows() + " landmarks, "
                + landmarkBySynthetic.storageDescription();
    }

    @Override
    public int dimension() {
        return syntheticByLandmark.rows();
    }

    @Override
    public void apply(DeviceVector w, DeviceVector out) {
        landmarkBySynthetic.multiply(w, landmarkVector);
        vectors.read(landmarkVector, landmarkScratch);
        project(inverseRootT, landmarkScratch, featureScratch);
        lift(inverseRootT, featureScratch, landmarkScratch);
        vectors.write(landmarkScratch, landmarkVector);
        syntheticByLandmark.multiply(landmarkVector, out);
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
            landmarkBySynthetic.close();
        } finally {
            try {
                syntheticByLandmark.close();
            } finally {
                landmarkVector.close();
            }
        }
    }
}
