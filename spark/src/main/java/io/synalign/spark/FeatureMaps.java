package io.synalign.spark;

import io.synalign.kernels.FourierFeatures;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The random Fourier feature map of every label, held as what draws it rather than as the draw:
 * label l's map is exactly the single-machine rff method's {@code FourierFeatures.sample(d, D,
 * sigma_l, seed_l)}, centred at {@code c_l} ({@link FourierFeatures#centredAt}) where the label
 * has a centre ({@code FeatureCentre} over nine of its real rows, as the single machine
 * takes it, where those rows lie far from the origin and a backend's float32 phases would lose
 * accuracy), redrawn where it is needed. A broadcast of this is a few bytes per label plus d
 * floats per centred label (20,000 centred labels at d = 384: 31 MB); the draws themselves (d x D
 * floats each: 600 labels at d = 384, D = 1,024 are 944 MB) are never all on the driver, nor
 * shipped, nor all kept by one executor.
 *
 * <p>Each JVM keeps the maps it drew most recently, up to {@link #CACHE_BYTES} (at least two):
 * a task builds its blocks label by label, so a block's map is usually the last one drawn.
 * Drawing one costs d x D Gaussian draws (about 8 ms at d = 384, D = 1,024), and centring it
 * d x D multiply-adds in double more. Thread-safe: tasks of one executor share a broadcast value.
 */
final class FeatureMaps implements Serializable {

    private static final long serialVersionUID = 3L;

    /** What one JVM keeps of the drawn maps. */
    static final long CACHE_BYTES = 64L << 20;

    private final int dim;
    private final int features;
    /** sigma_l, or 0 where label l is not fitted. */
    private final double[] sigma;
    private final long[] seed;
    /** c_l, or null where label l's map reads the rows as they are (or l is not fitted). */
    private final float[][] centre;
    /** Rebuilt empty after deserialization; guarded by this. */
    private transient Map<Integer, FourierFeatures> recent;

    /** Maps with no centre: every label's map reads the rows as they are. */
    FeatureMaps(int dim, int features, double[] sigma, long[] seed) {
        this(dim, features, sigma, seed, new float[sigma.length][]);
    }

    /**
     * @param sigma each label's bandwidth, 0 for a label that is not fitted
     * @param seed each label's seed of its draw
     * @param centre each label's centre (d values, copied), null where its map has none
     * @throws IllegalArgumentException naming the label whose bandwidth is not a positive finite
     *     number, or whose centre is not d finite values or belongs to a label not fitted
     */
    FeatureMaps(int dim, int features, double[] sigma, long[] seed, float[][] centre) {
        if (dim < 1 || features < 1) {
            throw new IllegalArgumentException("dimension and features must be >= 1, got " + dim
                    + " and " + features);
        }
        if (sigma.length != seed.length) {
            throw new IllegalArgumentException(sigma.length + " bandwidths but " + seed.length + " seeds");
        }
        if (centre.length != sigma.length) {
            throw new IllegalArgumentException(sigma.length + " bandwidths but " + centre.length
                    + " centres");
        }
        for (int l = 0; l < sigma.length; l++) {
            if (sigma[l] != 0 && !(sigma[l] > 0 && Double.isFinite(sigma[l]))) {
                throw new IllegalArgumentException("label " + l + ": bandwidth must be a positive"
                        + " finite number, got " + sigma[l]);
            }
        }
        this.centre = new float[centre.length][];
        for (int l = 0; l < centre.length; l++) {
            float[] c = centre[l];
            if (c == null) {
                continue;
            }
            if (sigma[l] == 0) {
                throw new IllegalArgumentException("label " + l + ": has a centre but is not"
                        + " fitted (bandwidth 0)");
            }
            if (c.length != dim) {
                throw new IllegalArgumentException("label " + l + ": centre has " + c.length
                        + " values, expected " + dim);
            }
            for (int k = 0; k < dim; k++) {
                if (!Float.isFinite(c[k])) {
                    throw new IllegalArgumentException("label " + l + ": centre value " + k
                            + " is " + c[k] + "; a centre must be finite");
                }
            }
            this.centre[l] = c.clone();
        }
        this.dim = dim;
        this.features = features;
        this.sigma = sigma.clone();
        this.seed = seed.clone();
    }

    /** D, the feature count shared by all labels. */
    int features() {
        return features;
    }

    int labels() {
        return sigma.length;
    }

    /** Whether label l is fitted (has a map). */
    boolean fitted(int label) {
        return sigma[label] != 0;
    }

    /** Whether label l's map is centred. */
    boolean centred(int label) {
        return centre[label] != null;
    }

    /**
     * The label's map, or null when the label is not fitted: {@code FourierFeatures.sample(d, D,
     * sigma_l, seed_l)}, centred at {@code c_l} where the label has a centre.
     */
    FourierFeatures map(int label) {
        if (!fitted(label)) {
            return null;
        }
        synchronized (this) {
            FourierFeatures kept = recent == null ? null : recent.get(label);
            if (kept != null) {
                return kept;
            }
        }
        // Drawn outside the lock: other tasks' labels are not held up by this one's draw.
        FourierFeatures drawn = FourierFeatures.sample(dim, features, sigma[label], seed[label]);
        if (centre[label] != null) {
            drawn = drawn.centredAt(centre[label]);
        }
        synchronized (this) {
            if (recent == null) {
                long bytes = 4L * features * ((long) dim + 1) + 4L * dim;
                int keep = (int) Math.max(2, Math.min(1 << 16, CACHE_BYTES / bytes));
                recent = new LinkedHashMap<>(16, 0.75f, true) {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<Integer, FourierFeatures> eldest) {
                        return size() > keep;
                    }
                };
            }
            FourierFeatures raced = recent.putIfAbsent(label, drawn);
            return raced != null ? raced : drawn;
        }
    }
}
