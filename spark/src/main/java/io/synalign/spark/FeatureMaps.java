package io.synalign.spark;

import io.synalign.kernels.FourierFeatures;
import java.io.Serializable;

/**
 * The random Fourier feature map of every label (null for labels that are not fitted), in a
 * serializable form for a broadcast: each map is exactly the single-machine rff method's draw,
 * {@code FourierFeatures.sample(d, D, sigma_l, seed_l)}.
 */
final class FeatureMaps implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int dim;
    private final int features;
    private final float[][] omega;
    private final float[][] phase;
    // Rebuilt lazily after deserialization. A broadcast value is shared by all tasks of an
    // executor JVM, so concurrent tasks may race here: volatile, so that a task seeing the array
    // also sees its elements (a plain field lets it see the array with nulls, i.e. a label with
    // no map, whose rows would silently drop out of the products).
    private transient volatile FourierFeatures[] maps;

    FeatureMaps(FourierFeatures[] maps) {
        int d = 0;
        int f = 0;
        this.omega = new float[maps.length][];
        this.phase = new float[maps.length][];
        for (int l = 0; l < maps.length; l++) {
            if (maps[l] != null) {
                d = maps[l].dim();
                f = maps[l].features();
                omega[l] = maps[l].omega();
                phase[l] = maps[l].phase();
            }
        }
        this.dim = d;
        this.features = f;
        this.maps = maps.clone();
    }

    /** D, the feature count shared by all labels. */
    int features() {
        return features;
    }

    int labels() {
        return omega.length;
    }

    /** Every label's map (null where the label is not fitted). */
    FourierFeatures[] all() {
        FourierFeatures[] out = new FourierFeatures[labels()];
        for (int l = 0; l < out.length; l++) {
            out[l] = map(l);
        }
        return out;
    }

    /** The label's map, or null when the label is not fitted. */
    FourierFeatures map(int label) {
        FourierFeatures[] current = maps;
        if (current == null) {
            FourierFeatures[] rebuilt = new FourierFeatures[omega.length];
            for (int l = 0; l < omega.length; l++) {
                if (omega[l] != null) {
                    rebuilt[l] = new FourierFeatures(dim, features, omega[l], phase[l]);
                }
            }
            maps = rebuilt;
            current = rebuilt;
        }
        return current[label];
    }
}
