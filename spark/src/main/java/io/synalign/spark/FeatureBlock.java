package io.synalign.spark;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The stored random-feature matrices of one partition's synthetic rows, one
 * {@link FeatureOperator} per label present in the partition (built by the executor's kernel
 * backend with that label's map), with each row's label-local index. Lives in the executor's
 * block manager (a persisted RDD of one block per partition) and is never serialized.
 * Memory O(n_p D); building costs O(n_p d D).
 */
final class FeatureBlock {

    /** Label ids present, parallel to {@link #locals} and {@link #operators}. */
    final int[] labels;
    /** Per present label, the label-local indices of its rows in this partition. */
    final int[][] locals;
    final FeatureOperator[] operators;

    private FeatureBlock(int[] labels, int[][] locals, FeatureOperator[] operators) {
        this.labels = labels;
        this.locals = locals;
        this.operators = operators;
    }

    /** Groups a partition's rows by label and builds one operator per fitted label. */
    static FeatureBlock build(Iterator<IndexedRow> rows, FeatureMaps maps, KernelBackend backend) {
        int k = maps.labels();
        List<List<IndexedRow>> byLabel = new ArrayList<>(k);
        for (int l = 0; l < k; l++) {
            byLabel.add(new ArrayList<>());
        }
        while (rows.hasNext()) {
            IndexedRow r = rows.next();
            if (r.label() >= 0 && maps.map(r.label()) != null) {
                byLabel.get(r.label()).add(r);
            }
        }
        int present = 0;
        for (List<IndexedRow> list : byLabel) {
            present += list.isEmpty() ? 0 : 1;
        }
        int[] labels = new int[present];
        int[][] locals = new int[present][];
        FeatureOperator[] operators = new FeatureOperator[present];
        int p = 0;
        for (int l = 0; l < k; l++) {
            List<IndexedRow> list = byLabel.get(l);
            if (list.isEmpty()) {
                continue;
            }
            labels[p] = l;
            locals[p] = new int[list.size()];
            int d = list.get(0).vector().length;
            float[] data = new float[list.size() * d];
            for (int i = 0; i < list.size(); i++) {
                locals[p][i] = list.get(i).local();
                System.arraycopy(list.get(i).vector(), 0, data, i * d, d);
            }
            operators[p] = backend.fourierFeatureOperator(new FloatMatrix(list.size(), d, data),
                    maps.map(l));
            p++;
        }
        return new FeatureBlock(labels, locals, operators);
    }

    /** Adds {@code Phi_l^T w_l} of this partition's rows into {@code acc[l * D ...]}. */
    void addTransposeTimes(double[][] w, int features, double[] acc) {
        double[] z = new double[features];
        for (int p = 0; p < labels.length; p++) {
            double[] wl = w[labels[p]];
            if (wl == null) {
                continue;
            }
            double[] sub = new double[locals[p].length];
            for (int i = 0; i < sub.length; i++) {
                sub[i] = wl[locals[p][i]];
            }
            operators[p].transposeTimes(sub, z);
            int base = labels[p] * features;
            for (int f = 0; f < features; f++) {
                acc[base + f] += z[f];
            }
        }
    }

    /** {@code Phi_l z_l} for this partition's rows of every label with a non-null z. */
    TimesPart times(double[][] z) {
        List<Integer> which = new ArrayList<>();
        for (int p = 0; p < labels.length; p++) {
            if (z[labels[p]] != null) {
                which.add(p);
            }
        }
        int[] outLabels = new int[which.size()];
        int[][] outLocals = new int[which.size()][];
        double[][] values = new double[which.size()][];
        for (int q = 0; q < which.size(); q++) {
            int p = which.get(q);
            outLabels[q] = labels[p];
            outLocals[q] = locals[p];
            values[q] = new double[locals[p].length];
            operators[p].times(z[labels[p]], values[q]);
        }
        return new TimesPart(outLabels, outLocals, values);
    }

    void close() {
        for (FeatureOperator op : operators) {
            op.close();
        }
    }

    /**
     * One partition's share of {@code Phi z}: for each label, the label-local indices and values.
     */
    record TimesPart(int[] labels, int[][] locals, double[][] values)
            implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
    }
}
