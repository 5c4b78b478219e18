package io.synalign.spark;

import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The label groups of a distributed alignment, built from per-label row counts alone: the same
 * groups, order, statuses, target shares and per-label seeds as the single-machine
 * {@link LabelPlan} (which needs every label in memory), so that each label's Spark fit is the
 * fit the single-machine per-label alignment runs.
 *
 * <p>Order: real labels by first appearance in the real rows, then labels seen only in the
 * synthetic rows, by first appearance there. Target share of an aligned label: its real rows over
 * the real rows of all labels that have synthetic rows. In {@link LabelMode#GLOBAL} mode, or
 * without labels, there is one group {@link LabelPlan#ALL} with the configured seed.
 *
 * <p>Under Kryo ({@code spark.serializer}) it is written by Java serialization, as when it is
 * captured in a closure: broadcast once per fit, and Kryo's collection serializer cannot read
 * back the immutable list of labels (it makes the list empty, then adds to it).
 */
@com.esotericsoftware.kryo.DefaultSerializer(
        com.esotericsoftware.kryo.serializers.JavaSerializer.class)
public final class LabelGroups implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * Per-label row counts and first row index on one side.
     *
     * @param count rows with the label
     * @param firstRow smallest global row index with the label
     */
    @com.esotericsoftware.kryo.DefaultSerializer(KryoRecord.class)
    public record Count(long count, long firstRow) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private final LabelMode mode;
    private final boolean labelled;
    private final List<String> labels;
    private final int[] realCounts;
    private final int[] syntheticCounts;
    private final double[] targetShares;
    private final long[] seeds;
    private final Map<String, Integer> ids;

    private LabelGroups(LabelMode mode, boolean labelled, List<String> labels,
            int[] realCounts, int[] syntheticCounts, double[] targetShares, long[] seeds) {
        this.mode = mode;
        this.labelled = labelled;
        this.labels = List.copyOf(labels);
        this.realCounts = realCounts;
        this.syntheticCounts = syntheticCounts;
        this.targetShares = targetShares;
        this.seeds = seeds;
        this.ids = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            ids.put(labels.get(i), i);
        }
    }

    /**
     * @param mode per-label or global
     * @param real per-label counts of the real rows ({@code null} key or a single
     *     {@link LabelPlan#ALL} entry when unlabelled)
     * @param synthetic per-label counts of the synthetic rows
     * @param labelled whether both sides carry labels
     * @param seed the configured seed
     * @throws IllegalArgumentException in per-label mode when no synthetic label is a real label
     */
    public static LabelGroups of(LabelMode mode, boolean labelled, Map<String, Count> real,
            Map<String, Count> synthetic, long seed) {
        long realTotal = real.values().stream().mapToLong(Count::count).sum();
        long syntheticTotal = synthetic.values().stream().mapToLong(Count::count).sum();
        if (realTotal < 1 || syntheticTotal < 1) {
            throw new IllegalArgumentException("need at least one real and one synthetic row, got "
                    + realTotal + " and " + syntheticTotal);
        }
        if (syntheticTotal > Integer.MAX_VALUE || realTotal > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("at most " + Integer.MAX_VALUE
                    + " rows per side, got " + realTotal + " real and " + syntheticTotal
                    + " synthetic");
        }
        if (mode == LabelMode.GLOBAL || !labelled) {
            return new LabelGroups(mode, labelled, List.of(LabelPlan.ALL),
                    new int[] {(int) realTotal}, new int[] {(int) syntheticTotal},
                    new double[] {1.0}, new long[] {seed});
        }
        List<String> labels = new ArrayList<>();
        real.entrySet().stream()
                .sorted((a, b) -> Long.compare(a.getValue().firstRow(), b.getValue().firstRow()))
                .forEach(e -> labels.add(e.getKey()));
        synthetic.entrySet().stream().filter(e -> !real.containsKey(e.getKey()))
                .sorted((a, b) -> Long.compare(a.getValue().firstRow(), b.getValue().firstRow()))
                .forEach(e -> labels.add(e.getKey()));
        long represented = 0;
        for (Map.Entry<String, Count> e : real.entrySet()) {
            if (synthetic.containsKey(e.getKey())) {
                represented += e.getValue().count();
            }
        }
        if (represented == 0) {
            throw new IllegalArgumentException("no synthetic record has a label of the real set:"
                    + " synthetic labels " + synthetic.keySet() + ", real labels " + real.keySet()
                    + " (check --label-field, or use --scope global)");
        }
        int k = labels.size();
        int[] realCounts = new int[k];
        int[] syntheticCounts = new int[k];
        double[] shares = new double[k];
        long[] seeds = new long[k];
        for (int i = 0; i < k; i++) {
            String label = labels.get(i);
            Count r = real.get(label);
            Count s = synthetic.get(label);
            realCounts[i] = r == null ? 0 : (int) r.count();
            syntheticCounts[i] = s == null ? 0 : (int) s.count();
            shares[i] = r != null && s != null ? (double) r.count() / represented : 0;
            seeds[i] = seedFor(label, seed);
        }
        return new LabelGroups(mode, true, labels, realCounts, syntheticCounts, shares, seeds);
    }

    /** {@link LabelPlan#seedFor} of a labelled per-label plan: the single-machine label seed. */
    static long seedFor(String label, long seed) {
        List<String> one = List.of(label);
        return LabelPlan.of(LabelMode.PER_LABEL, one, 1, one, 1).seedFor(label, seed);
    }

    public LabelMode mode() {
        return mode;
    }

    /** Whether the rows are grouped by label (per-label mode with labels on both sides). */
    public boolean grouped() {
        return labelled && mode == LabelMode.PER_LABEL;
    }

    /** The group labels; ids index this list. */
    public List<String> labels() {
        return labels;
    }

    public int size() {
        return labels.size();
    }

    /** The id of a label, or -1 when no group has it. */
    public int id(String label) {
        if (!grouped()) {
            return 0;
        }
        Integer id = ids.get(label);
        return id == null ? -1 : id;
    }

    public int realRows(int label) {
        return realCounts[label];
    }

    public int syntheticRows(int label) {
        return syntheticCounts[label];
    }

    /** Whether the label has real and synthetic rows, so that it is fitted. */
    public boolean aligned(int label) {
        return realCounts[label] > 0 && syntheticCounts[label] > 0;
    }

    /** The weight the label's synthetic rows carry in all; 0 unless aligned. */
    public double targetShare(int label) {
        return targetShares[label];
    }

    /** The seed of the label's fit (bandwidth sample and random features). */
    public long seed(int label) {
        return seeds[label];
    }
}
