package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.kernels.FourierFeatures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The double-precision oracle of the feature products of {@link DistributedFeatureProducts} and
 * {@link FeatureChunks}, for tests that hold the rows they fed in. {@link #check} computes each
 * label's features here, row by row, as the definition reads: {@code phi_f(x) = sqrt(2 / D)
 * cos(phase_f + x . omega_f)} for the label's map of {@link FeatureMaps#map} ({@code D} features,
 * {@code x} the float row widened to double, everything in double), then {@code Phi^T w} (one
 * value per feature, summed over the rows in order) and {@code Phi z} (one value per row, summed
 * over the features in order), and asserts every entry of the products under test within the
 * {@link Tolerance} the caller passes: {@link #float32Bound} for a product any backend may compute
 * in float32, {@link #relative} for one computed in double.
 *
 * <p>Also the set-up those tests share: Gaussian rows per label, those rows as
 * {@link IndexedRow}s, weights per row, and arrays to read a distributed {@code Phi z} into.
 */
final class FeatureProductsOracle {

    /** The tolerance of one entry of a product. */
    @FunctionalInterface
    interface Tolerance {
        /**
         * How far the entry under test may be from {@code exact}, the oracle's value, whose terms'
         * absolute values sum to {@code absSum} ({@code |Phi|^T |w|} or {@code |Phi| |z|}).
         */
        double of(double exact, double absSum);
    }

    /**
     * The float32 bound every backend meets ({@link io.synalign.kernels.FeatureOperator}):
     * {@code perEntry} of {@code |Phi|^T |w|} (of {@code |Phi| |z|}) per entry, plus
     * {@code slack} for the double sum ({@code 1e-5} and {@code 1e-12} in the tests).
     */
    static Tolerance float32Bound(double perEntry, double slack) {
        return (exact, absSum) -> perEntry * absSum + slack;
    }

    /** {@code epsilon (1 + |exact|)} per entry: a product computed in double. */
    static Tolerance relative(double epsilon) {
        return (exact, absSum) -> epsilon * (1 + Math.abs(exact));
    }

    private final float[][][] data;
    private final FeatureMaps maps;

    /** The oracle of the products of {@code data[label][row]} under {@code maps}. */
    FeatureProductsOracle(float[][][] data, FeatureMaps maps) {
        this.data = data;
        this.maps = maps;
    }

    /**
     * {@code rows[l]} rows of {@code dim} floats per label {@code l}, each coordinate
     * {@code random.nextGaussian() + labelShift * l}, drawn label by label, row by row.
     */
    static float[][][] gaussianRows(Random random, int[] rows, int dim, double labelShift) {
        float[][][] out = new float[rows.length][][];
        for (int l = 0; l < rows.length; l++) {
            out[l] = new float[rows[l]][dim];
            for (int i = 0; i < rows[l]; i++) {
                for (int k = 0; k < dim; k++) {
                    out[l][i][k] = (float) (random.nextGaussian() + labelShift * l);
                }
            }
        }
        return out;
    }

    /** The oracle's rows in label then row order, numbered from 0 in that order. */
    List<IndexedRow> indexedRows() {
        List<IndexedRow> out = new ArrayList<>();
        long id = 0;
        for (int l = 0; l < data.length; l++) {
            for (int i = 0; i < data[l].length; i++) {
                out.add(new IndexedRow(id++, l, i, data[l][i]));
            }
        }
        return out;
    }

    /** A weight per row, uniform in {@code [-0.3, 0.7)}, drawn label by label. */
    double[][] weights(Random random) {
        double[][] w = new double[data.length][];
        for (int l = 0; l < data.length; l++) {
            w[l] = new double[data[l].length];
            for (int i = 0; i < data[l].length; i++) {
                w[l][i] = random.nextDouble() - 0.3;
            }
        }
        return w;
    }

    /** {@code products}' own {@code Phi z} (not the oracle's), one array per label. */
    double[][] times(DistributedFeatureProducts products, double[][] z) {
        double[][] out = new double[data.length][];
        for (int l = 0; l < data.length; l++) {
            out[l] = new double[data[l].length];
        }
        products.times(z, out);
        return out;
    }

    /**
     * Asserts {@code z} is {@code Phi^T w} and {@code values} is {@code Phi z} of each label,
     * every entry within {@code tolerance} of the oracle's (see the class's javadoc).
     */
    void check(double[][] w, double[][] z, double[][] values, Tolerance tolerance) {
        int features = maps.features();
        for (int l = 0; l < data.length; l++) {
            FourierFeatures map = maps.map(l);
            int rows = data[l].length;
            double[][] phi = new double[rows][features];
            for (int i = 0; i < rows; i++) {
                for (int f = 0; f < features; f++) {
                    double arg = map.phase()[f];
                    for (int k = 0; k < data[l][i].length; k++) {
                        arg += (double) data[l][i][k] * map.omega()[k * features + f];
                    }
                    phi[i][f] = Math.sqrt(2.0 / features) * Math.cos(arg);
                }
            }
            for (int f = 0; f < features; f++) {
                double s = 0;
                double bound = 0;
                for (int i = 0; i < rows; i++) {
                    s += phi[i][f] * w[l][i];
                    bound += Math.abs(phi[i][f] * w[l][i]);
                }
                assertEquals(s, z[l][f], tolerance.of(s, bound), "z of label " + l + ", " + f);
            }
            for (int i = 0; i < rows; i++) {
                double s = 0;
                double bound = 0;
                for (int f = 0; f < features; f++) {
                    s += phi[i][f] * z[l][f];
                    bound += Math.abs(phi[i][f] * z[l][f]);
                }
                assertEquals(s, values[l][i], tolerance.of(s, bound),
                        "Phi z of label " + l + ", row " + i);
            }
        }
    }
}
