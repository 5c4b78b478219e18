package io.synalign.engine.labelled;

import io.synalign.engine.alignment.WeightedSampler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the rows of a labelled alignment split into groups, worked out from the labels alone (so
 * that label problems are found before any text is embedded).
 *
 * <p>Groups come in the order their labels first appear in the real rows, then labels seen only
 * in the synthetic rows. Without labels on either side there is one group, {@link #ALL}.
 * In {@link LabelMode#PER_LABEL} mode each group with real and synthetic rows is fitted on its
 * own and its weights scaled to its <em>target share</em>: its real row count divided by the real
 * rows of all groups that have synthetic rows. So with every real label represented, the target
 * share is the label's share of the real set; a real label without synthetic rows cannot carry
 * its share, and the shares of the others are renormalised over the represented labels.
 * Synthetic rows whose label the real set lacks get weight 0. In {@link LabelMode#GLOBAL}
 * mode the labels only group the report.
 */
public final class LabelPlan {

    /** The label of the single group of an unlabelled alignment. */
    public static final String ALL = "(all)";

    /**
     * Labels that per-label alignment cannot use, with what would fix it; a caller with its own
     * option names (a command line) can phrase the remedy in them ({@link #problem()},
     * {@link #remedy()}).
     */
    public static final class Mismatch extends IllegalArgumentException {

        private static final long serialVersionUID = 1L;

        /** What would let the alignment run. */
        public enum Remedy {
            /** Align all rows together ({@link LabelMode#GLOBAL}). */
            GLOBAL_MODE("or align all rows together in global mode"),
            /** Read the labels from another field, or align all rows together. */
            LABEL_FIELD_OR_GLOBAL_MODE("check which field holds the labels, or align all rows"
                    + " together in global mode");

            private final String text;

            Remedy(String text) {
                this.text = text;
            }

            /** The remedy in words. */
            public String text() {
                return text;
            }
        }

        private final String problem;
        private final Remedy remedy;

        Mismatch(String problem, Remedy remedy) {
            super(problem + " (" + remedy.text() + ")");
            this.problem = problem;
            this.remedy = remedy;
        }

        /** The problem alone, without the remedy. */
        public String problem() {
            return problem;
        }

        public Remedy remedy() {
            return remedy;
        }
    }

    /** What a group's rows allow. */
    public enum Status {
        /** Real and synthetic rows: fitted (per label) and given its target share. */
        ALIGNED,
        /** Real rows only: nothing to weight; its share goes to the other labels. */
        NO_SYNTHETIC_ROWS,
        /** Synthetic rows only: a label the real set lacks; weight 0 per label. */
        NOT_IN_REAL
    }

    /**
     * One label's rows.
     *
     * @param label the label ({@link #ALL} without labels)
     * @param realRows indices of its real rows, increasing
     * @param syntheticRows indices of its synthetic rows, increasing
     * @param status what its rows allow
     * @param realShare its real rows over all real rows
     * @param targetShare the weight it receives in per-label mode (0 unless aligned)
     */
    public record Group(String label, int[] realRows, int[] syntheticRows, Status status,
            double realShare, double targetShare) {
    }

    private final LabelMode mode;
    private final boolean labelled;
    private final List<Group> groups;
    private final int nReal;
    private final int nSynthetic;

    private LabelPlan(LabelMode mode, boolean labelled, List<Group> groups, int nReal,
            int nSynthetic) {
        this.mode = mode;
        this.labelled = labelled;
        this.groups = List.copyOf(groups);
        this.nReal = nReal;
        this.nSynthetic = nSynthetic;
    }

    /**
     * Groups the rows by label.
     *
     * @param realLabels one label per real row, or {@code null} for unlabelled real rows
     * @param syntheticLabels one label per synthetic row, or {@code null}
     * @param nReal real rows ({@code > 0}; must match {@code realLabels} when given)
     * @param nSynthetic synthetic rows ({@code > 0})
     * @throws IllegalArgumentException per label when only one side is labelled, or when no
     *     synthetic row has a label of the real set (naming the labels of both)
     */
    public static LabelPlan of(LabelMode mode, List<String> realLabels, int nReal,
            List<String> syntheticLabels, int nSynthetic) {
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        if (nReal < 1 || nSynthetic < 1) {
            throw new IllegalArgumentException("need at least one real and one synthetic row, got "
                    + nReal + " and " + nSynthetic);
        }
        if (realLabels != null && realLabels.size() != nReal
                || syntheticLabels != null && syntheticLabels.size() != nSynthetic) {
            throw new IllegalArgumentException("label counts do not match the row counts");
        }
        boolean labelled = realLabels != null && syntheticLabels != null;
        if (mode == LabelMode.PER_LABEL && !labelled
                && (realLabels != null || syntheticLabels != null)) {
            throw new Mismatch("only the " + (realLabels != null ? "real" : "synthetic")
                    + " records have labels; per-label alignment needs a label on every real and"
                    + " synthetic record", Mismatch.Remedy.GLOBAL_MODE);
        }
        Map<String, List<Integer>> real = index(labelled ? realLabels : null, nReal);
        Map<String, List<Integer>> synthetic = index(labelled ? syntheticLabels : null, nSynthetic);

        long representedReal = 0;
        for (Map.Entry<String, List<Integer>> e : real.entrySet()) {
            if (synthetic.containsKey(e.getKey())) {
                representedReal += e.getValue().size();
            }
        }
        if (representedReal == 0) {
            if (mode == LabelMode.PER_LABEL) {
                throw new Mismatch("no synthetic record has a label of the real set: synthetic"
                        + " labels " + names(synthetic) + ", real labels " + names(real)
                        + normalisationNote(synthetic.keySet(), real.keySet()),
                        Mismatch.Remedy.LABEL_FIELD_OR_GLOBAL_MODE);
            }
        }
        List<Group> groups = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : real.entrySet()) {
            List<Integer> s = synthetic.get(e.getKey());
            int m = e.getValue().size();
            boolean aligned = s != null;
            groups.add(new Group(e.getKey(), ints(e.getValue()), s == null ? new int[0] : ints(s),
                    aligned ? Status.ALIGNED : Status.NO_SYNTHETIC_ROWS, (double) m / nReal,
                    aligned ? (double) m / representedReal : 0));
        }
        for (Map.Entry<String, List<Integer>> e : synthetic.entrySet()) {
            if (!real.containsKey(e.getKey())) {
                groups.add(new Group(e.getKey(), new int[0], ints(e.getValue()),
                        Status.NOT_IN_REAL, 0, 0));
            }
        }
        return new LabelPlan(mode, labelled, groups, nReal, nSynthetic);
    }

    public LabelMode mode() {
        return mode;
    }

    /** Whether both sides carry labels (otherwise there is one group, {@link #ALL}). */
    public boolean labelled() {
        return labelled;
    }

    /** The groups: real labels in first-seen order, then synthetic-only labels. */
    public List<Group> groups() {
        return groups;
    }

    /**
     * Refuses sets whose row counts are not this plan's.
     *
     * @throws IllegalArgumentException naming both counts
     */
    public void requireRows(long real, long synthetic) {
        if (real != nReal || synthetic != nSynthetic) {
            throw new IllegalArgumentException("the plan is for " + nReal + " real and "
                    + nSynthetic + " synthetic rows, got " + real + " and " + synthetic);
        }
    }

    public int realRows() {
        return nReal;
    }

    public int syntheticRows() {
        return nSynthetic;
    }

    /** Synthetic rows that can get a positive weight: all (global) or those of aligned groups. */
    public int weightableSyntheticRows() {
        if (mode == LabelMode.GLOBAL) {
            return nSynthetic;
        }
        int n = 0;
        for (Group g : groups) {
            if (g.status() == Status.ALIGNED) {
                n += g.syntheticRows().length;
            }
        }
        return n;
    }

    /** The groups with a given status. */
    public List<Group> groups(Status status) {
        List<Group> out = new ArrayList<>();
        for (Group g : groups) {
            if (g.status() == status) {
                out.add(g);
            }
        }
        return out;
    }

    /**
     * The seed of a label's fit: {@code seed} itself without labels (so an unlabelled per-label
     * run equals a global one); otherwise SplitMix64 of {@code seed} XOR the 64-bit FNV-1a hash
     * of the label's UTF-8 bytes, so every label gets its own stream, independent of the
     * other labels and of their order.
     */
    public long seedFor(String label, long seed) {
        if (!labelled || mode == LabelMode.GLOBAL) {
            return seed;
        }
        long h = 0xcbf29ce484222325L;
        for (byte b : label.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return WeightedSampler.mix(seed ^ h);
    }

    private static Map<String, List<Integer>> index(List<String> labels, int n) {
        Map<String, List<Integer>> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            map.computeIfAbsent(labels == null ? ALL : labels.get(i), k -> new ArrayList<>()).add(i);
        }
        return map;
    }

    private static int[] ints(List<Integer> list) {
        int[] a = new int[list.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = list.get(i);
        }
        return a;
    }

    /**
     * A note when labels of the two sets differ only in Unicode normalisation ('café' written
     * with one code point in one file, with 'e' and a combining accent in the other): the lists
     * print alike, so the mismatch read as nonsense. Empty otherwise.
     */
    static String normalisationNote(java.util.Set<String> synthetic, java.util.Set<String> real) {
        Map<String, String> byForm = new java.util.HashMap<>();
        for (String r : real) {
            if (r != null) {
                byForm.put(java.text.Normalizer.normalize(r, java.text.Normalizer.Form.NFC), r);
            }
        }
        for (String s : synthetic) {
            if (s == null) {
                continue;
            }
            String r = byForm.get(java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC));
            if (r != null && !r.equals(s)) {
                return "; '" + s + "' and '" + r + "' differ only in Unicode normalisation (NFC"
                        + " against NFD code points): write both files in one form";
            }
        }
        return "";
    }

    /** Up to 10 labels, quoted, with a count of the rest. */
    static String names(Map<String, List<Integer>> groups) {
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (String label : groups.keySet()) {
            if (shown == 10) {
                sb.append(", ... (").append(groups.size()).append(" in all)");
                break;
            }
            sb.append(shown == 0 ? "" : ", ").append('\'').append(label).append('\'');
            shown++;
        }
        return sb.toString();
    }
}
